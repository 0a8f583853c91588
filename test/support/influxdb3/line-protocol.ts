// InfluxDB 3's line protocol parser, rule for rule, for the project's InfluxDB 3 compatible test
// server: what it accepts, how it unescapes, and its exact error texts. Followed from
// influxdata/influxdb core/influxdb_line_protocol/src/lib.rs (split_lines, trim_leading, series,
// maybe_tagset, tag_key, tag_value, field_set, field_value, escape_or_fallback, the Error enum and
// the better_error_messages test).

export type FieldValue =
  | { type: 'i64'; value: bigint }
  | { type: 'u64'; value: bigint }
  | { type: 'f64'; value: number }
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean };

export interface ParsedLine {
  measurement: string;
  tags: [string, string][];
  fields: [string, FieldValue][];
  timestamp?: bigint;
  /** The line's measurement and tag set as written (fast path only): a cheap key for its series. */
  series?: string;
}

export interface LineResult {
  /** 1-based among the lines that are not blank or comments (InfluxDB 3's line_number). */
  lineNumber: number;
  /** The line's text as split from the body. */
  raw: string;
  line?: ParsedLine;
  error?: string;
}

/** Longest string element: the shipped server is built with the `large-strings` feature. */
export const STRING_LIMIT_BYTES = 1_048_576;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/** Every line of a body, blank lines and comments skipped. */
export function parseLines(body: string): LineResult[] {
  const out: LineResult[] = [];
  for (const raw of rawLines(body)) {
    const text = trimmedLine(raw);
    if (text === '') continue;
    const parsed = parseText(text);
    const lineNumber = out.length + 1;
    out.push(typeof parsed === 'string' ? { lineNumber, raw, error: parsed } : { lineNumber, raw, line: parsed });
  }
  return out;
}

/** The lines of a body as the scanner splits it; blank and comment lines are still there
 *  (trimmedLine makes them ''), and InfluxDB 3's line_number counts only the others. */
export function rawLines(body: string): string[] {
  // Without quotes or escapes a newline always ends a line (the scanner's states never change).
  return body.indexOf('"') < 0 && body.indexOf('\\') < 0 ? body.split('\n') : splitLines(body);
}

/** A line without leading blanks and comment lines (usually the line itself). */
export function trimmedLine(raw: string): string {
  const c = raw.charCodeAt(0);
  return c === 0x20 || c === 0x09 || c === 0x23 || c === 0x0a ? trimLeading(raw) : raw;
}

/** One trimmed line parsed, or the parser's error text. */
export function parseText(text: string): ParsedLine | string {
  try {
    return parseSimpleLine(text) ?? parseLine(text);
  } catch (e) {
    if (!(e instanceof LineError)) throw e;
    return e.message;
  }
}

/**
 * The common line (no escapes, quotes, tabs or repeated spaces; plain numbers and booleans) parsed
 * fast, or undefined for anything else, which the full parser then takes. Where it answers, it
 * answers exactly as parseLine does (a differential test holds it to that).
 */
export function parseSimpleLine(text: string): ParsedLine | undefined {
  if (
    text.length > STRING_LIMIT_BYTES / 4 ||
    text.indexOf('\\') >= 0 ||
    text.indexOf('"') >= 0 ||
    text.indexOf('\t') >= 0
  )
    return undefined;
  const sp = text.indexOf(' ');
  if (sp <= 0) return undefined;
  const sp2 = text.indexOf(' ', sp + 1);
  const fieldText = sp2 < 0 ? text.slice(sp + 1) : text.slice(sp + 1, sp2);
  let timestamp: bigint | undefined;
  if (sp2 >= 0) {
    const ts = text.slice(sp2 + 1);
    if (!SIMPLE_TIMESTAMP.test(ts) || !fitsI64(ts)) return undefined;
    timestamp = BigInt(ts);
  }
  const series = text.slice(0, sp);
  const parts = series.split(',');
  const measurement = parts[0];
  if (measurement === '' || measurement.indexOf('\0') >= 0) return undefined;
  const tags: [string, string][] = [];
  for (let i = 1; i < parts.length; i++) {
    const eq = parts[i].indexOf('=');
    if (eq <= 0 || eq === parts[i].length - 1) return undefined;
    tags.push([parts[i].slice(0, eq), parts[i].slice(eq + 1)]);
  }
  const fields: [string, FieldValue][] = [];
  for (const part of fieldText.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const value = simpleFieldValue(part.slice(eq + 1));
    if (!value) return undefined;
    fields.push([part.slice(0, eq), value]);
  }
  return { measurement, tags, fields, timestamp, series };
}

