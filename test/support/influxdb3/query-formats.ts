// The bodies of /api/v3/query_sql: json, jsonl, csv and pretty, as InfluxDB 3 writes them
// (influxdata/influxdb influxdb3_server/src/http.rs record-batch serialisation via arrow_json,
// arrow_csv and arrow's pretty printer; verbatim examples in influxdb3/tests/server/query.rs):
// null values left out of JSON objects, timestamps as
// ISO 8601 without a zone with 0, 3, 6 or 9 fraction digits, floats always with a fraction.

import type { QueryColumn, QueryResult } from './sql-engine';

export type QueryFormat = 'json' | 'jsonl' | 'csv' | 'pretty';

export const CONTENT_TYPE: Record<QueryFormat, string> = {
  json: 'application/json',
  jsonl: 'application/jsonl',
  csv: 'text/csv',
  pretty: 'text/plain; charset=utf-8',
};

export function formatResult(result: QueryResult, format: QueryFormat): string {
  switch (format) {
    case 'json':
      return `[${rowObjects(result).join(',')}]`;
    case 'jsonl':
      return rowObjects(result)
        .map((o) => `${o}\n`)
        .join('');
    case 'csv':
      return csv(result);
    case 'pretty':
      return pretty(result);
  }
}

/** Epoch nanoseconds as chrono prints a NaiveDateTime with %.f (fraction digits 0, 3, 6 or 9). */
export function isoNanos(ns: bigint): string {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const subMs = Number(ns - ms * 1_000_000n);
  const iso = new Date(Number(ms)).toISOString();
  const whole = iso.slice(0, 19);
  const fraction = String(Number(iso.slice(20, 23)) * 1_000_000 + subMs).padStart(9, '0');
  if (fraction === '000000000') return whole;
  if (fraction.endsWith('000000')) return `${whole}.${fraction.slice(0, 3)}`;
  if (fraction.endsWith('000')) return `${whole}.${fraction.slice(0, 6)}`;
  return `${whole}.${fraction}`;
}

/** Floats as arrow's writers print them: 2.0, not 2. */
export function floatText(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'inf' : '-inf';
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
}

/** A decimal as arrow prints it, in JSON too (unquoted): every digit of its scale, 604800.0000. */
export function decimalText(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const sign = unscaled < 0n ? '-' : '';
  return scale === 0 ? sign + digits : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

function jsonValue(c: QueryColumn, row: number): string | undefined {
  const v = c.values[row];
  if (v === null || v === undefined) return undefined;
  switch (c.kind) {
    case 'timestamp':
      return JSON.stringify(isoNanos(v as bigint));
    case 'int64':
    case 'uint64':
      return String(v);
    case 'float64':
      return Number.isFinite(v) ? floatText(v as number) : undefined;
    case 'decimal128':
      return decimalText(v as bigint, c.scale!);
    case 'struct':
      return jsonObject(c.children!, row);
    default:
      return JSON.stringify(v);
  }
}

function jsonObject(columns: QueryColumn[], row: number): string {
  const parts: string[] = [];
  for (const c of columns) {
    const v = jsonValue(c, row);
    if (v !== undefined) parts.push(`${JSON.stringify(c.name)}:${v}`);
  }
  return `{${parts.join(',')}}`;
}

function rowObjects(result: QueryResult): string[] {
  const out: string[] = [];
  for (let row = 0; row < result.rowCount; row++) out.push(jsonObject(result.columns, row));
  return out;
}

function textValue(c: QueryColumn, row: number): string {
  const v = c.values[row];
  if (v === null || v === undefined) return '';
  switch (c.kind) {
    case 'timestamp':
      return isoNanos(v as bigint);
    case 'float64':
      return floatText(v as number);
    case 'decimal128':
      return decimalText(v as bigint, c.scale!);
    case 'struct':
      return `{${c.children!.map((ch) => `${ch.name}: ${textValue(ch, row)}`).join(', ')}}`;
    default:
      return String(v);
  }
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(result: QueryResult): string {
  if (result.columns.length === 0) return '';
  let out = `${result.columns.map((c) => csvCell(c.name)).join(',')}\n`;
  for (let row = 0; row < result.rowCount; row++)
    out += `${result.columns.map((c) => csvCell(textValue(c, row))).join(',')}\n`;
  return out;
}

/** arrow's pretty_format_batches: a boxed table, no trailing newline. */
function pretty(result: QueryResult): string {
  const rows = [result.columns.map((c) => c.name)];
  for (let row = 0; row < result.rowCount; row++) rows.push(result.columns.map((c) => textValue(c, row)));
  const widths = result.columns.map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[]) =>
    `|${cells.map((s, i) => ` ${s}${' '.repeat(widths[i] - [...s].length)} `).join('|')}|`;
  const body = rows.slice(1).map(line);
  return [rule, line(rows[0]), rule, ...body, rule].join('\n');
}
