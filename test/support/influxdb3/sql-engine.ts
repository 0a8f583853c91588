// The test server's SQL engine: DuckDB (in memory) loaded from the TableStore when a query needs a
// table, with the InfluxDB 3 dialect bridged (sql-dialect.ts), and results in InfluxDB 3's types:
// time as a nanosecond timestamp, integers as Int64, literals and decimals as Float64, and the
// `iox::column::type` of each column that is a table column (influxdata/influxdb core/schema/src/lib.rs).

import {
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBScalarFunction,
  DuckDBTimestampNanosecondsValue,
  DuckDBType,
  DuckDBTypeId,
  DuckDBValue,
  BIGINT,
  BOOLEAN,
  DOUBLE,
  LIST,
  TIMESTAMP_NS,
  UBIGINT,
  VARCHAR,
} from '@duckdb/node-api';
import {
  DIALECT_SETUP,
  DialectError,
  TDIGEST_FUNCTION,
  maskLiterals,
  quoteIdentifier,
  translateQuery,
} from './sql-dialect';
import { sqlParseError } from './sql-parse-gate';
import type { StoredTable, TableStore } from './table-store';
import { approxPercentileCont } from './tdigest';
import { ColumnType, IOX_TYPE } from './write-validation';

export type ColumnKind =
  'timestamp' | 'int64' | 'uint64' | 'float64' | 'decimal128' | 'utf8' | 'bool' | 'struct' | 'null';

export interface QueryColumn {
  name: string;
  kind: ColumnKind;
  /** InfluxDB 3's column metadata, for columns that are table columns. */
  ioxType?: string;
  /** bigint for timestamps (epoch ns) and integers; number, string, boolean; null. For a struct,
   *  true where the struct is present and its children hold the values. */
  values: unknown[];
  children?: QueryColumn[];
  /** A decimal128's precision and scale; its values are the unscaled bigints. */
  precision?: number;
  scale?: number;
}

export interface QueryResult {
  columns: QueryColumn[];
  rowCount: number;
}

export type QueryErrorKind = 'database-not-found' | 'planning' | 'schema' | 'not-implemented' | 'execution';

export class QueryError extends Error {
  constructor(
    message: string,
    readonly kind: QueryErrorKind,
  ) {
    super(message);
  }
}

/** A query parameter as InfluxDB 3 reads JSON (iox_query_params/src/params.rs). */
export type QueryParams = Record<string, unknown>;

const DUCK_TYPE: Record<ColumnType, DuckDBType> = {
  tag: VARCHAR,
  float: DOUBLE,
  integer: BIGINT,
  uinteger: UBIGINT,
  string: VARCHAR,
  boolean: BOOLEAN,
  timestamp: TIMESTAMP_NS,
};
const COLUMN_KIND: Record<ColumnType, ColumnKind> = {
  tag: 'utf8',
  float: 'float64',
  integer: 'int64',
  uinteger: 'uint64',
  string: 'utf8',
  boolean: 'bool',
  timestamp: 'timestamp',
};
const CHUNK_ROWS = 2048;
const INTERNAL_DB = '_internal';
/** Core's own _internal database keeps 7 days (influxdb3_catalog catalog.rs). */
const INTERNAL_RETENTION_NS = 7n * 86400n * 1_000_000_000n;

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

interface Loaded {
  schemaVersion: number;
  rewrites: number;
  rows: number;
}

interface DatabaseSession {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  loaded: Map<string, Loaded>;
}