const SIMPLE_TIMESTAMP = /^-?\d{1,19}$/;
const SIMPLE_INT = /^-?\d{1,19}i$/;
const SIMPLE_UINT = /^\d{1,19}u$/;

/** Whether up to 19 digits (optionally signed, no leading zeros assumed) are within i64; a
 *  19-digit number is compared as text with the limit, which is as long. */
function fitsI64(digits: string): boolean {
  const negative = digits.charCodeAt(0) === 0x2d;
  const n = negative ? digits.length - 1 : digits.length;
  if (n < 19) return true;
  return (negative ? digits.slice(1) : digits) <= (negative ? '9223372036854775808' : '9223372036854775807');
}
const SIMPLE_FLOAT = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const SIMPLE_BOOLS: Record<string, boolean> = {
  t: true,
  T: true,
  true: true,
  True: true,
  TRUE: true,
  f: false,
  F: false,
  false: false,
  False: false,
  FALSE: false,
};

function simpleFieldValue(v: string): FieldValue | undefined {
  const last = v.charCodeAt(v.length - 1);
  if (last === 0x69 /* i */)
    return SIMPLE_INT.test(v) && fitsI64(v.slice(0, -1)) ? { type: 'i64', value: BigInt(v.slice(0, -1)) } : undefined;
  if (last === 0x75 /* u */) return SIMPLE_UINT.test(v) ? { type: 'u64', value: BigInt(v.slice(0, -1)) } : undefined;
  if (SIMPLE_FLOAT.test(v)) return { type: 'f64', value: Number(v) };
  const b = SIMPLE_BOOLS[v];
  return b === undefined || !Object.prototype.hasOwnProperty.call(SIMPLE_BOOLS, v)
    ? undefined
    : { type: 'bool', value: b };
}

/** Splits on newlines that are not inside a quoted field value nor escaped (Go's scanLine). */
export function splitLines(input: string): string[] {
  const lines: string[] = [];
  let quoted = false;
  let fields = false;
  let equals = 0;
  let commas = 0;
  let inEscape = false;
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (inEscape) {
      inEscape = false;
      continue;
    }
    if (c === '\\') {
      inEscape = true;
      continue;
    }
    if (c === ' ') {
      fields = true;
      continue;
    }
    if (fields) {
      if (!quoted && c === '=') {
        equals++;
        continue;
      } else if (!quoted && c === ',') {
        commas++;
        continue;
      } else if (c === '"' && equals > commas) {
        quoted = !quoted;
        continue;
      }
    }
    if (c === '\n' && !quoted) {
      lines.push(input.slice(start, i));
      start = i + 1;
      quoted = false;
      fields = false;
      equals = 0;
      commas = 0;
    }
  }
  lines.push(input.slice(start));
  return lines;
}

function trimLeading(s: string): string {
  for (;;) {
    let i = 0;
    while (i < s.length && isBoundary(s[i])) i++;
    s = s.slice(i);
    if (!s.startsWith('#')) return s;
    const nl = s.indexOf('\n');
    s = nl < 0 ? '' : s.slice(nl);
  }
}

class LineError extends Error {}
/** A failure that stops the parse where it is (nom's Failure, from `cut` and `map_fail`). */
class Failure extends LineError {}
/** A failure that lets an alternative or an optional part be tried (nom's Error). */
class Mismatch extends LineError {}

