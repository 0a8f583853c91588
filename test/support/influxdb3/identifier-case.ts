// Column names matched as DataFusion matches them. DataFusion lower-cases unquoted identifiers
// (datafusion.sql_parser.enable_ident_normalization) and then compares exactly, so "Temperature"
// does not find a column temperature, and neither Temperature nor temperature finds a column
// "Temperature"; DuckDB matches names case-insensitively and would answer all of them. The test
// server refuses such a reference with the error DataFusion gives: SchemaError::FieldNotFound
// (datafusion common/src/error.rs), "Schema error: …", a 500 over HTTP (influxdb3_server http.rs
// datafusion_error_status_code: SchemaError is not a client error there) and INVALID_ARGUMENT
// through Flight (service_common error.rs).

export interface TableColumns {
  /** The table as the query names it (the qualifier of DataFusion's valid fields). */
  table: string;
  /** Its columns, time included. */
  columns: string[];
}

/** Words that are SQL, not names, in the places a column could stand. */
const KEYWORDS = new Set(
  'all and any as asc between by case cast desc distinct else end exists false first from group having in interval is join last left like limit not null nulls offset on or order outer over partition right select then true union using when where with within'.split(
    ' ',
  ),
);

/** The reference to refuse, or undefined when every column reference resolves as in DataFusion. */
export function columnCaseError(sql: string, masked: string, tables: TableColumns[]): string | undefined {
  const columns = tables.flatMap((t) => t.columns);
  if (columns.length === 0) return undefined;
  const exact = new Set(columns);
  const folded = new Set(columns.map((c) => c.toLowerCase()));
  const aliases = new Set<string>();
  for (const m of masked.matchAll(/\bas\s+("\s*"|[a-z_][a-z0-9_]*)/gi))
    aliases.add(identifier(sql.slice(m.index + m[0].length - m[1].length, m.index + m[0].length)));
  const names = new Set(tables.map((t) => t.table));

  for (const m of masked.matchAll(/"\s*"|\b[a-z_][a-z0-9_]*\b/gi)) {
    const before = masked.slice(0, m.index);
    const after = masked.slice(m.index + m[0].length);
    if (/\.\s*$/.test(before) || /^\s*[.(]/.test(after)) continue; // qualified, a qualifier, a call
    if (/\b(as|from|join)\s+$/i.test(before)) continue; // an alias or a table
    const quoted = m[0].startsWith('"');
    if (!quoted && KEYWORDS.has(m[0].toLowerCase())) continue;
    const name = identifier(sql.slice(m.index, m.index + m[0].length));
    if (exact.has(name) || aliases.has(name) || names.has(name) || !folded.has(name.toLowerCase())) continue;
    return fieldNotFound(name, tables);
  }
  return undefined;
}

/** SchemaError::FieldNotFound's Display, for an unqualified column. */
function fieldNotFound(name: string, tables: TableColumns[]): string {
  const valid = tables.flatMap((t) => [...t.columns].sort(byteOrder).map((c) => ({ table: t.table, column: c })));
  const suggestion = valid.find((v) => normalizedLevenshtein(`${v.table}.${v.column}`, name) >= 0.5);
  const tail = suggestion
    ? `. Did you mean '${suggestion.table}.${suggestion.column}'?`
    : `. Valid fields are ${valid.map((v) => `${quoteIdentifier(v.table)}.${quoteIdentifier(v.column)}`).join(', ')}`;
  return `Schema error: No field named ${quoteIdentifier(name)}${tail}.`;
}

/** DataFusion's quote_identifier: quoted unless lower-case letters, digits and _ (not first). */
function quoteIdentifier(s: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
}

function identifier(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token.toLowerCase();
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** strsim's normalized_levenshtein, over characters, as DataFusion's datafusion_strsim has it. */
function normalizedLevenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0 && y.length === 0) return 1;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = row;
  }
  return 1 - prev[y.length] / Math.max(x.length, y.length);
}
