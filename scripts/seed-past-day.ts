// The playground's past: the reference fleet's readings of the last 24 hours, made by the
// simulator's manual clock and written straight into the raw database, so the tiers, the "latest"
// query and a dashboard have a day to show from the first minute. Written an hour at a time (about
// 58,000 lines), so memory stays small.

import { referenceFleet } from '../nodes/lib/simulator/fleet-spec';
import { FleetSimulator } from '../nodes/lib/simulator/fleet-simulator';
import { LineWriter } from '../nodes/lib/line-protocol/line-writer';
import { createLineBytesEncoder } from '../nodes/lib/line-protocol/line-encoder';
import { compileSchema } from '../nodes/lib/schema/compiled-schema';
import { referenceSchema } from '../nodes/lib/schema/reference-schema';

const HOUR = 3_600_000;

export interface SeedOptions {
  /** The InfluxDB 3 server (the playground's test server). */
  url: string;
  database: string;
  /** Retention the database is created with (as the Full pipeline's writer would). */
  retention: string;
  endMs: number;
  hours: number;
}

async function call(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, init);
  if (!res.ok && res.status !== 409) throw new Error(`${init.method} ${url}: ${res.status} ${await res.text()}`);
  return res;
}

/** Whether the raw table has readings from the last `hours` (a restart of the playground). */
export async function hasRecentReadings(o: SeedOptions): Promise<boolean> {
  const q = `SELECT count(*) AS n FROM iot_sensors WHERE time > now() - INTERVAL '${Math.round(o.hours)} hours'`;
  const res = await fetch(`${o.url}/api/v3/query_sql?db=${encodeURIComponent(o.database)}&q=${encodeURIComponent(q)}`);
  if (!res.ok) return false;
  const rows = (await res.json()) as { n: number }[];
  return (rows[0]?.n ?? 0) > 0;
}

/** Writes the past `hours` of the reference fleet; returns how many readings. */
export async function seedPastDay(o: SeedOptions): Promise<number> {
  await call(`${o.url}/api/v3/configure/database`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ db: o.database, retention_period: o.retention }),
  });
  const start = Math.floor((o.endMs - o.hours * HOUR) / 5000) * 5000;
  const sim = new FleetSimulator(referenceFleet(), {
    seed: 'factory-1',
    startMs: start,
    intervalMs: 5000,
    mode: 'array',
    topicTemplate: '',
    faults: [],
  });
  const encode = createLineBytesEncoder(compileSchema(referenceSchema()), 'ns');
  const lines = new LineWriter(8 * 1024 * 1024);
  let readings = 0;
  for (let t = start; t < o.endMs;) {
    const to = Math.min(o.endMs, t + HOUR);
    lines.reset();
    for (const e of sim.advance(to - 1)) for (const r of e.payload as unknown[]) if (!encode(lines, r, to)) readings++;
    await call(`${o.url}/api/v3/write_lp?db=${encodeURIComponent(o.database)}&precision=ns&no_sync=true`, {
      method: 'POST',
      body: lines.toString(),
    });
    t = to;
  }
  return readings;
}
