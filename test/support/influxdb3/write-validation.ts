// What InfluxDB 3 Core does with parsed lines before it stores them, for the project's test server:
// column types fixed by the first write, tag/field clashes, reserved names, duplicate fields, the
// Core limits, and the exact replies of a write (partial or not, per endpoint). Followed from
// influxdata/influxdb influxdb3_write/src/write_buffer/validator.rs, influxdb3_catalog (error.rs,
// catalog.rs RESERVED_COLUMN_NAMES, v3/transaction.rs column_or_create) and
// influxdb3_server/src/http.rs (IntoResponse for Error, V2WriteApiError).

import type { KnownSeries } from './known-series';
import { FieldValue, ParsedLine, parseText, rawLines, trimmedLine } from './line-protocol';
import { Endpoint, Precision, Reply, WriteParams, toNanos, v2Reply } from './write-protocol';

/** A line accepted for a database, its timestamp resolved to nanoseconds; or lines the ingest
 *  shortcut vouched for (known-series.ts), kept as ranges of their body and parsed when first
 *  queried. */
export type StoredLine =
  { line: ParsedLine; timeNs: bigint } | { body: string; ranges: number[]; precision: Precision; nowNs: bigint };

/** A decoded write body, parsed and checked line by line against the catalog, as InfluxDB 3 does
 *  it: with accept_partial the good lines are accepted beside the bad ones; without it, nothing
 *  changes unless every line passes (checked on a copy of the catalog). With `known`, lines of a
 *  series already seen in the same shape are accepted without being parsed. */
export function applyWrite(
  catalog: Catalog,
  endpoint: Endpoint,
  params: WriteParams,
  body: string,
  nowNs: bigint,
  known?: KnownSeries,
): { reply: Reply; accepted: StoredLine[] } {
  const failures: LineFailure[] = [];
  const target = params.acceptPartial ? catalog : catalog.copy();
  const accepted: StoredLine[] = [];
  const learned: ParsedLine[] = [];
  // Consecutive lines the shortcut accepted share one entry; order with parsed lines is kept.
  let ranges: number[] | undefined;
  let lineNumber = 0;

  const parseAndCheck = (text: string, raw: string) => {
    ranges = undefined;
    const line = parseText(text);
    if (typeof line === 'string') {
      failures.push({ lineNumber, message: line, originalLine: rawLineFor(body, lineNumber) });
      return;
    }
    const timeNs = toNanos(line.timestamp, params.precision, nowNs);
    const why = typeof timeNs === 'string' ? timeNs : target.accept(params.db, line);
    if (why)
      failures.push({ lineNumber, message: why, originalLine: typeof timeNs === 'string' ? raw : displayLine(line) });
    else {
      accepted.push({ line, timeNs: timeNs as bigint });
      learned.push(line);
    }
  };

  if (known && body.indexOf('"') < 0 && body.indexOf('\\') < 0) {
    // Without quotes or escapes every newline ends a line: walk the body in place.
    for (let pos = 0; pos <= body.length;) {
      let nl = body.indexOf('\n', pos);
      if (nl < 0) nl = body.length;
      const c = body.charCodeAt(pos);
      if (nl > pos && c !== 0x20 && c !== 0x09 && c !== 0x23) {
        lineNumber++;
        if (known.accepts(params.db, body, pos, nl, params.precision)) {
          if (!ranges) accepted.push({ body, ranges: (ranges = []), precision: params.precision, nowNs });
          ranges.push(pos, nl);
        } else {
          const raw = body.slice(pos, nl);
          parseAndCheck(raw, raw);
        }
      } else if (nl > pos) {
        const raw = body.slice(pos, nl);
        const text = trimmedLine(raw);
        if (text !== '') {
          lineNumber++;
          parseAndCheck(text, raw);
        }
      }
      pos = nl + 1;
    }
  } else {
    for (const raw of rawLines(body)) {
      const text = trimmedLine(raw);
      if (text === '') continue;
      lineNumber++;
      parseAndCheck(text, raw);
    }
  }
  const reply = writeReply(endpoint, params.acceptPartial, lineNumber, failures);
  if (!params.acceptPartial && failures.length > 0) return { reply, accepted: [] };
  if (target !== catalog) catalog.adopt(target);
  for (const line of learned) known?.learn(params.db, line);
  return { reply, accepted };
}

export type ColumnType = 'tag' | 'float' | 'integer' | 'uinteger' | 'string' | 'boolean' | 'timestamp';

/** InfluxDB 3's name of each column type (core/schema/src/lib.rs): in schema errors and in the
 *  `iox::column::type` metadata of query results. */
