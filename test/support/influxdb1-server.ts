// Debian's InfluxDB 1.x server (package `influxdb`), started on loopback ports in a temporary
// directory: an independent line-protocol parser to check our encoder against.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function findInfluxd(): string | undefined {
  for (const p of ['/usr/bin/influxd', '/usr/local/bin/influxd']) if (fs.existsSync(p)) return p;
  const which = spawnSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Influxdb1 {
  url: string;
  query(db: string, q: string): Promise<string>;
  write(db: string, body: string, precision?: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export async function startInfluxdb1(binary: string): Promise<Influxdb1> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'influxd1-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'influxdb.conf');
  fs.writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${dir}/meta"`,
      '[data]',
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  query-log-enabled = false',
      '[http]',
      '  enabled = true',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '[subscriber]',
      '  enabled = false',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn(binary, ['-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`influxd exited (${proc.exitCode}): ${stderr}`);
    try {
      if ((await fetch(`${url}/ping`)).status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`influxd did not answer /ping within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const query = async (db: string, q: string) => {
    const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ns&q=${encodeURIComponent(q)}`, {
      method: 'POST',
    });
    return res.text();
  };
  return {
    url,
    query,
    async write(db, body, precision = 'ns') {
      const res = await fetch(`${url}/write?db=${encodeURIComponent(db)}&precision=${precision}`, {
        method: 'POST',
        body,
      });
      return { status: res.status, body: await res.text() };
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** JSON of a query result with nanosecond times kept exact (as strings). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- InfluxDB 1.x answers of any shape
export function parseExactTimes(text: string): any {
  return JSON.parse(text.replace(/\[(-?\d{16,}),/g, '["$1",'));
}
