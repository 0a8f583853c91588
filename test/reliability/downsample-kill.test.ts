// influxdb3-downsample in a real Node-RED child process, killed with SIGKILL at random moments of a
// long catch-up and started again each time: the watermark file is always whole, every bucket it
// says is done has its points in the database at the moment of the kill, and at the end every
// bucket is there once with the right values.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild } from '../support/node-red-child-control';
import { eventually } from '../support/eventually';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { httpFor, rowsOf, writeLines } from '../support/tier-fixtures';
import type { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';

const BUCKET = 5 * 60_000;
const HOURS = 4;

describe('reliability: influxdb3-downsample killed during a catch-up', function () {
  this.timeout(180_000);
  let server: InfluxDB3Server;
  let http: InfluxDB3Http;
  let userDir: string;
  beforeEach(async () => {
    server = await startInfluxDB3({ walFlushMs: 0 });
    http = httpFor(server.url);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-kill-'));
  });
  afterEach(async () => {
    http.close();
    await server.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('keeps a whole watermark that never runs ahead of the points, across 3 SIGKILLs', async () => {
    // The system clock: the first run takes the recount horizon (4 hours), one bucket per query.
    const limit = Math.floor((Date.now() - 61_000) / BUCKET) * BUCKET;
    const from = limit - HOURS * 12 * BUCKET;
    const lines: string[] = [];
    for (let t = from; t < limit + BUCKET; t += 10_000)
      for (const d of ['A', 'B']) lines.push(`m,device=${d} v=${(t - from) / 10_000} ${t}`);
    await writeLines(http, 'raw', lines.join('\n'), 'ms');
    server.faults.delayResponses(40);
    const flows = [
      { id: 'tab', type: 'tab', label: 'kill' },
      { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'raw' },
      {
        id: 'ds',
        z: 'tab',
        x: 100,
        y: 100,
        type: 'influxdb3-downsample',
        server: 'cfg',
        sourceDatabase: 'raw',
        sourceTable: 'm',
        targetDatabase: 'five',
        targetTable: 'm5',
        tags: 'device',
        fields: [{ field: 'v', aggregates: ['mean', 'count'] }],
        recountMinutes: HOURS * 60,
        bucketsPerQuery: 1,
        wires: [[]],
      },
    ];
    const stateFile = path.join(userDir, 'influxdb3-pipeline', 'downsample-ds.json');
    const watermark = () => {
      const text = fs.existsSync(stateFile) ? fs.readFileSync(stateFile, 'utf8') : undefined;
      return text === undefined ? undefined : (JSON.parse(text) as { state: { watermark?: number } }).state.watermark;
    };
    const storedBuckets = async () =>
      new Set(
        (await rowsOf(http, 'five', 'SELECT time FROM m5').catch(() => [])).map((r) =>
          Date.parse(`${String(r.time)}Z`),
        ),
      );
    let lastKilledAt = from;
    for (let kill = 0; kill < 3; kill++) {
      const child = await startChild(userDir, flows);
      const goal = lastKilledAt + (2 + Math.floor(Math.random() * 6)) * BUCKET;
      await eventually(() => (watermark() ?? 0) >= goal, `the watermark past ${new Date(goal).toISOString()}`, 60_000);
      child.proc.kill('SIGKILL');
      await child.exited;
      const w = watermark()!;
      should(w)
        .be.above(lastKilledAt - 1)
        .and.below(limit, 'killed during the catch-up');
      const stored = await storedBuckets();
      for (let b = from; b < w; b += BUCKET)
        should(stored.has(b)).be.true(`bucket ${new Date(b).toISOString()}, before the watermark, is stored`);
      lastKilledAt = w;
    }
    const last = await startChild(userDir, flows);
    try {
      await eventually(() => watermark() === limit, 'the catch-up finished', 60_000);
    } finally {
      last.proc.kill('SIGTERM');
      await last.exited;
    }
    const rows = await rowsOf(http, 'five', 'SELECT * FROM m5 ORDER BY time, device');
    should(rows).have.length(2 * HOURS * 12);
    for (const r of rows) {
      const b = (Date.parse(`${String(r.time)}Z`) - from) / 10_000;
      should(r).match({ v_count: 30, sample_count: 30, v_mean: b + 14.5 });
    }
  });
});