export class SqlEngine {
  private readonly sessions = new Map<string, Promise<DatabaseSession>>();
  /** One query at a time: loading a table and reading it must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: TableStore) {}

  query(db: string, sql: string, params: QueryParams = {}): Promise<QueryResult> {
    const run = this.queue.then(() => this.run(db, sql, params));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    for (const s of this.sessions.values()) {
      const session = await s.catch(() => undefined);
      session?.connection.closeSync();
      session?.instance.closeSync();
    }
  }

  private async run(db: string, sql: string, params: QueryParams): Promise<QueryResult> {
    if (db === INTERNAL_DB) return this.internal(sql, params);
    const tables = this.store.materialize(db);
    if (!tables) throw new QueryError(`database not found: ${db}`, 'database-not-found');
    await refuseUnparsable(sql);
    let translated;
    try {
      translated = translateQuery(
        sql,
        tables.keys(),
        (t) => ['time', ...tables.get(t)!.columns.keys()],
        (table, name) => this.lastCacheRead(db, tables.get(table), table, name),
      );
    } catch (e) {
      if (e instanceof DialectError) throw new QueryError(e.message, e.kind);
      throw e;
    }
    const values = bindParams(translated.placeholders, params);
    const session = await this.session(db);
    for (const name of translated.tables)
      await this.load(session, name, tables.get(name)!, this.store.retentionNs.get(db));
    let reader;
    try {
      reader = await session.connection.runAndReadAll(translated.sql, values);
    } catch (e) {
      throw duckError(e);
    }
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const raw = reader.getColumns();
    const columns = names.map((name, i) => toColumn(name, types[i], raw[i] ?? []));
    for (const col of columns) {
      const tableType = columnTypeIn(
        translated.tables.map((t) => tables.get(t)!),
        col.name,
      );
      if (tableType && COLUMN_KIND[tableType] === col.kind) col.ioxType = IOX_TYPE[tableType];
      else if (col.name.includes('(')) {
        throw new QueryError(
          `the result column ${col.name} has no alias: InfluxDB 3 (DataFusion) and the test server's DuckDB name unaliased expressions differently, so give it one (… AS name)`,
          'not-implemented',
        );
      }
    }
    return { columns, rowCount: reader.currentRowCount };
  }

  /** A last value cache's rows as a query over the table's stored rows (by rowid, which is the
   *  row number: loadRows appends in store order); a database with a retention period keeps them
   *  under another name (load). */
  private lastCacheRead(
    db: string,
    stored: StoredTable | undefined,
    table: string,
    name: string | undefined,
  ): { table: string; sql: string } | string {
    if (!stored) return 'provided table name is invalid';
    const cache = this.store.lastCaches.find(db, table, name);
    if (!cache) return 'could not find cache for the given arguments';
    const from = this.store.retentionNs.has(db) ? `__retained__${table}` : table;
    const rows = cache.rows();
    const columns = cache.columns();
    return {
      table,
      sql: `SELECT ${columns.map(quoteIdentifier).join(', ')} FROM ${quoteIdentifier(from)} WHERE ${rows.length ? `rowid IN (${rows.join(', ')})` : 'false'}`,
    };
  }

  /** The _internal database: only its system.databases table (database_name, retention_period_ns
   *  in nanoseconds or NULL, deleted), which `influxdb3 show retention` reads
   *  (influxdb3_system_tables/src/databases.rs). */
  private async internal(sql: string, params: QueryParams): Promise<QueryResult> {
    await refuseUnparsable(sql);
    const masked = maskLiterals(sql);
    const placeholders = [...new Set([...masked.matchAll(/\$([a-z_][a-z0-9_]*)/gi)].map((m) => m[1]))];
    const values = bindParams(placeholders, params);
    const refs = [...masked.matchAll(/\bsystem\s*\.\s*databases\b/gi)];
    if (refs.length === 0)
      throw new QueryError(
        `Error during planning: the test server's _internal database has only system.databases`,
        'planning',
      );
    const edits = [
      ...refs.map((m) => ({ start: m.index, end: m.index + m[0].length, text: '"system_databases"' })),
      ...unsignedDivisions(masked),
    ].sort((a, b) => a.start - b.start);
    let text = '';
    let at = 0;
    for (const e of edits) {
      text += sql.slice(at, e.start) + e.text;
      at = e.end;
    }
    text += sql.slice(at);
    const session = await this.session(INTERNAL_DB);
    const rows = [...this.store.databaseNames(), INTERNAL_DB].map((name) => {
      const ns = name === INTERNAL_DB ? INTERNAL_RETENTION_NS : this.store.retentionNs.get(name);
      return `(${sqlString(name)}, ${ns === undefined ? 'NULL' : `${ns}::UBIGINT`}, false)`;
    });
    await session.connection.run(
      `CREATE OR REPLACE TABLE "system_databases" (database_name VARCHAR, retention_period_ns UBIGINT, deleted BOOLEAN)`,
    );
    await session.connection.run(`INSERT INTO "system_databases" VALUES ${rows.join(', ')}`);
    let reader;
    try {
      reader = await session.connection.runAndReadAll(text, values);
    } catch (e) {
      throw duckError(e);
    }
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const raw = reader.getColumns();
    return {
      columns: names.map((name, i) => toColumn(name, types[i], raw[i] ?? [], 'exact')),
      rowCount: reader.currentRowCount,
    };
  }