const isBoundary = (c: string) => c === ' ' || c === '\t' || c === '\n';

function truncate(s: string): string {
  const chars = [...s];
  return chars.length > 10 ? `${chars.slice(0, 10).join('')}...` : s;
}

function gotText(input: string, cut = true): string {
  return input === '' ? 'end of input' : `\`${cut ? truncate(input) : input}\``;
}

const ENDS_WITH_BACKSLASH = 'Measurements, tag keys and values, and field keys may not end with a backslash';

/** Text of normal characters and escapes; an unknown escape is kept as backslash + character.
 *  Returns [value, rest], or undefined when not even one character was taken. */
function escaped(s: string, isNormal: (c: string) => boolean, escapes: string): [string, string] | undefined {
  let value = '';
  let i = 0;
  for (;;) {
    const start = i;
    while (i < s.length && isNormal(s[i])) i++;
    if (i > start) {
      value += s.slice(start, i);
      continue;
    }
    if (s[i] !== '\\') break;
    const next = s[i + 1];
    if (next !== undefined && escapes.includes(next)) {
      value += next;
      i += 2;
    } else if (next === undefined) {
      value += '\\';
      i += 1;
      break;
    } else {
      const cp = String.fromCodePoint(s.codePointAt(i + 1)!);
      value += '\\' + cp;
      i += 1 + cp.length;
    }
  }
  if (i === 0) return undefined;
  if (value.endsWith('\\')) throw new Failure(ENDS_WITH_BACKSLASH);
  if (Buffer.byteLength(value) > STRING_LIMIT_BYTES) throw new Failure('String is greater than 1MB');
  return [value, s.slice(i)];
}

export function parseLine(text: string): ParsedLine {
  // series: measurement, then an optional tag set
  const m = escaped(text, (c) => !isBoundary(c) && c !== '\0' && c !== ',' && c !== '\\', ', \\');
  if (!m) throw new Mismatch('Invalid measurement was provided');
  const [measurement] = m;
  let rest = m[1];
  const tags: [string, string][] = [];
  if (rest.startsWith(',')) {
    const afterComma = rest.slice(1);
    rest = afterComma;
    for (let first = true; ; first = false) {
      if (!first) {
        if (!rest.startsWith(',')) break;
        rest = rest.slice(1);
      }
      const key = escaped(rest, (c) => !isBoundary(c) && c !== '=' && c !== '\\', '\\,= ');
      if (!key) throw new Failure(`Expected tag key, got ${gotText(rest)}`);
      if (!key[1].startsWith('='))
        throw new Failure(`Tag set malformed: could not find equals sign in ${gotText(afterComma)}`);
      const valueInput = key[1].slice(1);
      const value = escaped(valueInput, (c) => !isBoundary(c) && c !== ',' && c !== '\\', '\\,= ');
      if (!value) throw new Failure(`Expected tag value, got ${gotText(valueInput)}`);
      tags.push([key[0], value[0]]);
      rest = value[1];
    }
  }

  rest = expectSpace(rest);
  const [fields, afterFields] = fieldSet(rest);
  rest = afterFields;

  let timestamp: bigint | undefined;
  const ws = /^ +/.exec(rest);
  if (ws) {
    const ts = /^-?\d+/.exec(rest.slice(ws[0].length));
    if (ts) {
      timestamp = BigInt(ts[0]);
      if (timestamp < I64_MIN || timestamp > I64_MAX) throw new Failure(`Unable to parse timestamp value \`${ts[0]}\``);
      rest = rest.slice(ws[0].length + ts[0].length).replace(/^ +/, '');
    }
  }
  if (rest !== '') throw new LineError(`Could not parse entire line. Found trailing content: \`${truncate(rest)}\``);
  return { measurement, tags, fields, timestamp };
}

