// InfluxDB 3's last value cache on the test server: the configure API (POST/DELETE
// /api/v3/configure/last_cache) and what `last_cache('table', 'name')` reads. Mirrors
// influxdata/influxdb @ d7834110b3:
// - request and defaults: influxdb3_types/src/http.rs LastCacheCreateRequest; count 1, ttl 4 h
//   (influxdb3_catalog/src/catalog/versions/v3/schema/cache.rs DEFAULT_CACHE_TTL);
// - checks, default name and errors: influxdb3_catalog/src/catalog/versions/v3/ops/cache.rs
//   CreateLastCacheOp (any second create of a name is 409, same definition or not; the server's
//   test influxdb3/tests/server/configure.rs api_v3_configure_last_cache_create);
// - contents: influxdb3_cache/src/last_cache/cache.rs. A cache starts empty and is fed by writes
//   that arrive after it was created (provider.rs create_cache_from_definition; nothing is read
//   back from stored data); a row without every key column is skipped; per key value, a row not
//   newer than the last one taken is ignored, and the `count` newest rows are kept, each for `ttl`
//   from when it arrived.
// The rows are kept as row numbers of the stored table, so `last_cache()` becomes a DuckDB query
// over that table by rowid (the engine appends rows in store order, so rowid is the row number).

import type { CellValue, StoredTable } from './table-store';
import type { ColumnType } from './write-validation';

export const DEFAULT_TTL_SECONDS = 4 * 60 * 60;

export interface LastCacheDefinition {
  table: string;
  name: string;
  keyColumns: string[];
  /** undefined: every column that is not a key column, also columns added later. */
  valueColumns: string[] | undefined;
  count: number;
  ttlSeconds: number;
}

export interface ConfigureReply {
  status: number;
  body: string;
  contentType?: string;
}

const KEY_TYPES: ColumnType[] = ['tag', 'string', 'integer', 'uinteger', 'boolean'];

export class LastCache {
  /** Key values -> rows, newest first, with the time of the newest and when each arrived. */
  private readonly entries = new Map<string, { lastTime: bigint; rows: number[]; arrived: number[] }>();

  /** `catalog`: the table's columns in creation order, time after the first line's (the catalog
   *  itself, so the columns added later are seen). */
  constructor(
    readonly definition: LastCacheDefinition,
    private readonly catalog: ReadonlyMap<string, ColumnType>,
  ) {}

  /** A row the store has just added (a merge into an existing row has the same time, so the real
   *  cache would ignore it too). */
  push(table: StoredTable, row: number, timeNs: bigint): void {
    let key = '';
    for (const k of this.definition.keyColumns) {
      const v: CellValue | undefined = table.columns.get(k)?.values[row];
      if (v === null || v === undefined) return;
      key += `${typeof v}:${String(v)}\u0000`;
    }
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { lastTime: -(2n ** 63n), rows: [], arrived: [] }));
    if (timeNs <= entry.lastTime) return;
    entry.lastTime = timeNs;
    entry.rows.unshift(row);
    entry.arrived.unshift(Date.now());
    entry.rows.length = Math.min(entry.rows.length, this.definition.count);
    entry.arrived.length = entry.rows.length;
  }

  /** The rows a query sees now: those that have not outlived the ttl. */
  rows(): number[] {
    const oldest = Date.now() - this.definition.ttlSeconds * 1000;
    const out: number[] = [];
    for (const e of this.entries.values())
      for (let i = 0; i < e.rows.length; i++) if (e.arrived[i] > oldest) out.push(e.rows[i]);
    return out;
  }

  /** The cache's columns: key columns first, then the value columns, time last for an explicit list,
   *  else where the catalog has it (cache.rs LastCache::new). */
  columns(): string[] {
    const { keyColumns, valueColumns } = this.definition;
    const values = valueColumns
      ? [...valueColumns.filter((c) => c !== 'time'), 'time']
      : [...this.catalog.keys()].filter((c) => !keyColumns.includes(c));
    return [...keyColumns, ...values];
  }
}

/** The caches of one server, by database, table and name. */
export class LastCaches {
  private readonly caches = new Map<string, Map<string, Map<string, LastCache>>>();

