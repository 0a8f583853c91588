// Where the test server keeps accepted points: one table per database and measurement, columns by
// name, and InfluxDB 3's rule for a repeated point. A point with the same table, tag set and time as
// an earlier one is merged into it, its non-null field values replacing the earlier ones
// (influxdata/influxdb influxdb3_write/src/write_buffer/table_buffer.rs + iox_query's deduplication,
// "last write wins per column"). This store is the truth;
// the SQL engine loads from it when a query needs a table (sql-engine.ts).

import { LastCache, LastCaches } from './last-value-cache';
import { FieldValue, ParsedLine, parseSimpleLine } from './line-protocol';
import { toNanos } from './write-protocol';
import type { ColumnType, StoredLine } from './write-validation';

export type CellValue = string | number | bigint | boolean | null;

export interface StoredColumn {
  type: ColumnType;
  values: CellValue[];
}

const FIELD_COLUMN: Record<FieldValue['type'], ColumnType> = {
  f64: 'float',
  i64: 'integer',
  u64: 'uinteger',
  string: 'string',
  bool: 'boolean',
};

export class StoredTable {
  readonly columns = new Map<string, StoredColumn>();
  readonly time: bigint[] = [];
  /** Bumped when a column is added: the engine then reloads the table, columns sorted by name. */
  schemaVersion = 0;
  /** Bumped when a stored row changes: rows already loaded into the engine are stale. */
  rewrites = 0;
  /** Last value caches of this table: each new row is offered to them. */
  readonly lastCaches: LastCache[] = [];
  /** Series key -> time -> row. */
  private readonly rows = new Map<string, Map<bigint, number>>();
  /** A line's series as written -> its canonical key (tags may come in any order). */
  private readonly canonical = new Map<string, string>();

  get rowCount(): number {
    return this.time.length;
  }

  upsert(line: ParsedLine, timeNs: bigint): void {
    const { tags, fields } = line;
    let key = line.series === undefined ? undefined : this.canonical.get(line.series);
    if (key === undefined) {
      key = seriesKey(tags);
      if (line.series !== undefined && this.canonical.size < 100_000) this.canonical.set(line.series, key);
    }
    let times = this.rows.get(key);
    if (!times) this.rows.set(key, (times = new Map()));
    const existing = times.get(timeNs);
    if (existing !== undefined) {
      for (const [name, v] of fields) {
        const col = this.column(name, FIELD_COLUMN[v.type], this.time.length);
        if (col.values[existing] !== v.value) {
          col.values[existing] = v.value;
          this.rewrites++;
        }
      }
      return;
    }
    const row = this.time.length;
    times.set(timeNs, row);
    for (let i = 0; i < tags.length; i++) this.column(tags[i][0], 'tag', row).values.push(tags[i][1]);
    for (let i = 0; i < fields.length; i++)
      this.column(fields[i][0], FIELD_COLUMN[fields[i][1].type], row).values.push(fields[i][1].value);
    this.time.push(timeNs);
    // Columns this point has no value for are null in its row.
    if (tags.length + fields.length !== this.columns.size)
      for (const col of this.columns.values()) if (col.values.length === row) col.values.push(null);
    for (const cache of this.lastCaches) cache.push(this, row, timeNs);
  }

  /** A column the catalog has though no stored point has a value for it (InfluxDB 3 keeps the
   *  columns a refused line created): all nulls. */
  declare(name: string, type: ColumnType): void {
    this.column(name, type, this.time.length);
  }

  /** The named column, created with `rows` nulls when new. */
  private column(name: string, type: ColumnType, rows: number): StoredColumn {
    let col = this.columns.get(name);
    if (!col) {
      col = { type, values: new Array<CellValue>(rows).fill(null) };
      this.columns.set(name, col);
      this.schemaVersion++;
    }
    return col;
  }
}

/** The tag set in a canonical order, so the same series matches however its line ordered tags. */
function seriesKey(tags: [string, string][]): string {
  if (tags.length === 0) return '\u0000';
  const sorted = tags.length === 1 ? tags : [...tags].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let key = '';
  for (const [k, v] of sorted) key += `${k}\u0001${v}\u0000`;
  return key;
}

/** Databases -> tables, filled by the server's write path. Lines accepted as text wait, in write
 *  order, until a reader asks for the database (materialize). */
export class TableStore {
  private readonly tables = new Map<string, Map<string, StoredTable>>();
  private readonly pending = new Map<string, StoredLine[]>();
  /** Retention periods set at creation (ns): enforced by the SQL engine at query time, as Core. */
  readonly retentionNs = new Map<string, bigint>();
  readonly lastCaches = new LastCaches();

  write(db: string, lines: StoredLine[]): void {
    if (!this.tables.has(db)) this.tables.set(db, new Map());
    let waiting = this.pending.get(db);
    if (!waiting) this.pending.set(db, (waiting = []));
    for (const l of lines) waiting.push(l);
  }

  /** Databases that exist without data (created by the configure API). */
  createDatabase(db: string, retentionNs?: bigint): void {
    if (!this.tables.has(db)) this.tables.set(db, new Map());
    if (retentionNs !== undefined) this.retentionNs.set(db, retentionNs);
  }

  /** Every table and column of the catalog, also those only refused lines created, which exist
   *  in InfluxDB 3 (a query finds the table, empty, instead of "not found"). */
  declareSchema(db: string, catalogTables: Map<string, Map<string, ColumnType>>): void {
    const tables = this.materialize(db);
    if (!tables) return;
    for (const [name, columns] of catalogTables) {
      let table = tables.get(name);
      if (!table) tables.set(name, (table = new StoredTable()));
      for (const [column, type] of columns) if (column !== 'time') table.declare(column, type);
    }
  }

  /** The stored table, every line written so far applied first (so a last value cache attached to
   *  it only sees later writes). */
  table(db: string, name: string): StoredTable {
    const tables = this.materialize(db) ?? new Map<string, StoredTable>();
    if (!this.tables.has(db)) this.tables.set(db, tables);
    let table = tables.get(name);
    if (!table) tables.set(name, (table = new StoredTable()));
    return table;
  }

  databaseNames(): string[] {
    return [...this.tables.keys()];
  }

  has(db: string): boolean {
    return this.tables.has(db);
  }

  /** The database's tables with every accepted line applied, or undefined when there is no such
   *  database. */
  materialize(db: string): Map<string, StoredTable> | undefined {
    const tables = this.tables.get(db);
    const waiting = this.pending.get(db);
    if (!tables || !waiting || waiting.length === 0) return tables;
    this.pending.set(db, []);
    const apply = (line: ParsedLine, timeNs: bigint) => {
      let table = tables.get(line.measurement);
      if (!table) tables.set(line.measurement, (table = new StoredTable()));
      table.upsert(line, timeNs);
    };
    for (const stored of waiting) {
      if ('ranges' in stored) {
        const { body, ranges } = stored;
        for (let i = 0; i < ranges.length; i += 2) {
          // Vouched for by the ingest shortcut: the simple parse cannot fail.
          const line = parseSimpleLine(body.slice(ranges[i], ranges[i + 1]))!;
          apply(line, toNanos(line.timestamp, stored.precision, stored.nowNs) as bigint);
        }
      } else {
        apply(stored.line, stored.timeNs);
      }
    }
    return tables;
  }
}
