// The test server's ingest rate through POST /api/v3/write_lp (target: at least 500,000 lines/s on
// one core, so it is never the bottleneck of the writer's benchmarks), against the named baseline
// "HTTP floor": the same requests to a server that only reads the body and answers 204. The load
// comes from a worker thread (ingest-client.ts), so the server's core does only the server's work.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { startInfluxDB3 } from '../support/influxdb3/server';
import { BATCH, IN_FLIGHT } from './ingest-client';

async function floorServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
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

export async function benchServerIngest(): Promise<{ server: number; floor: number }> {
  const client = new Worker(path.join(__dirname, 'ingest-client.js'));
  const reply = () =>
    new Promise<{ lines: number; rate: number }>((resolve, reject) => {
      client.once('message', resolve);
      client.once('error', reject);
    });
  const { lines } = await reply();
  const post = async (url: string) => {
    const answer = reply();
    client.postMessage({ url });
    return (await answer).rate;
  };
  const rounds: { server: number; floor: number }[] = [];
  for (let round = 0; round < 3; round++) {
    (globalThis as { gc?: () => void }).gc?.();
    const floor = await floorServer();
    const floorRate = await post(floor.url);
    await floor.stop();
    const server = await startInfluxDB3({ walFlushMs: 0 });
    const serverRate = await post(server.url);
    await server.stop();
    rounds.push({ server: serverRate, floor: floorRate });
  }
  await client.terminate();
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[1];
  const result = { server: median(rounds.map((r) => r.server)), floor: median(rounds.map((r) => r.floor)) };
  console.log(
    `test server ingest, ${lines.toLocaleString('en')} reference-fleet lines in ${BATCH.toLocaleString('en')}-line writes, ${IN_FLIGHT} in flight: ` +
      `${Math.round(result.server).toLocaleString('en')} lines/s (target >= 500,000); HTTP floor ${Math.round(result.floor).toLocaleString('en')} lines/s; ratio ${(result.server / result.floor).toFixed(2)}`,
  );
  return result;
}
