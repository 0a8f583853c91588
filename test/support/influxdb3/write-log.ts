// The test server's data directory: every write that stored something is appended as it arrived
// (endpoint, parameters, the server clock it was parsed with, body) and replayed through the same
// write path on start, so the playground keeps its data across restarts. A record cut short by a
// crash is ignored. This is the test server's own format, not InfluxDB 3's WAL.

import fs from 'node:fs';
import path from 'node:path';
import type { Endpoint, WriteParams } from './write-protocol';

export interface LoggedWrite {
  endpoint: Endpoint | 'create' | 'last_cache' | 'last_cache_delete';
  params: WriteParams;
  body: string;
  nowNs: bigint;
}

export class WriteLog {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly file: fs.promises.FileHandle) {}

  static async open(dir: string, replay: (entry: LoggedWrite) => void): Promise<WriteLog> {
    await fs.promises.mkdir(dir, { recursive: true });
    const name = path.join(dir, 'writes.log');
    const data = await fs.promises
      .readFile(name)
      .catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(e)));
    let at = 0;
    let good = 0;
    while (at < data.length) {
      const nl = data.indexOf(0x0a, at);
      if (nl < 0) break;
      let header: { endpoint: LoggedWrite['endpoint']; params: WriteParams; nowNs: string; bytes: number };
      try {
        header = JSON.parse(data.subarray(at, nl).toString('utf8'));
      } catch {
        break;
      }
      const end = nl + 1 + header.bytes;
      if (end + 1 > data.length) break;
      replay({
        endpoint: header.endpoint,
        params: header.params,
        nowNs: BigInt(header.nowNs),
        body: data.subarray(nl + 1, end).toString('utf8'),
      });
      at = end + 1;
      good = at;
    }
    // Whatever a crash left half-written is cut off, so new records follow the last whole one.
    if (good < data.length) await fs.promises.truncate(name, good);
    return new WriteLog(await fs.promises.open(name, 'a'));
  }

  append(entry: LoggedWrite): Promise<void> {
    const body = Buffer.from(entry.body, 'utf8');
    const header = JSON.stringify({
      endpoint: entry.endpoint,
      params: entry.params,
      nowNs: String(entry.nowNs),
      bytes: body.length,
    });
    const record = Buffer.concat([Buffer.from(`${header}\n`), body, Buffer.from('\n')]);
    const done = this.queue.then(() => this.file.write(record)).then(() => undefined);
    this.queue = done.catch(() => undefined);
    return done;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.file.close();
  }
}