  private session(db: string): Promise<DatabaseSession> {
    let s = this.sessions.get(db);
    if (!s) {
      s = (async () => {
        // A DuckDB per database, sealed off from files and extensions: queries come from anyone
        // who can reach the port, and SQL such as read_csv('/etc/passwd') must not work.
        const instance = await DuckDBInstance.create(':memory:', {
          enable_external_access: 'false',
          autoinstall_known_extensions: 'false',
          autoload_known_extensions: 'false',
        });
        const connection = await instance.connect();
        for (const f of tdigestPercentiles()) connection.registerScalarFunction(f);
        for (const stmt of DIALECT_SETUP) await connection.run(stmt);
        return { instance, connection, loaded: new Map<string, Loaded>() };
      })();
      this.sessions.set(db, s);
    }
    return s;
  }

  /** Brings DuckDB's copy of a table up to date: new rows appended; after a schema change or a
   *  rewritten row, reloaded whole (columns sorted by name, as InfluxDB 3 returns SELECT *). In a
   *  database with a retention period, queries see the table through a view of the rows newer
   *  than now - retention. Core drops older data by whole chunks (QueryTable::chunks), so it may
   *  still return a few rows near the cutoff; here the cutoff is exact. */
  private async load(session: DatabaseSession, name: string, table: StoredTable, retentionNs?: bigint): Promise<void> {
    if (retentionNs !== undefined) {
      const stored = `__retained__${name}`;
      await this.loadRows(session, stored, table);
      const cutoff = BigInt(Date.now()) * 1_000_000n - retentionNs;
      await session.connection.run(
        `CREATE OR REPLACE TEMP VIEW ${quoteIdentifier(name)} AS SELECT * FROM ${quoteIdentifier(stored)} WHERE time >= make_timestamp_ns(${cutoff}::BIGINT)`,
      );
      return;
    }
    await this.loadRows(session, name, table);
  }

  private async loadRows(session: DatabaseSession, name: string, table: StoredTable): Promise<void> {
    const had = session.loaded.get(name);
    if (
      had &&
      had.rows === table.rowCount &&
      had.schemaVersion === table.schemaVersion &&
      had.rewrites === table.rewrites
    )
      return;
    const c = session.connection;
    const columns = [
      ...table.columns.entries(),
      ['time', { type: 'timestamp' as ColumnType, values: [] }] as const,
    ].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let from = had?.rows ?? 0;
    if (!had || had.schemaVersion !== table.schemaVersion || had.rewrites !== table.rewrites) {
      const defs = columns.map(
        ([n, col]) => `${quoteIdentifier(n)} ${DUCK_TYPE[col.type]}${n === 'time' ? ' NOT NULL' : ''}`,
      );
      await c.run(`CREATE OR REPLACE TABLE ${quoteIdentifier(name)} (${defs.join(', ')})`);
      from = 0;
    }
    const types = columns.map(([, col]) => DUCK_TYPE[col.type]);
    const appender = await c.createAppender(name);
    for (let start = from; start < table.rowCount; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, table.rowCount);
      const chunk = DuckDBDataChunk.create(types, end - start);
      chunk.setColumns(
        columns.map(([n, col]) =>
          n === 'time'
            ? table.time.slice(start, end).map((t) => new DuckDBTimestampNanosecondsValue(t))
            : (col.values.slice(start, end) as DuckDBValue[]),
        ),
      );
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    session.loaded.set(name, { rows: table.rowCount, schemaVersion: table.schemaVersion, rewrites: table.rewrites });
  }
}

