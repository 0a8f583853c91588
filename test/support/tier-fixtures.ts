// What the downsampling tests share: a connection to the test server, the tier's IO through it
// (queries as the node makes them, writes straight to the server), tier rows read back, and the
// aggregates of a set of readings worked out independently, value by value, the plain way.
import should from 'should';
import { TierIO } from '../../nodes/lib/downsample/downsampler';
import { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';

export function httpFor(url: string): InfluxDB3Http {
  return new InfluxDB3Http({
    url,
    timeoutMs: 60_000,
    gzipThreshold: 64 * 1024,
    headers: {},
    rejectUnauthorized: true,
    maxSockets: 4,
  });
}

/** Queries as the node runs them; writes straight through the HTTP client, refused if not whole. */
export function directIO(http: InfluxDB3Http): TierIO & { writes: number } {
  const io = {
    writes: 0,
    query: (
      db: string,
      sql: string,
      params: { start: string; end: string },
      onRow: (r: Record<string, unknown>) => void,
    ) => http.querySql(db, sql, { ...params }, onRow),
    async write(db: string, text: string) {
      io.writes++;
      await writeLines(http, db, text, 's');
    },
  };
  return io;
}

export async function writeLines(http: InfluxDB3Http, db: string, text: string, precision: 's' | 'ms' | 'ns' = 'ns') {
  const outcome = await http.write({
    database: db,
    precision,
    body: await http.encode([text], Buffer.byteLength(text)),
    noSync: false,
  });
  if (outcome.kind !== 'written') throw new Error(`write to ${db} failed: ${JSON.stringify(outcome)}`);
}

export async function rowsOf(
  http: InfluxDB3Http,
  db: string,
  sql: string,
  params: Record<string, string | number | boolean> = {},
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  await http.querySql(db, sql, params, (r) => rows.push(r));
  return rows;
}

export interface Expected {
  count: number;
  mean: number;
  min: number;
  max: number;
  sum: number;
  first: number;
  last: number;
  /** Sample standard deviation; null for one value. */
  stddev: number | null;
}

/** The aggregates of values given in time order, two-pass (the textbook way, no shortcuts). */
export function aggregatesOf(values: number[]): Expected {
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return {
    count: n,
    mean,
    min: Math.min(...values),
    max: Math.max(...values),
    sum,
    first: values[0],
    last: values[n - 1],
    stddev: n > 1 ? Math.sqrt(ss / (n - 1)) : null,
  };
}

/** |a - b| relative to |b| (absolute near 0). */
export function relativeError(a: number, b: number): number {
  const scale = Math.max(Math.abs(b), 1e-12);
  return Math.abs(a - b) / scale;
}

type Want = Map<string, Record<string, number | null>>;

/** The rows a tier should hold, from readings added one by one: per series (one key tag) and
 *  bucket, each field's chosen aggregates, its count and the bucket's sample_count. */
export class ExpectedTier {
  private readonly groups = new Map<string, { rows: number; values: Map<string, number[]> }>();

  constructor(
    readonly bucketMs: number,
    private readonly fields: { field: string; aggregates: string[] }[],
  ) {}

  /** A reading at `time` (ms) of series `series`; values in time order per series. */
  add(time: number, series: string, values: Record<string, number | boolean | undefined>): void {
    const key = `${Math.floor(time / this.bucketMs) * this.bucketMs}|${series}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { rows: 0, values: new Map() }));
    g.rows++;
    for (const { field } of this.fields) {
      const v = values[field];
      if (v === undefined) continue;
      let list = g.values.get(field);
      if (!list) g.values.set(field, (list = []));
      list.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
  }

  rows(): Want {
    const out: Want = new Map();
    for (const [key, g] of this.groups) {
      const row: Record<string, number | null> = { sample_count: g.rows };
      for (const { field, aggregates } of this.fields) {
        const values = g.values.get(field);
        if (!values) continue;
        const a = aggregatesOf(values) as unknown as Record<string, number | null>;
        row[`${field}_count`] = values.length;
        for (const agg of aggregates) row[`${field}_${agg}`] = a[agg];
      }
      out.set(key, row);
    }
    return out;
  }
}

/** A tier's rows keyed as ExpectedTier keys them; a bucket stored twice fails. */
export async function tierRows(http: InfluxDB3Http, db: string, table: string, seriesTag: string) {
  const rows = await rowsOf(http, db, `SELECT * FROM "${table}" ORDER BY time`);
  const out = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    const k = `${Date.parse(`${String(r.time)}Z`)}|${String(r[seriesTag])}`;
    should(out.has(k)).be.false(`bucket ${k} stored once`);
    out.set(k, r);
  }
  return out;
}

/** Every bucket present, every expected value within 1e-9 (relative); returns the values checked. */
export function shouldMatch(got: Map<string, Record<string, unknown>>, want: Want): number {
  should([...got.keys()].sort()).eql([...want.keys()].sort(), 'the same buckets');
  let checked = 0;
  for (const [k, w] of want) {
    const g = got.get(k)!;
    for (const [col, v] of Object.entries(w)) {
      if (v === null) {
        should(g[col] ?? null).equal(null, `${k} ${col}`);
        continue;
      }
      should(typeof g[col]).equal('number', `${k} ${col} is stored`);
      should(relativeError(g[col] as number, v)).belowOrEqual(1e-9, `${k} ${col}: ${String(g[col])} vs ${v}`);
      checked++;
    }
  }
  return checked;
}