export const IOX_TYPE: Record<ColumnType, string> = {
  tag: 'iox::column_type::tag',
  float: 'iox::column_type::field::float',
  integer: 'iox::column_type::field::integer',
  uinteger: 'iox::column_type::field::uinteger',
  string: 'iox::column_type::field::string',
  boolean: 'iox::column_type::field::boolean',
  timestamp: 'iox::column_type::timestamp',
};

const FIELD_TYPE: Record<FieldValue['type'], ColumnType> = {
  f64: 'float',
  i64: 'integer',
  u64: 'uinteger',
  string: 'string',
  bool: 'boolean',
};

export const CORE_LIMITS = { databases: 5, tablesTotal: 2000, columnsPerTable: 500 };
const RESERVED = new Set(['time', '__chunk_order']);
const LIMIT_PREFIXES = ['Update to schema would exceed number of', 'Adding a new database would exceed limit of'];

/** Databases -> tables -> column name -> type; the `time` column is added with each table. */
export class Catalog {
  readonly databases = new Map<string, Map<string, Map<string, ColumnType>>>();

  /** An independent copy, to check a whole write before any of it changes the schema. */
  copy(): Catalog {
    const c = new Catalog();
    for (const [db, tables] of this.databases)
      c.databases.set(db, new Map([...tables].map(([t, cols]) => [t, new Map(cols)])));
    return c;
  }

  /** Takes over the schema of a copy that was checked and accepted. */
  adopt(checked: Catalog): void {
    this.databases.clear();
    for (const [db, tables] of checked.databases) this.databases.set(db, tables);
  }

  tableCount(): number {
    let n = 0;
    for (const db of this.databases.values()) n += db.size;
    return n;
  }

  /** Refusal text when a new database would pass Core's limit (checked before any line). */
  admitDatabase(db: string): string | undefined {
    if (this.databases.has(db) || this.databases.size < CORE_LIMITS.databases) return undefined;
    return `Adding a new database would exceed limit of ${CORE_LIMITS.databases} databases`;
  }

  /** Checks a line against the schema and adds its new table and columns, or says why not. As
   *  InfluxDB 3's validator (influxdb3_write validator.rs validate_and_qualify_v1_line) it creates
   *  the table, then each tag, then each field, then time, one by one in the catalog transaction
   *  (v3/transaction.rs table_or_create, column_or_create), and stops at the first refusal without
   *  undoing what it created: with accept_partial that transaction is committed with the good lines
   *  (commit_catalog_changes), so a refused line can leave a new table or column behind. */
  accept(db: string, line: ParsedLine): string | undefined {
    const tables = this.databases.get(db) ?? new Map<string, Map<string, ColumnType>>();
    this.databases.set(db, tables);
    const existing = tables.get(line.measurement);
    if (existing && fitsAsIs(existing, line)) return undefined;
    // A repeated tag is a line protocol parse error there: refused before the catalog sees it.
    const seenTags = new Set<string>();
    for (const [key] of line.tags) {
      if (seenTags.has(key)) return `Must not contain duplicate tags, but \`${key}\` was repeated`;
      seenTags.add(key);
    }
    let columns = existing;
    if (!columns) {
      const tablesNow = this.tableCount();
      if (tablesNow >= CORE_LIMITS.tablesTotal) {
        return `Update to schema would exceed number of tables limit: attempted to create table but already have ${tablesNow} table(s) (limit: ${CORE_LIMITS.tablesTotal})`;
      }
      tables.set(line.measurement, (columns = new Map()));
    }
    for (const [key] of line.tags) {
      const why = columnOrCreate(columns, key, 'tag');
      if (why) return why;
    }
    const seenFields = new Set<string>();
    for (const [key, value] of line.fields) {
      const why = columnOrCreate(columns, key, FIELD_TYPE[value.type]);
      if (why) return why;
      // Checked after the column exists, as there: x=1,x=2 leaves x behind, a float.
      if (seenFields.has(key)) return `invalid line protocol - multiple instances of '${key}' field found`;
      seenFields.add(key);
    }
    if (!columns.has('time')) columns.set('time', 'timestamp');
    return undefined;
  }
}

/** column_or_create: the column as it is, or added, or why not (its type differs; a reserved name;
 *  the table is full: tags and fields count, time does not). */
function columnOrCreate(columns: Map<string, ColumnType>, key: string, type: ColumnType): string | undefined {
  const had = columns.get(key);
  if (had !== undefined)
    return had === type
      ? undefined
      : `invalid column type for column '${key}', expected ${IOX_TYPE[had]}, got ${IOX_TYPE[type]}`;
  if (RESERVED.has(key)) return `'${key}' is a reserved column`;
  if (columns.size - (columns.has('time') ? 1 : 0) >= CORE_LIMITS.columnsPerTable)
    return `Update to schema would exceed number of columns per table limit of ${CORE_LIMITS.columnsPerTable} columns`;
  columns.set(key, type);
  return undefined;
}

