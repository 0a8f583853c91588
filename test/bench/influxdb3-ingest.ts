// The test server's ingest rate through POST /api/v3/write_lp (target: at least 500,000 lines/s on
// one core, so it is never the bottleneck of the writer's benchmarks), against the named baseline
// "HTTP floor": the same requests to a server that only reads the body and answers 204.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileSchema } from '../../nodes/lib/compiled-schema';
import { createLineBytesEncoder } from '../../nodes/lib/line-encoder';
import { LineWriter } from '../../nodes/lib/line-writer';
import { referenceSchema } from '../../nodes/lib/reference-schema';
import { startInfluxDB3 } from '../support/influxdb3/server';
import { fleetReadings } from './fleet-readings';

const LINES = 400_000;
const BATCH = 10_000;
const IN_FLIGHT = 4;

/** Reference-fleet batches of 10,000 lines, as the line-protocol node writes them. */
function batches(): string[] {
  const readings = fleetReadings(LINES);
  const encode = createLineBytesEncoder(compileSchema(referenceSchema()));
  const w = new LineWriter(4 << 20);
  const out: string[] = [];
  for (let start = 0; start < readings.length; start += BATCH) {
    w.reset();
    for (let i = start; i < Math.min(start + BATCH, readings.length); i++) encodeInto(i);
    out.push(w.toString());
  }
  return out;
  function encodeInto(i: number) {
    encode(w, readings[i], Date.now());
  }
}

/** Posts every body, IN_FLIGHT at a time, and returns lines per second. */
async function post(url: string, bodies: string[], lines: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const target = new URL(`${url}/api/v3/write_lp?db=bench&precision=nanosecond`);
  const one = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'text/plain; charset=utf-8' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) await one(bodies[next++]);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  return lines / seconds;
}

async function floorServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: () => new Promise((r) => server.close(() => r())) };
}

export async function benchServerIngest(): Promise<{ server: number; floor: number }> {
  const bodies = batches();
  const lines = bodies.reduce((n, b) => n + b.split('\n').length, 0);
  const rounds: { server: number; floor: number }[] = [];
  for (let round = 0; round < 3; round++) {
    (globalThis as { gc?: () => void }).gc?.();
    const floor = await floorServer();
    const floorRate = await post(floor.url, bodies, lines);
    await floor.stop();
    const server = await startInfluxDB3({ walFlushMs: 0 });
    const serverRate = await post(server.url, bodies, lines);
    await server.stop();
    rounds.push({ server: serverRate, floor: floorRate });
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[1];
  const result = { server: median(rounds.map((r) => r.server)), floor: median(rounds.map((r) => r.floor)) };
  console.log(
    `test server ingest, ${lines.toLocaleString('en')} reference-fleet lines in ${BATCH.toLocaleString('en')}-line writes, ${IN_FLIGHT} in flight: ` +
      `${Math.round(result.server).toLocaleString('en')} lines/s (target >= 500,000); HTTP floor ${Math.round(result.floor).toLocaleString('en')} lines/s; ratio ${(result.server / result.floor).toFixed(2)}`,
  );
  return result;
}
