// influxdb3-write's engine (DurableWriter) measured two ways, each against its named baseline in
// the same run:
//  1. "bare sink": a server that only counts bytes. Baseline: the same 5,000-line bodies posted with
//     plain http.request, 4 at a time (the ceiling of the client side). Target: writer >= 80% of it.
//  2. "WAL flush": the project's InfluxDB 3 compatible server acknowledging after a 1 s WAL flush, as
//     Core does. Baseline: the reference collector's pattern, one sequential client.write() per
//     5,000-line batch. Target: writer >= 4x its lines/s.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InfluxDBClient } from '@influxdata/influxdb3-client';
import { DurableWriter, Owner, WRITER_DEFAULTS } from '../../nodes/lib/influxdb3/durable-writer';
import { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';
import { WriteSpool } from '../../nodes/lib/influxdb3/write-spool';
import { setLogger } from '@influxdata/influxdb3-client';
import { startInfluxDB3 } from '../support/influxdb3/server';

const BATCH = 5000;
const T0 = 1795342500000000000n;

function bodies(lines: number, offset = 0): string[] {
  const out: string[] = [];
  for (let start = 0; start < lines; start += BATCH) {
    const ls: string[] = [];
    for (let i = start; i < start + BATCH; i++) {
      const n = i + offset;
      ls.push(
        `iot_sensors,device_id=TEMP_${String(n % 50).padStart(3, '0')},device_type=temperature,floor=${(n % 3) + 1},location=warehouse_a temperature=${20 + (n % 100) / 10},humidity=${40 + (n % 40)},battery_level=${99 - (n % 50) / 100},signal_strength=-${40 + (n % 50)}i ${T0 + BigInt(n) * 1_000_000n}`,
      );
    }
    out.push(ls.join('\n'));
  }
  return out;
}

async function withWriter<T>(
  url: string,
  token: string | undefined,
  run: (w: DurableWriter) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-writer-'));
  const httpClient = new InfluxDB3Http({
    url,
    token,
    timeoutMs: 30_000,
    gzipThreshold: 1000,
    headers: {},
    rejectUnauthorized: true,
    maxSockets: 8,
  });
  const { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 30, policy: 'reject' });
  const writer = new DurableWriter(httpClient, spool, WRITER_DEFAULTS, {
    written: () => undefined,
    rejected: () => undefined,
    warn: (m) => console.warn(m),
    changed: () => undefined,
  });
  writer.start();
  try {
    return await run(writer);
  } finally {
    await writer.stop(1000);
    httpClient.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines per second for the writer to take and write every body. */
async function writerRate(url: string, token: string | undefined, data: string[]): Promise<number> {
  return withWriter(url, token, async (w) => {
    const t0 = process.hrtime.bigint();
    await Promise.all(
      data.map(
        (b) =>
          new Promise<void>((resolve, reject) =>
            w.accept('bench', 'ns', b, BATCH, new Owner((e) => (e ? reject(e) : resolve()))),
          ),
      ),
    );
    return (data.length * BATCH) / (Number(process.hrtime.bigint() - t0) / 1e9);
  });
}

async function bareSink(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

/** The ceiling: the same lines as 10,000-line bodies (what the writer coalesces to), gzipped off
 *  the main thread and posted with http.request, 4 at a time; nothing else. */
async function plainRate(url: string, data: string[]): Promise<number> {
  const zlib = await import('node:zlib');
  const { promisify } = await import('node:util');
  const gzip = promisify(zlib.gzip);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const joined: string[] = [];
  for (let i = 0; i < data.length; i += 2) joined.push(data.slice(i, i + 2).join('\n'));
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < joined.length) {
        const body = await gzip(joined[next++]);
        await new Promise<void>((resolve, reject) => {
          const req = http.request(
            `${url}/api/v3/write_lp?db=bench&precision=nanosecond&accept_partial=true`,
            { method: 'POST', agent, headers: { 'content-encoding': 'gzip' } },
            (res) => {
              res.resume();
              res.on('end', () => resolve());
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      }
    }),
  );
  agent.destroy();
  return (data.length * BATCH) / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function benchWriter(): Promise<void> {
  setLogger({ error: () => undefined, warn: () => undefined });
  const fmt = (r: number) => `${Math.round(r).toLocaleString('en')} lines/s`;

  const data = bodies(200_000);
  const sink = await bareSink();
  const ratios: number[] = [];
  let last = { writer: 0, plain: 0 };
  for (let round = 0; round < 3; round++) {
    const plain = await plainRate(sink.url, data);
    const writer = await writerRate(sink.url, undefined, data);
    ratios.push(writer / plain);
    last = { writer, plain };
  }
  await sink.stop();
  ratios.sort((a, b) => a - b);
  console.log(
    `writer to a bare HTTP sink, 200,000 lines in 5,000-line batches: writer ${fmt(last.writer)}, baseline "plain http.request of the same lines, 4 in flight" ${fmt(last.plain)}; median ratio ${ratios[1].toFixed(2)} (target >= 0.80)`,
  );

  const server = await startInfluxDB3({ walFlushMs: 1000 });
  try {
    const seqData = bodies(50_000, 0);
    const client = new InfluxDBClient({ host: server.url, token: 'unused', database: 'bench' });
    const t0 = process.hrtime.bigint();
    for (const b of seqData) await client.write(b, 'bench');
    const sequential = (seqData.length * BATCH) / (Number(process.hrtime.bigint() - t0) / 1e9);
    await client.close();
    const writer = await writerRate(server.url, undefined, bodies(200_000, 1_000_000));
    console.log(
      `writer against the test server with a 1 s WAL flush: writer ${fmt(writer)}, baseline "one sequential client.write() per 5,000-line batch" ${fmt(sequential)}; ratio ${(writer / sequential).toFixed(2)} (target >= 4)`,
    );
  } finally {
    await server.stop();
  }
}