/** True when a line only uses columns its table already has, with their types, each once: it is
 *  accepted without any change to the schema (the common case, checked without copying). */
function fitsAsIs(columns: Map<string, ColumnType>, line: ParsedLine): boolean {
  const { tags, fields } = line;
  for (let i = 0; i < tags.length; i++) {
    const key = tags[i][0];
    if (columns.get(key) !== 'tag') return false;
    for (let j = 0; j < i; j++) if (tags[j][0] === key) return false;
  }
  for (let i = 0; i < fields.length; i++) {
    const key = fields[i][0];
    if (columns.get(key) !== FIELD_TYPE[fields[i][1].type]) return false;
    for (let j = 0; j < i; j++) if (fields[j][0] === key) return false;
  }
  return true;
}

/** A refused line as InfluxDB 3 reports it. */
export interface LineFailure {
  lineNumber: number;
  message: string;
  /** Parse errors quote the body's raw line (by the filtered line number: a known quirk when blank
   *  or comment lines come first); schema errors quote the line as InfluxDB 3 re-serialises it. */
  originalLine: string;
}

/** The reply to a write whose lines were parsed (and checked) with these failures. */
export function writeReply(endpoint: Endpoint, acceptPartial: boolean, lines: number, failures: LineFailure[]): Reply {
  if (lines === 0) {
    return endpoint === 'v2'
      ? v2Reply(400, 'write buffer error: incoming write was empty')
      : { status: 400, body: 'incoming write was empty' };
  }
  if (failures.length === 0) return { status: 204, body: '' };
  const item = (f: LineFailure) => ({
    error_message: f.message,
    line_number: f.lineNumber,
    original_line: truncateBytes(f.originalLine, 20),
  });
  if (endpoint === 'v2') return v2Reply(400, `write buffer error: line protocol parse failed: ${failures[0].message}`);
  if (!acceptPartial)
    return { status: 400, body: JSON.stringify({ error: 'line protocol parsing error', data: item(failures[0]) }) };
  const status = failures.some((f) => LIMIT_PREFIXES.some((p) => f.message.startsWith(p))) ? 422 : 400;
  return {
    status,
    body: JSON.stringify({ error: 'partial write of line protocol occurred', data: failures.map(item) }),
  };
}

/** The raw line a parse error quotes: the body's lines as Rust's str::lines() gives them. */
export function rawLineFor(body: string, lineNumber: number): string {
  const line = body.split('\n')[lineNumber - 1] ?? '';
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** A line as InfluxDB 3 re-serialises it in schema errors: string values unquoted, floats in
 *  Rust's Display form, integers with i, unsigned with u. */
export function displayLine(line: ParsedLine): string {
  const esc = (s: string, chars: string) =>
    s.replace(new RegExp(`[${chars.replace(/[\]\\^-]/g, '\\$&')}]`, 'g'), '\\$&');
  let out = esc(line.measurement, ', ');
  for (const [k, v] of line.tags) out += `,${esc(k, ',= ')}=${esc(v, ',= ')}`;
  out += ' ' + line.fields.map(([k, v]) => `${esc(k, ',= ')}=${displayValue(v)}`).join(',');
  if (line.timestamp !== undefined) out += ` ${line.timestamp}`;
  return out;
}

function displayValue(v: FieldValue): string {
  switch (v.type) {
    case 'i64':
      return `${v.value}i`;
    case 'u64':
      return `${v.value}u`;
    case 'f64':
      return rustFloat(v.value);
    case 'string':
      return v.value.replace(/"/g, '\\"');
    case 'bool':
      return String(v.value);
  }
}

/** Rust's Display for f64: the shortest round-trip digits, never in exponent form. */
export function rustFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'inf' : '-inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const sign = s.startsWith('-') ? '-' : '';
  const mantissa = s.slice(sign.length, e).replace('.', '');
  const exp = Number(s.slice(e + 1));
  const point = (s.slice(sign.length, e).indexOf('.') + 1 || e + 1 - sign.length) - 1 + exp;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${mantissa}`;
  if (point >= mantissa.length) return `${sign}${mantissa}${'0'.repeat(point - mantissa.length)}`;
  return `${sign}${mantissa.slice(0, point)}.${mantissa.slice(point)}`;
}

/** At most n bytes of UTF-8, cut at a character boundary (Rust's floor_char_boundary). */
export function truncateBytes(s: string, n: number): string {
  if (Buffer.byteLength(s) <= n) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > n) break;
    out += ch;
    bytes += b;
  }
  return out;
}
