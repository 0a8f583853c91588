// Issue 4's outage test: a steady stream of 5,000 readings/s (500-line batches every 100 ms) to the
// durable writer, the server refusing connections for 60 s in the middle. Afterwards every line is
// in the database once, the values intact; memory stayed within its limit (the rest went to the
// spool). Prints what it measured.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DurableWriter, Owner, WRITER_DEFAULTS } from '../../nodes/lib/influxdb3/durable-writer';
import { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';
import { WriteSpool } from '../../nodes/lib/influxdb3/write-spool';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';

const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? 60_000);
const RATE = 5000;
const TICK_MS = 100;
const PER_TICK = (RATE * TICK_MS) / 1000;
const MEMORY_LIMIT = 8 * 1024 * 1024;
const T0 = 1795342500000000000n;

describe(`reliability: a ${OUTAGE_MS / 1000} s outage in a stream of ${RATE.toLocaleString('en')} readings/s`, function () {
  this.timeout(OUTAGE_MS + 120_000);
  let server: InfluxDB3Server;
  let dir: string;
  after(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes every reading exactly once when the server is back', async () => {
    server = await startInfluxDB3({ token: 't', walFlushMs: 1000 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-'));
    const http = new InfluxDB3Http({
      url: server.url,
      token: 't',
      timeoutMs: 5000,
      gzipThreshold: 1000,
      headers: {},
      rejectUnauthorized: true,
      maxSockets: 8,
    });
    const { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 30, policy: 'reject' });
    const warnings: string[] = [];
    let peakMemory = 0;
    let peakSpool = 0;
    const writer = new DurableWriter(
      http,
      spool,
      { ...WRITER_DEFAULTS, maxQueueBytes: MEMORY_LIMIT, retryMaxMs: 5000 },
      {
        written: () => undefined,
        rejected: (r) => should.fail(r.reason, undefined, `refused: ${r.reason}`),
        warn: (m) => warnings.push(m),
        changed: () => undefined,
      },
    );
    writer.start();
    let sent = 0;
    const dones: Promise<Error | undefined>[] = [];
    const line = (i: number) =>
      `iot_sensors,device_id=TEMP_${String(i % 50).padStart(3, '0')},location=warehouse_a temperature=${(i % 1000) / 10},seq=${i}i ${T0 + BigInt(i) * 1_000_000n}`;
    const tick = () => {
      const lines: string[] = [];
      for (let k = 0; k < PER_TICK; k++) lines.push(line(sent + k));
      sent += PER_TICK;
      dones.push(
        new Promise((resolve) => writer.accept('plant', 'ns', lines.join('\n'), PER_TICK, new Owner(resolve))),
      );
      peakMemory = Math.max(peakMemory, writer.memoryBytes);
      peakSpool = Math.max(peakSpool, writer.spooledLines);
    };
    const stream = setInterval(tick, TICK_MS);
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const rssProbe = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
    try {
      await new Promise((r) => setTimeout(r, 5000));
      await server.faults.refuseConnections(true);
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await server.faults.refuseConnections(false);
      await new Promise((r) => setTimeout(r, 5000));
    } finally {
      clearInterval(stream);
      clearInterval(rssProbe);
    }
    const errors = (await Promise.all(dones)).filter(Boolean);
    should(errors).eql([]);
    // One warning that the outage began; nothing about the spool dropping or failing.
    should(warnings.map((w) => w.replace(/:.*/s, ''))).eql([
      'cannot write to InfluxDB 3, retrying with backoff; the lines wait in the disk spool meanwhile',
    ]);
    const count = async () => {
      const res = await fetch(
        `${server.url}/api/v3/query_sql?db=plant&q=${encodeURIComponent('SELECT count(*) AS n, sum(seq) AS s, min(seq) AS lo, max(seq) AS hi FROM iot_sensors')}`,
        { headers: { authorization: 'Bearer t' } },
      );
      return (await res.json())[0] as { n: number; s: number; lo: number; hi: number };
    };
    const deadline = Date.now() + 90_000;
    while ((await count()).n < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const got = await count();
    await writer.stop(1000);
    http.close();
    console.log(
      `      ${sent.toLocaleString('en')} readings sent, ${got.n.toLocaleString('en')} in the database; peak writer memory ${(peakMemory / 1048576).toFixed(1)} MB (limit ${MEMORY_LIMIT / 1048576} MB), ` +
        `peak spool ${peakSpool.toLocaleString('en')} lines, process RSS ${(rssBefore / 1048576).toFixed(0)} -> peak ${(peakRss / 1048576).toFixed(0)} MB`,
    );
    should(got).eql({ n: sent, s: (sent * (sent - 1)) / 2, lo: 0, hi: sent - 1 }, 'every reading once, values intact');
    // About 90 bytes a line: an outage longer than the memory holds must have used the spool.
    if ((OUTAGE_MS / 1000) * RATE * 90 > MEMORY_LIMIT)
      should(peakSpool > 0).be.true('the outage outgrew memory and used the spool');
    should(peakMemory <= MEMORY_LIMIT + 64 * 1024).be.true('the writer kept within its memory limit');
  });
});
