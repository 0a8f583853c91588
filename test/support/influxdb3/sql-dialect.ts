// InfluxDB 3's SQL (DataFusion) on DuckDB: the macros and rewrites that let the same query text run
// unchanged, and plain refusals for what is not bridged — never a silently different answer.
// Each bridge was verified against DuckDB 1.5; InfluxDB 3's function semantics: influxdata/docs-v2
// content/shared/sql-reference/functions/{time-and-date,selector,aggregate}.md.

import { columnCaseError } from './identifier-case';
import { DEFAULT_MAX_SIZE } from './tdigest';

/** The scalar function the SQL engine registers, over the group's values as a list. */
export const TDIGEST_FUNCTION = '__tdigest_percentile';

/** Session settings and macros, created TEMP so each connection has its own. */
export const DIALECT_SETUP: string[] = [
  `SET TimeZone = 'UTC'`,
  // DataFusion divides integers as integers.
  `SET integer_division = true`,
  // date_bin's origin defaults to the Unix epoch; DuckDB's time_bucket would use 2000-01-03.
  `CREATE OR REPLACE TEMP MACRO date_bin(stride, ts, origin := TIMESTAMP '1970-01-01 00:00:00') AS CAST(time_bucket(stride, CAST(ts AS TIMESTAMP), CAST(origin AS TIMESTAMP)) AS TIMESTAMP_NS)`,
  // now() is a zone-less nanosecond timestamp, constant within a query, in InfluxDB 3.
  `CREATE OR REPLACE TEMP MACRO now() AS CAST(get_current_timestamp() AS TIMESTAMP_NS)`,
  // The selectors as influxdata/influxdb core/query_functions/src/selectors/internal.rs computes
  // them: rows whose value is NULL are skipped (their time too); first/last take the earliest/latest
  // time, min/max the smallest/largest value and, among equal values, the earliest time; a group
  // with no value gives a NULL struct (type_handling.rs make_struct_scalar), fields value then time.
  selector('selector_last', 'arg_max(v, t)', 'max(t)'),
  selector('selector_first', 'arg_min(v, t)', 'min(t)'),
  selector('selector_max', 'max(v)', 'arg_max(t, struct_pack(k := v, o := -epoch_ns(t)))'),
  selector('selector_min', 'min(v)', 'arg_min(t, struct_pack(k := v, o := epoch_ns(t)))'),
  // DataFusion's t-digest (tdigest.ts) over the group's non-NULL values, 100 centroids by default;
  // approx_median is the same accumulator at 0.5 (functions-aggregate approx_median.rs).
  `CREATE OR REPLACE TEMP MACRO approx_percentile_cont(x, p) AS ${tdigest('x', 'p', DEFAULT_MAX_SIZE)}, (x, p, c) AS ${tdigest('x', 'p', 'c')}`,
  `CREATE OR REPLACE TEMP MACRO approx_median(x) AS ${tdigest('x', 0.5, DEFAULT_MAX_SIZE)}`,
  `CREATE OR REPLACE TEMP MACRO var(x) AS var_samp(x)`,
];

function tdigest(x: string, p: string | number, centroids: string | number): string {
  return `${TDIGEST_FUNCTION}(list(${x}) FILTER (WHERE ${x} IS NOT NULL), ${p}, ${centroids})`;
}

function selector(name: string, value: string, time: string): string {
  const nonNull = 'FILTER (WHERE v IS NOT NULL)';
  return `CREATE OR REPLACE TEMP MACRO ${name}(v, t) AS CASE WHEN count(v) = 0 THEN NULL ELSE struct_pack("value" := ${value} ${nonNull}, "time" := ${time} ${nonNull}) END`;
}

/** InfluxDB 3 functions the test server does not have; a query using one is refused by name. */
const NOT_BRIDGED = [
  'date_bin_gapfill',
  'date_bin_wallclock',
  'date_bin_wallclock_gapfill',
  'locf',
  'interpolate',
  'arrow_cast',
  'arrow_typeof',
  'tz',
  'to_local_time',
];

export class DialectError extends Error {
  constructor(
    message: string,
    readonly kind: 'planning' | 'schema' | 'not-implemented',
  ) {
    super(message);
  }
}

/** What `last_cache('table'[, 'name'])` reads: the table it reads from and a query in its place,
 *  or an error message (DataFusion's plan errors). */
export type LastCacheLookup = (table: string, name: string | undefined) => { table: string; sql: string } | string;

export interface TranslatedQuery {
  sql: string;
  /** Tables the query reads, as the catalog spells them. */
  tables: string[];
  /** `$name` placeholders, in order of first use. */
  placeholders: string[];
}

/**
 * The query as DuckDB should run it, for a database holding `tables`. Table names are resolved as
 * DataFusion resolves them (unquoted names lower-cased, then matched exactly), so a name DuckDB
 * would find case-insensitively is still "not found" here as in InfluxDB 3; with `columnsOf`, so
 * are the columns of the tables read (identifier-case.ts).
 */
