// What the downsampling tests share: a connection to the test server, the tier's IO through it
// (queries as the node makes them, writes straight to the server), tier rows read back, and the
// aggregates of a set of readings worked out independently, value by value, the plain way.
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
