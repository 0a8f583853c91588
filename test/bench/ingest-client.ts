// The load generator of the ingest benchmark, in a worker thread: reference-fleet batches of 10,000
// lines, as the line-protocol node writes them, posted IN_FLIGHT at a time to the URL it is sent.
import http from 'node:http';
import { isMainThread, parentPort } from 'node:worker_threads';
import { compileSchema } from '../../nodes/lib/schema/compiled-schema';
import { createLineBytesEncoder } from '../../nodes/lib/line-protocol/line-encoder';
import { LineWriter } from '../../nodes/lib/line-protocol/line-writer';
import { referenceSchema } from '../../nodes/lib/schema/reference-schema';
import { fleetReadings } from './fleet-readings';

export const LINES = 400_000;
export const BATCH = 10_000;
export const IN_FLIGHT = 4;

function batches(): string[] {
  const readings = fleetReadings(LINES);
  const encode = createLineBytesEncoder(compileSchema(referenceSchema()));
  const w = new LineWriter(4 << 20);
  const out: string[] = [];
  const now = Date.now();
  for (let start = 0; start < readings.length; start += BATCH) {
    w.reset();
    for (let i = start; i < Math.min(start + BATCH, readings.length); i++) encode(w, readings[i], now);
    out.push(w.toString());
  }
  return out;
}

/** Posts every body, IN_FLIGHT at a time, and returns lines per second. */
async function post(url: string, bodies: string[], lines: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const target = new URL(`${url}/api/v3/write_lp?db=bench&precision=nanosecond`);
  const one = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        target,
        { method: 'POST', agent, headers: { 'content-type': 'text/plain; charset=utf-8' } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        },
      );
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

if (!isMainThread && parentPort) {
  const port = parentPort;
  const bodies = batches();
  const lines = bodies.reduce((n, b) => n + b.split('\n').length, 0);
  port.on('message', ({ url }: { url: string }) => {
    post(url, bodies, lines).then(
      (rate) => port.postMessage({ lines, rate }),
      (e) => {
        throw e;
      },
    );
  });
  port.postMessage({ lines, rate: 0 });
}
