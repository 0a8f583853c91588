// Memory of the writer during a 60 s outage at 5,000 readings/s: the peak RSS of the process
// against the configured memory limit plus a fixed overhead. The fixed overhead is measured, not
// guessed: the peak RSS of the same stream for the same time with the server up, when the writer
// holds next to nothing, in a fresh process like the outage run (Node.js, V8's heap sizing and
// the stream itself). Each run is its own process, and the test server runs in a process of its
// own (npm run influxdb3's entry point), stopped for the outage and started again on the same
// port, so the measured process holds only the writer and its data.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DurableWriter, Owner, WRITER_DEFAULTS } from '../../nodes/lib/influxdb3/durable-writer';
import { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';
import { WriteSpool } from '../../nodes/lib/influxdb3/write-spool';

const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? 60_000);
const LIMIT = 32 * 1024 * 1024;
const PER_TICK = 500;
const T0 = 1795342500000000000n;

interface RunResult {
  readings: number;
  startRss: number;
  peakRss: number;
  peakWriterBytes: number;
  peakSpooledLines: number;
  written: number;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startServer(port: number): Promise<ChildProcess> {
  const cli = path.join(__dirname, '..', 'support', 'influxdb3', 'cli.js');
  const child = spawn(process.execPath, [cli, '--port', String(port), '--wal-flush-ms', '1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`test server exited (${code})`)));
  });
  return child;
}

export const stopServer = (child: ChildProcess) =>
  new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One run, in this process: 5 s of stream, `outageMs` with the server stopped (or up, for the
 *  baseline, for as long), 10 s more, then everything written. */
async function run(outageMs: number, withOutage: boolean): Promise<RunResult> {
  const port = await freePort();
  let server = await startServer(port);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
  const http = new InfluxDB3Http({
    url: `http://127.0.0.1:${port}`,
    timeoutMs: 5000,
    gzipThreshold: 1000,
    headers: {},
    rejectUnauthorized: true,
    maxSockets: 8,
  });
  const { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 30, policy: 'reject' });
  const writer = new DurableWriter(
    http,
    spool,
    { ...WRITER_DEFAULTS, maxQueueBytes: LIMIT, retryMaxMs: 5000 },
    { written: () => undefined, rejected: () => undefined, warn: (m) => console.warn(m), changed: () => undefined },
  );
  writer.start();
  (globalThis as { gc?: () => void }).gc?.();
  const result: RunResult = {
    readings: 0,
    startRss: process.memoryUsage().rss,
    peakRss: 0,
    peakWriterBytes: 0,
    peakSpooledLines: 0,
    written: 0,
  };
  const probe = setInterval(() => {
    result.peakRss = Math.max(result.peakRss, process.memoryUsage().rss);
    result.peakWriterBytes = Math.max(result.peakWriterBytes, writer.memoryBytes);
    result.peakSpooledLines = Math.max(result.peakSpooledLines, writer.spooledLines);
  }, 250);
  const stream = setInterval(() => {
    const lines: string[] = [];
    for (let k = 0; k < PER_TICK; k++, result.readings++) {
      const n = result.readings;
      lines.push(
        `iot_sensors,device_id=TEMP_${String(n % 50).padStart(3, '0')},location=warehouse_a temperature=${(n % 1000) / 10},seq=${n}i ${T0 + BigInt(n) * 1_000_000n}`,
      );
    }
    writer.accept('bench', 'ns', lines.join('\n'), PER_TICK, new Owner(() => undefined));
  }, 100);
  await sleep(5000);
  if (withOutage) await stopServer(server);
  await sleep(outageMs);
  if (withOutage) server = await startServer(port);
  await sleep(10_000);
  clearInterval(stream);
  while (writer.writtenLines < result.readings && writer.state !== 'idle') await sleep(100);
  clearInterval(probe);
  result.written = writer.writtenLines;
  await writer.stop(2000);
  http.close();
  await stopServer(server);
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

/** Runs one scenario in a fresh process, as the Node-RED process would be. */
function runInChild(withOutage: boolean): Promise<RunResult> {
  const child = spawn(process.execPath, ['--expose-gc', __filename, withOutage ? 'outage' : 'baseline'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`memory run exited ${code}: ${out}`));
      else resolve(JSON.parse(last) as RunResult);
    }),
  );
}

export async function benchWriterMemory(): Promise<void> {
  const baseline = await runInChild(false);
  const outage = await runInChild(true);
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  const allowed = LIMIT + baseline.peakRss;
  for (const [name, r] of [
    ['no outage', baseline],
    ['outage', outage],
  ] as const) {
    if (r.written !== r.readings) throw new Error(`${name}: ${r.written} of ${r.readings} readings written`);
  }
  console.log(
    `writer memory, ${OUTAGE_MS / 1000} s outage at 5,000 readings/s (${outage.readings.toLocaleString('en')} readings, all written; spool peak ${outage.peakSpooledLines.toLocaleString('en')} lines, writer's own peak ${mb(outage.peakWriterBytes)}): ` +
      `peak RSS ${mb(outage.peakRss)}; memory limit ${mb(LIMIT)} + fixed overhead ${mb(baseline.peakRss)} (peak RSS of the same stream with the server up) = ${mb(allowed)}; ` +
      `${outage.peakRss <= allowed ? 'within it' : 'OVER it'} (outage peak above the no-outage peak: ${mb(outage.peakRss - baseline.peakRss)}; RSS at the start of each run: ${mb(baseline.startRss)}, ${mb(outage.startRss)})`,
  );
}

if (require.main === module && (process.argv[2] === 'outage' || process.argv[2] === 'baseline')) {
  run(OUTAGE_MS, process.argv[2] === 'outage').then(
    (r) => {
      console.log(JSON.stringify(r));
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