export function translateQuery(
  sql: string,
  tables: Iterable<string>,
  columnsOf?: (table: string) => string[],
  lastCache?: LastCacheLookup,
): TranslatedQuery {
  const masked = maskLiterals(sql);
  const known = new Set(tables);
  if (/;\s*\S/.test(masked)) {
    throw new DialectError(
      'This feature is not implemented: The context currently only supports a single SQL statement',
      'not-implemented',
    );
  }
  if (!/^[\s(]*(select|with|values)\b/i.test(masked) && !/^\s*show\b/i.test(masked)) {
    throw new DialectError(
      `Error during planning: only queries are run (SELECT, WITH, VALUES); InfluxDB 3 does not change data through SQL`,
      'planning',
    );
  }
  const edits: { start: number; end: number; text: string }[] = [];

  for (const m of masked.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/gi)) {
    const name = m[1].toLowerCase();
    if (NOT_BRIDGED.includes(name)) {
      throw new DialectError(
        `${m[1]}() is an InfluxDB 3 function the project's test server does not bridge to DuckDB; the query was not run`,
        'not-implemented',
      );
    }
    const close = matchingParen(masked, m.index + m[0].length - 1);
    const after = masked.slice(close + 1);
    if ((name === 'first_value' || name === 'last_value') && !/^\s*over\b/i.test(after)) {
      // The ordered aggregates; DuckDB only has them as first()/last() (a macro cannot take ORDER BY).
      edits.push({ start: m.index, end: m.index + m[1].length, text: name === 'first_value' ? 'first' : 'last' });
    } else if (name === 'approx_percentile_cont') {
      const call = approxPercentileCall(sql, masked, m.index + m[0].length - 1, close);
      if (call) edits.push({ start: m.index, ...call });
    }
  }
  if (/\binformation_schema\b|^\s*show\b|\bsystem\s*\./i.test(masked)) {
    throw new DialectError(
      `information_schema, SHOW and system tables are not bridged by the project's test server (DuckDB's would report DuckDB's types, not InfluxDB 3's); the query was not run`,
      'not-implemented',
    );
  }

  const cteNames = new Set<string>();
  for (const m of masked.matchAll(/(?:\bwith\s+(?:recursive\s+)?|,\s*)("(?:[^"]|"")*"|[a-z_][a-z0-9_]*)\s+as\s*\(/gi)) {
    cteNames.add(identifierName(sql.slice(m.index + m[0].indexOf(m[1]), m.index + m[0].indexOf(m[1]) + m[1].length)));
  }
  const used: string[] = [];
  for (const m of masked.matchAll(/\b(?:from|join)\s+/gi)) {
    if (/^(extract|substring|trim|overlay|position)$/i.test(enclosingCall(masked, m.index))) continue;
    const start = m.index + m[0].length;
    const call = /^last_cache\s*\(/i.exec(masked.slice(start));
    if (call) {
      const close = matchingParen(masked, start + call[0].length - 1);
      const read = lastCacheCall(splitArguments(sql, masked, start + call[0].length, close), lastCache);
      if (!used.includes(read.table)) used.push(read.table);
      edits.push({ start, end: close + 1, text: `(${read.sql})` });
      continue;
    }
    const ref = tableReference(sql, masked, start);
    if (!ref) continue;
    const name = ref.name;
    if (cteNames.has(name)) continue;
    if (!known.has(name))
      throw new DialectError(`Error during planning: table 'public.iox.${name}' not found`, 'planning');
    if (!used.includes(name)) used.push(name);
    edits.push({ start, end: ref.end, text: quoteIdentifier(name) });
  }

  if (columnsOf) {
    const error = columnCaseError(
      sql,
      masked,
      used.map((table) => ({ table, columns: columnsOf(table) })),
    );
    if (error) throw new DialectError(error, 'schema');
  }

  const placeholders: string[] = [];
  for (const m of masked.matchAll(/\$([a-z_][a-z0-9_]*)/gi)) if (!placeholders.includes(m[1])) placeholders.push(m[1]);

  edits.sort((a, b) => b.start - a.start);
  let out = sql;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { sql: out, tables: used, placeholders };
}

/** InfluxDB 3's last_cache table function (influxdb3_cache/src/last_cache/table_function.rs): the
 *  table name and the optional cache name must be string literals. */
function lastCacheCall(args: string[], lookup: LastCacheLookup | undefined): { table: string; sql: string } {
  if (!lookup) throw new DialectError(`last_cache() is not bridged here`, 'not-implemented');
  const literal = (a: string | undefined) =>
    a && /^'(?:[^']|'')*'$/.test(a) ? a.slice(1, -1).replace(/''/g, "'") : undefined;
  const table = literal(args[0]);
  if (table === undefined)
    throw new DialectError('Error during planning: first argument must be the table name as a string', 'planning');
  const name = literal(args[1]);
  if (args.length > 1 && name === undefined)
    throw new DialectError(
      'Error during planning: second argument, if passed, must be the cache name as a string',
      'planning',
    );
  const read = lookup(table, name);
  if (typeof read === 'string') throw new DialectError(`Error during planning: ${read}`, 'planning');
  return read;
}