function expectSpace(s: string): string {
  const ws = /^ +/.exec(s);
  if (!ws) throw new Mismatch(`Expected at least one space character, got ${gotText(s, false)}`);
  return s.slice(ws[0].length);
}

/** The field set: the first field must parse; after it, a comma is consumed even when the field
 *  behind it does not parse, but for later fields it is not (nom's separated_list1 as used). */
function fieldSet(s: string): [[string, FieldValue][], string] {
  const fields: [string, FieldValue][] = [];
  const first = oneField(s);
  if (!first) throw new Mismatch('No fields were provided');
  fields.push(first[0]);
  let rest = first[1];
  if (!rest.startsWith(',')) return [fields, rest];
  rest = rest.slice(1);
  const second = oneField(rest);
  if (!second) return [fields, rest];
  fields.push(second[0]);
  rest = second[1];
  while (rest.startsWith(',')) {
    const next = oneField(rest.slice(1));
    if (!next) break;
    fields.push(next[0]);
    rest = next[1];
  }
  return [fields, rest];
}

function oneField(s: string): [[string, FieldValue], string] | undefined {
  const key = escaped(s, (c) => !isBoundary(c) && c !== '=' && c !== '\\', '\\,= ');
  if (!key || !key[1].startsWith('=')) return undefined;
  const value = fieldValue(key[1].slice(1));
  if (!value) return undefined;
  return [[key[0], value[0]], value[1]];
}

const INT = /^-?\d+i/;
const UINT = /^\d+u/;
const FLOAT_EXP_DECIMAL = /^-?\d+\.\d+[eE][-+]?\d+/;
const FLOAT_EXP = /^-?\d+[eE][-+]?\d+/;
const FLOAT_DECIMAL = /^-?\d+\.\d+/;
const FLOAT_INTEGRAL = /^-?\d+/;
const BOOLS: [string, boolean][] = [
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['t', true],
  ['T', true],
  ['false', false],
  ['False', false],
  ['FALSE', false],
  ['f', false],
  ['F', false],
];

function fieldValue(s: string): [FieldValue, string] | undefined {
  let m = INT.exec(s);
  if (m) {
    const digits = m[0].slice(0, -1);
    const v = BigInt(digits);
    if (v < I64_MIN || v > I64_MAX) throw new Failure(`Unable to parse integer value \`${digits}\``);
    return [{ type: 'i64', value: v }, s.slice(m[0].length)];
  }
  m = UINT.exec(s);
  if (m) {
    const digits = m[0].slice(0, -1);
    const v = BigInt(digits);
    if (v > U64_MAX) throw new Failure(`Unable to parse unsigned integer value \`${digits}\``);
    return [{ type: 'u64', value: v }, s.slice(m[0].length)];
  }
  m = FLOAT_EXP_DECIMAL.exec(s) ?? FLOAT_EXP.exec(s) ?? FLOAT_DECIMAL.exec(s) ?? FLOAT_INTEGRAL.exec(s);
  if (m) return [{ type: 'f64', value: Number(m[0]) }, s.slice(m[0].length)];
  if (s.startsWith('"')) {
    const str = stringValue(s);
    if (str) return [{ type: 'string', value: str[0] }, str[1]];
  }
  for (const [text, value] of BOOLS) if (s.startsWith(text)) return [{ type: 'bool', value }, s.slice(text.length)];
  return undefined;
}

/** A quoted string: \" and \\ unescaped, any other backslash kept. Undefined when unterminated. */
function stringValue(s: string): [string, string] | undefined {
  let value = '';
  let i = 1;
  while (i < s.length) {
    const c = s[i];
    if (c === '"') {
      if (Buffer.byteLength(value) > STRING_LIMIT_BYTES) throw new Failure('String is greater than 1MB');
      return [value, s.slice(i + 1)];
    }
    if (c === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) {
      value += s[i + 1];
      i += 2;
    } else {
      value += c;
      i++;
    }
  }
  return undefined;
}
