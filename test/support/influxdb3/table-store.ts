// Where the test server keeps accepted points: one table per database and measurement, columns by
// name, and InfluxDB 3's rule for a repeated point. A point with the same table, tag set and time as
// an earlier one is merged into it, its non-null field values replacing the earlier ones
// (influxdata/influxdb influxdb3_write/src/write_buffer/table_buffer.rs + iox_query's deduplication,
// "last write wins per column"; shared/reference/influxdb3-wire.md A.10). This store is the truth;
// the SQL engine loads from it when a query needs a table (sql-engine.ts).

import type { FieldValue } from './line-protocol';
import type { ColumnType, StoredLine } from './write-validation';

export type CellValue = string | number | bigint | boolean | null;

export interface StoredColumn {
  type: ColumnType;
  values: CellValue[];
}

const FIELD_COLUMN: Record<FieldValue['type'], ColumnType> = { f64: 'float', i64: 'integer', u64: 'uinteger', string: 'string', bool: 'boolean' };

export class StoredTable {
  readonly columns = new Map<string, StoredColumn>();
  readonly time: bigint[] = [];
  /** Bumped when a column is added: the engine then reloads the table, columns sorted by name. */
  schemaVersion = 0;
  /** Bumped when a stored row changes: rows already loaded into the engine are stale. */
  rewrites = 0;
  private readonly rowOf = new Map<string, number>();

  get rowCount(): number {
    return this.time.length;
  }

  upsert(tags: [string, string][], fields: [string, FieldValue][], timeNs: bigint): void {
    const key = seriesKey(tags) + timeNs;
    const existing = this.rowOf.get(key);
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
    this.rowOf.set(key, row);
    for (const [name, value] of tags) this.column(name, 'tag', row).values.push(value);
    for (const [name, v] of fields) this.column(name, FIELD_COLUMN[v.type], row).values.push(v.value);
    this.time.push(timeNs);
    // Columns this point has no value for are null in its row.
    for (const col of this.columns.values()) if (col.values.length === row) col.values.push(null);
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

/** Databases -> tables, filled by the server's write path. */
export class TableStore {
  readonly databases = new Map<string, Map<string, StoredTable>>();

  write(db: string, lines: StoredLine[]): void {
    let tables = this.databases.get(db);
    if (!tables) this.databases.set(db, (tables = new Map()));
    for (const { line, timeNs } of lines) {
      let table = tables.get(line.measurement);
      if (!table) tables.set(line.measurement, (table = new StoredTable()));
      table.upsert(line.tags, line.fields, timeNs);
    }
  }

  /** Databases that exist without data (created by the configure API). */
  createDatabase(db: string): void {
    if (!this.databases.has(db)) this.databases.set(db, new Map());
  }
}
