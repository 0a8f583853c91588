// The durable writer against the project's InfluxDB 3 compatible server and its fault switches:
// partial writes, 413 splitting, Retry-After, an outage with the disk spool, and a stop that keeps
// what was not written. Every check reads the database back.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DurableWriter,
  Owner,
  RejectedSummary,
  WRITER_DEFAULTS,
  WriterOptions,
  WrittenSummary,
} from '../../nodes/lib/influxdb3/durable-writer';
import { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';
import { WriteSpool } from '../../nodes/lib/influxdb3/write-spool';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';

const T0 = 1795342500000000000n;
const line = (i: number, device = `D${i % 7}`) =>
  `iot_sensors,device_id=${device} temperature=${(i % 100) / 4},seq=${i}i ${T0 + BigInt(i) * 1000n}`;
const batch = (from: number, n: number) => Array.from({ length: n }, (_, k) => line(from + k)).join('\n');

interface Harness {
  writer: DurableWriter;
  http: InfluxDB3Http;
  spool: WriteSpool;
  written: WrittenSummary[];
  rejected: RejectedSummary[];
  warnings: string[];
}

async function open(
  server: InfluxDB3Server,
  dir: string,
  options: Partial<WriterOptions> = {},
  token = 't',
): Promise<Harness> {
  const http = new InfluxDB3Http({
    url: server.url,
    token,
    timeoutMs: 2000,
    gzipThreshold: 1000,
    headers: {},
    rejectUnauthorized: true,
    maxSockets: 8,
  });
  const { spool } = await WriteSpool.open(dir, { maxBytes: 256 * 1024 * 1024, policy: 'reject' });
  const h = { http, spool, written: [], rejected: [], warnings: [] } as unknown as Harness;
  h.writer = new DurableWriter(
    http,
    spool,
    { ...WRITER_DEFAULTS, retryInitialMs: 50, retryMaxMs: 400, ...options },
    {
      written: (s) => h.written.push(s),
      rejected: (r) => h.rejected.push(r),
      warn: (m) => h.warnings.push(m),
      changed: () => undefined,
    },
  );
  h.writer.start();
  return h;
}

const settle = (writer: DurableWriter, lines: number, payload: string, db = 'rel') =>
  new Promise<Error | undefined>((resolve) => writer.accept(db, 'ns', payload, lines, new Owner(resolve)));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function count(
  server: InfluxDB3Server,
  q = 'SELECT count(*) AS n, sum(seq) AS s FROM iot_sensors',
  db = 'rel',
): Promise<{ n: number; s: number }> {
  const res = await fetch(`${server.url}/api/v3/query_sql?db=${db}&q=${encodeURIComponent(q)}`, {
    headers: { authorization: 'Bearer t' },
  });
  if (res.status === 404) return { n: 0, s: 0 };
  should(res.status).equal(200, await res.clone().text());
  const [row] = await res.json();
  return row ?? { n: 0, s: 0 };
}

const sumTo = (n: number) => (n * (n - 1)) / 2;

describe('durable writer against the InfluxDB 3 compatible server', function () {
  this.timeout(60_000);
  let dir: string;
  let server: InfluxDB3Server;
  let h: Harness | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-'));
  });
  afterEach(async () => {
    await h?.writer.stop(100);
    h?.http.close();
    h = undefined;
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes 4,999 good lines of a batch and hands back the one bad line with the server's reason", async () => {
    server = await startInfluxDB3({ token: 't' });
    h = await open(server, dir);
    await settle(h.writer, 1, line(0));
    const lines = Array.from({ length: 5000 }, (_, i) => line(i));
    lines[2500] = `iot_sensors,device_id=BAD temperature="hot",seq=2500i ${T0 + 2500000n}`;
    const err = await settle(h.writer, 5000, lines.join('\n'));
    should(err).equal(undefined, 'a partial write is not an error for done');
    should((await count(server)).n).equal(4999);
    should(h.rejected.length).equal(1);
    should(h.rejected[0].lines.length).equal(1);
    should(h.rejected[0].lines[0].line).equal(lines[2500], "the whole line, not the server's 20-byte excerpt");
    should(h.rejected[0].lines[0].lineNumber).equal(2501);
    should(h.rejected[0].lines[0].message).match(/invalid column type for column 'temperature'/);
  });

  it('splits a batch the server refuses as too large (413) until every part fits, and writes it all', async () => {
    server = await startInfluxDB3({ token: 't', maxRequestBytes: 64 * 1024 });
    h = await open(server, dir);
    (h.http as unknown as { settings: { gzipThreshold: number } }).settings.gzipThreshold = 1e9; // no gzip: make the body really large
    const err = await settle(h.writer, 10_000, batch(0, 10_000));
    should(err).equal(undefined);
    should(await count(server)).eql({ n: 10_000, s: sumTo(10_000) });
    should(h.written.length >= 16).be.true(`${h.written.length} writes after splitting`);
    should(h.rejected.length).equal(0);
  });

  it('keeps a batch that failed with 503 in the spool and writes it after the Retry-After the server sent', async () => {
    server = await startInfluxDB3({ token: 't' });
    h = await open(server, dir);
    server.faults.failNextWrites(2, 503, 1);
    const t0 = Date.now();
    should(await settle(h.writer, 100, batch(0, 100))).equal(undefined, 'done once it is safe in the spool');
    await until('written', () => h!.written.length > 0);
    should(Date.now() - t0 >= 1900).be.true(`two Retry-After: 1 waits, took ${Date.now() - t0} ms`);
    should(h.written[0].fromSpool).equal(true);
    should(await count(server)).eql({ n: 100, s: sumTo(100) });
  });

  it('rides out an outage: spools past its memory limit and writes every line exactly once when the server is back', async () => {
    server = await startInfluxDB3({ token: 't', walFlushMs: 50 });
    h = await open(server, dir, { maxQueueBytes: 200 * 1024 });
    const per = 500;
    let sent = 0;
    const dones: Promise<Error | undefined>[] = [];
    const sendSome = (k: number) => {
      for (let j = 0; j < k; j++) {
        dones.push(settle(h!.writer, per, batch(sent, per)));
        sent += per;
      }
    };
    sendSome(10);
    await until('the first lines are written', () => h!.written.length > 0);
    await server.faults.refuseConnections(true);
    for (let k = 0; k < 20; k++) {
      sendSome(4);
      await new Promise((r) => setTimeout(r, 50));
    }
    should(h.writer.spooledLines > 0).be.true('the outage filled memory and went to the spool');
    should(h.writer.state).equal('retrying');
    await server.faults.refuseConnections(false);
    sendSome(10);
    const errors = (await Promise.all(dones)).filter(Boolean);
    should(errors).eql([]);
    await until(
      'everything is written',
      () => h!.writer.spooledLines === 0 && h!.writer.waitingLines === 0 && h!.writer.state !== 'retrying',
    );
    await until('the database has every line', async () => (await count(server)).n === sent);
    should(await count(server)).eql({ n: sent, s: sumTo(sent) }, 'each line once, values intact');
  });

  it('keeps what it could not write in the spool on stop, and a new writer on the same spool writes it', async () => {
    server = await startInfluxDB3({ token: 't' });
    await server.faults.refuseConnections(true);
    const first = await open(server, dir);
    const dones = [settle(first.writer, 300, batch(0, 300)), settle(first.writer, 300, batch(300, 300))];
    await new Promise((r) => setTimeout(r, 200));
    await first.writer.stop(100);
    first.http.close();
    should(await Promise.all(dones)).eql([undefined, undefined], 'kept on disk counts as done');
    await server.faults.refuseConnections(false);
    h = await open(server, dir);
    await until('the spool is replayed', async () => (await count(server)).n === 600);
    should(await count(server)).eql({ n: 600, s: sumTo(600) });
    should(h.written.every((w) => w.fromSpool)).be.true();
  });

  it('hands back a batch the server can never take (401) whole, with an error for done', async () => {
    server = await startInfluxDB3({ token: 't' });
    h = await open(server, dir, {}, 'wrong-token');
    const err = await settle(h.writer, 3, batch(0, 3));
    should(String(err?.message)).match(/refused 3 line\(s\) for database "rel" \(401\)/);
    should(h.rejected[0].lines.length).equal(3);
    should(h.rejected[0].reason).match(/check the token/);
    should(!JSON.stringify(h.rejected).includes('wrong-token')).be.true('the token is in no message');
  });
});
