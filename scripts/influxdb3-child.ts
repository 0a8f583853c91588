// The playground's InfluxDB 3 compatible test server in a process of its own: its SQL engine
// (DuckDB) loads a day of readings in one go when first asked, which would hold Node-RED's event
// loop for seconds if they shared a process. It is not in npm start's process group, so Ctrl-C
// reaches npm start alone, which stops Node-RED first and the server after; it ends by itself when
// npm start is gone (its IPC channel closes).
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface InfluxDB3Child {
  url: string;
  stop(): Promise<void>;
}

export function startInfluxDB3Child(o: { port: number; dataDir: string }): Promise<InfluxDB3Child> {
  const cli = path.join(__dirname, '..', 'test', 'support', 'influxdb3', 'cli.js');
  const child = spawn(
    process.execPath,
    [cli, '--port', String(o.port), '--data-dir', o.dataDir, '--wal-flush-ms', '1000'],
    { detached: true, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  const stdout = child.stdout!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /on (http:\/\/\S+)/.exec(out)?.[1];
      if (!url) return;
      stdout.removeAllListeners('data');
      stdout.resume();
      resolve({
        url,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`the InfluxDB 3 test server did not start: ${out.trim()}`)));
  });
}