  /** POST /api/v3/configure/last_cache. `columns` is the table's catalog (creation order);
   *  `attach` hands the new cache to the stored table once what was written before is applied. */
  create(
    body: unknown,
    columnsOf: (db: string, table: string) => Map<string, ColumnType> | 'no-db' | 'no-table',
    attach: (db: string, cache: LastCache) => void,
  ): ConfigureReply {
    const r = (body ?? {}) as Record<string, unknown>;
    const missing = ['db', 'table'].find((f) => typeof r[f] !== 'string');
    if (missing) return { status: 400, body: `serde json error: missing field \`${missing}\`` };
    if (r.count !== undefined && r.count !== null && !(Number.isInteger(r.count) && (r.count as number) >= 0))
      return { status: 400, body: 'serde json error: invalid type: expected usize for `count`' };
    if (r.count === 0) return { status: 400, body: 'serde json error: last cache size must be greater than 0' };
    const db = r.db as string;
    const table = r.table as string;
    const columns = columnsOf(db, table);
    if (columns === 'no-db') return { status: 404, body: `Database not found ${db}` };
    if (columns === 'no-table') return { status: 404, body: `Table ${table} not in DB schema for ${db}` };
    const names = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
    const keyColumns = names(r.key_columns) ?? [...columns].filter(([, t]) => t === 'tag').map(([c]) => c);
    for (const k of keyColumns) {
      const type = columns.get(k);
      if (!type) return invalid(`invalid key column provided: ${k}`);
      if (!KEY_TYPES.includes(type))
        return {
          status: 400,
          body: 'only uint64, int64, bool, tag, and string columns are supported in the last cache',
        };
    }
    const valueColumns = names(r.value_columns);
    for (const v of valueColumns ?? []) if (!columns.has(v)) return invalid(`invalid value column provided: ${v}`);
    const name = typeof r.name === 'string' ? r.name : `${table}_${keyColumns.join('_')}_last_cache`;
    const tables = this.caches.get(db) ?? new Map<string, Map<string, LastCache>>();
    const named = tables.get(table) ?? new Map<string, LastCache>();
    if (named.has(name)) return { status: 409, body: 'attempted to create a resource that already exists' };
    const definition: LastCacheDefinition = {
      table,
      name,
      keyColumns,
      valueColumns,
      count: typeof r.count === 'number' ? r.count : 1,
      ttlSeconds: typeof r.ttl === 'number' ? r.ttl : DEFAULT_TTL_SECONDS,
    };
    const cache = new LastCache(definition, columns);
    named.set(name, cache);
    tables.set(table, named);
    this.caches.set(db, tables);
    attach(db, cache);
    // Core answers with the catalog batch that created the cache; its shape is Core's catalog
    // format, so here it is only the definition (nothing in the pack reads it).
    return {
      status: 201,
      contentType: 'application/json',
      body: JSON.stringify({
        table,
        name,
        key_columns: keyColumns,
        value_columns: valueColumns ? { explicit: { columns: valueColumns } } : 'all_non_key_columns',
        count: definition.count,
        ttl: definition.ttlSeconds,
      }),
    };
  }

  /** DELETE /api/v3/configure/last_cache, parameters from the query string or the JSON body. */
  delete(
    params: Record<string, unknown>,
    exists: (db: string, table: string) => 'no-db' | 'no-table' | 'ok',
    detach: (db: string, cache: LastCache) => void,
  ): ConfigureReply {
    const missing = ['db', 'table', 'name'].find((f) => typeof params[f] !== 'string');
    if (missing) return { status: 400, body: `serde error: missing field \`${missing}\`` };
    const { db, table, name } = params as Record<string, string>;
    const found = exists(db, table);
    if (found === 'no-db') return { status: 404, body: `Database not found ${db}` };
    if (found === 'no-table') return { status: 404, body: `Table ${table} not in DB schema for ${db}` };
    const named = this.caches.get(db)?.get(table);
    const cache = named?.get(name);
    if (!named || !cache) return { status: 404, body: `the requested resource was not found: ${name}` };
    named.delete(name);
    detach(db, cache);
    return { status: 200, body: '' };
  }

  /** The cache `last_cache(table[, name])` reads; the name may be left out when the table has one
   *  (influxdb3_cache/src/last_cache/table_function.rs). */
  find(db: string, table: string, name: string | undefined): LastCache | undefined {
    const named = this.caches.get(db)?.get(table);
    if (!named) return undefined;
    if (name !== undefined) return named.get(name);
    return named.size === 1 ? [...named.values()][0] : undefined;
  }
}

function invalid(message: string): ConfigureReply {
  return { status: 400, body: `invalid configuration provided: ${message}` };
}