/** DataFusion's approx_percentile_cont over a group's values (a list, NULL for none), for the
 *  dialect's approx_percentile_cont and approx_median macros: one overload per InfluxDB 3 number
 *  type, answering in the input's type as DataFusion does (return_type is the argument's type; an
 *  integer result is the estimate cast with Rust's `as`, truncated and saturating). */
function tdigestPercentiles(): DuckDBScalarFunction[] {
  const asType: [DuckDBType, (q: number) => unknown][] = [
    [DOUBLE, (q) => q],
    [BIGINT, (q) => rustAs(q, -(2n ** 63n), 2n ** 63n - 1n)],
    [UBIGINT, (q) => rustAs(q, 0n, 2n ** 64n - 1n)],
  ];
  return asType.map(([type, cast]) =>
    DuckDBScalarFunction.create({
      name: TDIGEST_FUNCTION,
      parameterTypes: [LIST(type), DOUBLE, BIGINT],
      returnType: type,
      mainFunction: (info, input, output) => {
        const [values, percentiles, sizes] = [0, 1, 2].map((i) => input.getColumnVector(i));
        for (let row = 0; row < input.rowCount; row++) {
          const p = percentiles.getItem(row) as number;
          if (!(p >= 0 && p <= 1))
            return info.setError(`Percentile value must be between 0.0 and 1.0 inclusive, ${p} is invalid`);
          const list = values.getItem(row) as DuckDBListValue | null;
          const numbers = list?.items.map(Number) ?? [];
          const q = list && approxPercentileCont(numbers, p, Number(sizes.getItem(row)));
          output.setItem(row, (q === null ? null : cast(q)) as DuckDBValue);
        }
        output.flush();
      },
    }),
  );
}

/** Rust's float-to-integer `as`: truncated, saturating at the type's bounds, NaN is 0. */
function rustAs(q: number, min: bigint, max: bigint): bigint {
  if (Number.isNaN(q)) return 0n;
  if (!Number.isFinite(q)) return q > 0 ? max : min;
  const t = BigInt(Math.trunc(q));
  return t < min ? min : t > max ? max : t;
}

/** SQL that InfluxDB 3's parser refuses is a planning error (DataFusionError::SQL), whatever
 *  DuckDB would make of it. */
async function refuseUnparsable(sql: string): Promise<void> {
  const error = await sqlParseError(sql);
  if (error) throw new QueryError(error, 'planning');
}

function columnTypeIn(tables: StoredTable[], name: string): ColumnType | undefined {
  if (name === 'time' && tables.length > 0) return 'timestamp';
  for (const t of tables) {
    const col = t.columns.get(name);
    if (col) return col.type;
  }
  return undefined;
}

/** Parameters as InfluxDB 3 types JSON values: integers that fit are integers, others floats;
 *  arrays and objects are refused; a placeholder without a value is a planning error. */
function bindParams(placeholders: string[], params: QueryParams): Record<string, DuckDBValue> {
  const out: Record<string, DuckDBValue> = {};
  for (const name of placeholders) {
    if (!Object.prototype.hasOwnProperty.call(params, name)) {
      throw new QueryError(`Error during planning: No value found for placeholder with name $${name}`, 'planning');
    }
    const v = params[name];
    if (v === null || typeof v === 'string' || typeof v === 'boolean') out[name] = v;
    else if (typeof v === 'number') out[name] = Number.isSafeInteger(v) ? BigInt(v) : v;
    else if (typeof v === 'bigint') out[name] = v;
    else
      throw new QueryError(
        `JSON ${Array.isArray(v) ? 'arrays' : 'objects'} are not supported as query parameters. Parameter: ${name}`,
        'planning',
      );
  }
  return out;
}

/** retention_period_ns (UInt64) divided by an integer literal (Int64): DataFusion coerces both to
 *  Decimal128(20, 0) (expr-common type_coercion/binary.rs numerical_coercion, "to avoid information
 *  loss when combining UInt64 with signed integers") and arrow divides decimals at scale s1 + 4,
 *  precision p1 + 4, truncating (arrow-arith numeric.rs decimal_op Op::Div): Decimal128(24, 4).
 *  DuckDB would divide as UBIGINT integers, so the division is spelled out in exact decimals. */
