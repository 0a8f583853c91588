// The test server's ingest shortcut. Sensor traffic repeats: the same series (measurement and tag
// set, as written) with the same fields, line after line. Once such a line has been accepted, a
// later line of that series whose fields are the same keys, in the same order, with values of the
// same simple syntax and type, and a timestamp in range, is certain to be accepted unchanged by the
// full parser and the catalog. It is stored as text and parsed when a query first needs it. Any
// other line takes the full path. The layouts are learned only from lines whose write was committed
// (never from a write checked on a catalog copy and then refused).

import type { ParsedLine } from './line-protocol';
import type { Precision } from './write-protocol';

interface Layout {
  /** `key=` of each field, in order. */
  keys: string[];
  types: ('f64' | 'i64' | 'u64' | 'bool')[];
}

const MAX_SERIES_PER_DB = 100_000;
const I64_MAX = '9223372036854775807';
const I64_MIN_ABS = '9223372036854775808';
const PRECISION_ZEROS: Record<Precision, number> = {
  auto: 0,
  nanosecond: 0,
  microsecond: 3,
  millisecond: 6,
  second: 9,
};

export class KnownSeries {
  private readonly layouts = new Map<string, Map<string, Layout>>();

  /** Remembers the layout of an accepted line that took the simple parse (its text is its keys). */
  learn(db: string, line: ParsedLine): void {
    if (line.series === undefined) return;
    const types: Layout['types'] = [];
    for (const [, v] of line.fields) {
      if (v.type === 'string') return;
      types.push(v.type);
    }
    let series = this.layouts.get(db);
    if (!series) this.layouts.set(db, (series = new Map()));
    if (series.size >= MAX_SERIES_PER_DB && !series.has(line.series)) return;
    series.set(line.series, { keys: line.fields.map(([k]) => `${k}=`), types });
  }

  /** True only when the line body[start, end) (trimmed, not blank) is certain to be accepted as it
   *  is. Reads the body in place: slicing every line costs more than checking it. */
  accepts(db: string, body: string, start: number, end: number, precision: Precision): boolean {
    const series = this.layouts.get(db);
    if (!series) return false;
    const sp = body.indexOf(' ', start);
    if (sp <= start || sp >= end) return false;
    const layout = series.get(body.slice(start, sp));
    if (!layout) return false;
    let pos = sp + 1;
    const { keys, types } = layout;
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) {
        if (body.charCodeAt(pos) !== 0x2c /* , */) return false;
        pos++;
      }
      if (!body.startsWith(keys[i], pos)) return false;
      pos = valueEnd(body, pos + keys[i].length, end, types[i]);
      if (pos < 0) return false;
    }
    if (pos === end) return true;
    if (body.charCodeAt(pos) !== 0x20) return false;
    return timestampFits(body, pos + 1, end, precision);
  }
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Where a value of this type and simple syntax ends (at ',', ' ' or the end), or -1. */
function valueEnd(text: string, start: number, n: number, type: Layout['types'][number]): number {
  let p = start;
  if (type === 'bool') {
    for (const word of BOOL_WORDS) {
      if (p + word.length <= n && text.startsWith(word, p) && isDelimiter(text, p + word.length, n))
        return p + word.length;
    }
    return -1;
  }
  const negative = text.charCodeAt(p) === 0x2d;
  if (negative) {
    if (type === 'u64') return -1;
    p++;
  }
  const digitsStart = p;
  while (p < n && isDigit(text.charCodeAt(p))) p++;
  const digits = p - digitsStart;
  if (digits === 0) return -1;
  if (type === 'f64') {
    if (text.charCodeAt(p) === 0x2e /* . */) {
      const f = ++p;
      while (p < n && isDigit(text.charCodeAt(p))) p++;
      if (p === f) return -1;
    }
    const e = text.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      p++;
      const s = text.charCodeAt(p);
      if (s === 0x2b || s === 0x2d) p++;
      const x = p;
      while (p < n && isDigit(text.charCodeAt(p))) p++;
      if (p === x) return -1;
    }
    return isDelimiter(text, p, n) ? p : -1;
  }
  if (digits > 19 || text.charCodeAt(p) !== (type === 'i64' ? 0x69 : 0x75)) return -1;
  if (type === 'i64' && digits === 19 && text.slice(digitsStart, p) > (negative ? I64_MIN_ABS : I64_MAX)) return -1;
  return isDelimiter(text, p + 1, n) ? p + 1 : -1;
}

const BOOL_WORDS = ['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 't', 'T', 'f', 'F'];

function isDelimiter(text: string, p: number, end: number): boolean {
  if (p === end) return true;
  const c = text.charCodeAt(p);
  return c === 0x2c || c === 0x20;
}

/** The rest of the line is a timestamp whose nanoseconds fit i64 at this precision. */
function timestampFits(text: string, start: number, end: number, precision: Precision): boolean {
  let p = start;
  const negative = text.charCodeAt(p) === 0x2d;
  if (negative) p++;
  const first = p;
  while (p < end && isDigit(text.charCodeAt(p))) p++;
  if (p !== end || p === first) return false;
  const digits = p - first;
  const zeros = PRECISION_ZEROS[precision];
  if (digits + zeros < 19) return true;
  if (digits + zeros > 19) return false;
  if (text.charCodeAt(first) < 0x39 /* 9 */) return true;
  return text.slice(first, end) + '0'.repeat(zeros) <= (negative ? I64_MIN_ABS : I64_MAX);
}