/**
 * approx_percentile_cont's arguments checked as DataFusion checks them when it plans the
 * accumulator (functions-aggregate approx_percentile_cont.rs validate_input_percentile_expr,
 * validate_input_max_size_expr), and the WITHIN GROUP (ORDER BY x [ASC|DESC]) form turned into the
 * argument form: descending asks for 1 - p, computed in float64 as there.
 */
function approxPercentileCall(
  sql: string,
  masked: string,
  open: number,
  close: number,
): { end: number; text: string } | undefined {
  const args = splitArguments(sql, masked, open + 1, close);
  const within = /^\s*within\s+group\s*\(\s*order\s+by\s+/i.exec(masked.slice(close + 1));
  const [percentile, centroids] = within ? args : args.slice(1);
  const p = Number(percentile);
  if (/^\s*[\d.]+\s*$/.test(percentile ?? '') && !(p >= 0 && p <= 1))
    throw new DialectError(
      `Error during planning: Percentile value must be between 0.0 and 1.0 inclusive, ${p} is invalid`,
      'planning',
    );
  if (centroids !== undefined && /^\s*-?\d+\s*$/.test(centroids) && Number(centroids) <= 0)
    throw new DialectError(
      `This feature is not implemented: Tdigest max_size value for 'APPROX_PERCENTILE_CONT' must be UInt > 0 literal (got data type Int64).`,
      'not-implemented',
    );
  if (!within) return undefined;
  const orderStart = close + 1 + within[0].length;
  const groupClose = matchingParen(masked, masked.indexOf('(', close + 1));
  const order = /^([\s\S]*?)(?:\s+(asc|desc))?\s*$/i.exec(sql.slice(orderStart, groupClose))!;
  const q = order[2]?.toLowerCase() === 'desc' ? `1 - CAST(${percentile} AS DOUBLE)` : percentile;
  return {
    end: groupClose + 1,
    text: `approx_percentile_cont(${[order[1], q, ...(centroids === undefined ? [] : [centroids])].join(', ')})`,
  };
}

/** The top-level, comma-separated arguments between two parentheses. */
function splitArguments(sql: string, masked: string, from: number, to: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    if (masked[i] === '(') depth++;
    else if (masked[i] === ')') depth--;
    else if (masked[i] === ',' && depth === 0) {
      out.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(sql.slice(start, to).trim());
  return out;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL with the insides of strings, quoted identifiers and comments blanked, same length, so
 *  patterns only ever match real SQL. */
export function maskLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      out += c + ' '.repeat(Math.max(0, Math.min(j, sql.length) - i - 1)) + (j < sql.length ? c : '');
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      const end = nl < 0 ? sql.length : nl;
      out += ' '.repeat(end - i);
      i = end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      const end = close < 0 ? sql.length : close + 2;
      out += ' '.repeat(end - i);
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The function name before the innermost parenthesis still open at `pos`, or ''. */
function enclosingCall(masked: string, pos: number): string {
  let depth = 0;
  for (let i = pos - 1; i >= 0; i--) {
    if (masked[i] === ')') depth++;
    else if (masked[i] === '(') {
      if (depth === 0) return /([a-z_][a-z0-9_]*)\s*$/i.exec(masked.slice(0, i))?.[1] ?? '';
      depth--;
    }
  }
  return '';
}

function matchingParen(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    if (masked[i] === '(') depth++;
    else if (masked[i] === ')' && --depth === 0) return i;
  }
  return masked.length;
}

/** A table named after FROM or JOIN: unquoted (lower-cased), "quoted" or 'single-quoted' (as the
 *  InfluxDB downsampler plugin writes it), optionally qualified as iox.t or public.iox.t. Not a
 *  subquery, not a table function. */
function tableReference(sql: string, masked: string, start: number): { name: string; end: number } | undefined {
  const part = /^("(?:[^"]|"")*"|'(?:[^']|'')*'|[a-z_][a-z0-9_]*)/i;
  let pos = start;
  let name: string | undefined;
  for (;;) {
    const m = part.exec(sql.slice(pos));
    if (!m) return undefined;
    name = identifierName(m[1]);
    pos += m[1].length;
    if (sql[pos] !== '.') break;
    pos++;
  }
  if (/^\s*\(/.test(masked.slice(pos))) return undefined;
  return { name, end: pos };
}

function identifierName(token: string): string {
  if (token.startsWith('"')) return token.slice(1, -1).replace(/""/g, '"');
  if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
  return token.toLowerCase();
}