function unsignedDivisions(masked: string): { start: number; end: number; text: string }[] {
  return [...masked.matchAll(/\bretention_period_ns\s*\/\s*(\d+)\b/gi)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    text: `CAST(CAST((CAST(retention_period_ns AS HUGEINT) * 10000) // ${m[1]} AS DECIMAL(38, 0)) * CAST(0.0001 AS DECIMAL(5, 4)) AS DECIMAL(24, 4))`,
  }));
}

function duckError(e: unknown): QueryError {
  const message = String((e as Error)?.message ?? e);
  if (/^(Failed to extract statements: )?(Parser|Binder|Catalog|Permission) Error/.test(message))
    return new QueryError(`Error during planning: ${message}`, 'planning');
  if (/^Not implemented Error/.test(message)) return new QueryError(message, 'not-implemented');
  return new QueryError(`error while executing plan: ${message}`, 'execution');
}

/** A DuckDB result column in InfluxDB 3's types. DuckDB decimals are Float64 (DuckDB types a
 *  literal such as 1.5 as DECIMAL, DataFusion as Float64) unless `decimals` is 'exact', where the
 *  query was written to produce DataFusion's own decimals. */
function toColumn(
  name: string,
  type: DuckDBType,
  raw: readonly DuckDBValue[],
  decimals: 'float' | 'exact' = 'float',
): QueryColumn {
  const id = type.typeId;
  const map = (kind: ColumnKind, f: (v: NonNullable<DuckDBValue>) => unknown): QueryColumn => ({
    name,
    kind,
    values: raw.map((v) => (v === null ? null : f(v))),
  });
  switch (id) {
    case DuckDBTypeId.BOOLEAN:
      return map('bool', (v) => v);
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.HUGEINT:
      // Literals and sums: DataFusion's are Int64. A sum that does not fit is an overflow there too.
      return map('int64', (v) => {
        const b = BigInt(v as number | bigint);
        if (b > 9223372036854775807n || b < -9223372036854775808n)
          throw new QueryError(
            `error while executing plan: Arithmetic overflow: ${b} does not fit Int64 (column ${name})`,
            'execution',
          );
        return b;
      });
    case DuckDBTypeId.UBIGINT:
      return map('uint64', (v) => BigInt(v as bigint));
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return map('float64', (v) => v);
    case DuckDBTypeId.DECIMAL:
      if (decimals === 'exact') {
        const { width, scale } = type as unknown as { width: number; scale: number };
        return { ...map('decimal128', (v) => (v as { value: bigint }).value), precision: width, scale };
      }
      return map('float64', (v) => Number((v as { value: bigint }).value) / 10 ** (v as { scale: number }).scale);
    case DuckDBTypeId.VARCHAR:
      return map('utf8', (v) => v);
    case DuckDBTypeId.TIMESTAMP_NS:
      return map('timestamp', (v) => (v as { nanos: bigint }).nanos);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return map('timestamp', (v) => (v as { micros: bigint }).micros * 1000n);
    case DuckDBTypeId.TIMESTAMP_MS:
      return map('timestamp', (v) => (v as { millis: bigint }).millis * 1_000_000n);
    case DuckDBTypeId.TIMESTAMP_S:
      return map('timestamp', (v) => (v as { seconds: bigint }).seconds * 1_000_000_000n);
    case DuckDBTypeId.SQLNULL:
      return { name, kind: 'null', values: raw.map(() => null) };
    case DuckDBTypeId.STRUCT: {
      const entries = type as unknown as { entryNames: string[]; entryTypes: DuckDBType[] };
      const children = entries.entryNames.map((child, i) =>
        toColumn(
          child,
          entries.entryTypes[i],
          raw.map((v) =>
            v === null ? null : ((v as unknown as { entries: Record<string, DuckDBValue> }).entries[child] ?? null),
          ),
        ),
      );
      return { name, kind: 'struct', values: raw.map((v) => (v === null ? null : true)), children };
    }
    default:
      throw new QueryError(
        `the result column ${name} has DuckDB type ${type.toString()}, which the project's test server does not translate to an InfluxDB 3 type`,
        'not-implemented',
      );
  }
}
