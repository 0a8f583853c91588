// Memory of the writer during a 60 s outage at 5,000 readings/s: the process RSS against the
// configured memory limit plus a fixed overhead (the RSS before the stream started). The test
// server runs in its own process (npm run influxdb3's entry point), stopped for the outage and
// started again on the same port, so this process holds only the writer and its data.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DurableWriter, Owner, WRITER_DEFAULTS } from '../../nodes/lib/durable-writer';
import { InfluxDB3Http } from '../../nodes/lib/influxdb3-http';
import { WriteSpool } from '../../nodes/lib/write-spool';

const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? 60_000);
const LIMIT = 32 * 1024 * 1024;
const PER_TICK = 500;
const T0 = 1795342500000000000n;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function startServer(port: number): Promise<ChildProcess> {
  const cli = path.join(__dirname, '..', 'support', 'influxdb3', 'cli.js');
  const child = spawn(process.execPath, [cli, '--port', String(port), '--wal-flush-ms', '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`test server exited (${code})`)));
  });
  return child;
}

const stopServer = (child: ChildProcess) => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM')));

export async function benchWriterMemory(): Promise<void> {
  const port = await freePort();
  let server = await startServer(port);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
  const http = new InfluxDB3Http({ url: `http://127.0.0.1:${port}`, timeoutMs: 5000, gzipThreshold: 1000, headers: {}, rejectUnauthorized: true, maxSockets: 8 });
  const { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 30, policy: 'reject' });
  const writer = new DurableWriter(http, spool, { ...WRITER_DEFAULTS, maxQueueBytes: LIMIT, retryMaxMs: 5000 }, { written: () => undefined, rejected: () => undefined, warn: (m) => console.warn(m), changed: () => undefined });
  writer.start();
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  let sent = 0;
  const probe = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 250);
  const stream = setInterval(() => {
    const lines: string[] = [];
    for (let k = 0; k < PER_TICK; k++, sent++) lines.push(`iot_sensors,device_id=TEMP_${String(sent % 50).padStart(3, '0')},location=warehouse_a temperature=${(sent % 1000) / 10},seq=${sent}i ${T0 + BigInt(sent) * 1_000_000n}`);
    writer.accept('bench', 'ns', lines.join('\n'), PER_TICK, new Owner(() => undefined));
  }, 100);
  await new Promise((r) => setTimeout(r, 5000));
  await stopServer(server);
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  server = await startServer(port);
  await new Promise((r) => setTimeout(r, 10_000));
  clearInterval(stream);
  clearInterval(probe);
  await writer.stop(2000);
  http.close();
  await stopServer(server);
  fs.rmSync(dir, { recursive: true, force: true });
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  console.log(
    `writer memory, ${OUTAGE_MS / 1000} s outage at 5,000 readings/s (${sent.toLocaleString('en')} readings): RSS before ${mb(base)}, peak ${mb(peak)}; ` +
      `memory limit ${mb(LIMIT)} + fixed overhead (the RSS before) = ${mb(LIMIT + base)}; ${peak <= LIMIT + base ? 'within' : 'OVER'} it (peak above the start: ${mb(peak - base)})`,
  );
}
