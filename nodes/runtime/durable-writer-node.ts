// A DurableWriter with its disk spool under the Node-RED user directory, for a node that writes to
// InfluxDB 3 (influxdb3-write, influxdb3-downsample): one write path, with its retries, 413 splits,
// partial writes and spool, whatever node feeds it.

import type { Node } from 'node-red';
import { DurableWriter, WriterEvents, WriterOptions } from '../lib/influxdb3/durable-writer';
import { ensureDatabase } from '../lib/influxdb3/database-retention';
import type { InfluxDB3Http } from '../lib/influxdb3/influxdb3-http';
import { SpoolOptions, WriteSpool } from '../lib/influxdb3/write-spool';
import { retryDelayMs } from '../lib/retry-delay';

/** Opens the spool in `dir` (reporting damage and what will be replayed) and starts a writer on it,
 *  paused when asked (see DurableWriter.pause). */
export async function openDurableWriter(
  node: Node,
  label: string,
  http: InfluxDB3Http,
  dir: string,
  spool: SpoolOptions,
  options: WriterOptions,
  events: WriterEvents,
  paused = false,
): Promise<DurableWriter> {
  const opened = await WriteSpool.open(dir, spool);
  for (const d of opened.damage)
    node.warn(
      `${label}: the spool file ${d.file} was damaged at byte ${d.offset} (${d.bytes} bytes, ${d.reason}); the intact records before and after it are replayed`,
    );
  if (opened.spool.records > 0) node.log(`${label}: replaying ${opened.spool.lines} spooled line(s) from ${dir}`);
  const writer = new DurableWriter(http, opened.spool, options, events);
  if (paused) writer.pause();
  writer.start();
  return writer;
}

/** Creates `database` with its retention when it is missing (see ensureDatabase) and says so in
 *  the log; an existing database with another retention is a warning. */
export async function createDatabase(
  node: Node,
  label: string,
  http: InfluxDB3Http,
  database: string,
  retention: string,
): Promise<void> {
  const outcome = await ensureDatabase(http, database, retention);
  if (outcome.kind === 'created') node.log(`${label}: created database "${database}" with retention ${retention}`);
  else if (outcome.kind === 'different' || outcome.kind === 'unknown') node.warn(`${label}: ${outcome.message}`);
}

/** Creates `database` with its retention before anything is written (see createDatabase), trying
 *  again with a backoff while the server cannot be reached, then lets the writer go. */
export function createDatabaseThenWrite(
  node: Node,
  label: string,
  http: InfluxDB3Http,
  writer: DurableWriter,
  database: string,
  retention: string,
  isClosing: () => boolean,
): void {
  let attempt = 0;
  const tryOnce = () => {
    if (isClosing()) return;
    createDatabase(node, label, http, database, retention).then(
      () => writer.resume(),
      (e) => {
        attempt++;
        const wait = retryDelayMs(attempt, 1000, 60_000);
        if (attempt === 1 || attempt % 10 === 0)
          node.warn(
            `${label}: cannot create the database "${database}" yet (${(e as Error).message}); writes wait, trying again in ${wait / 1000} s`,
          );
        setTimeout(tryOnce, wait).unref();
      },
    );
  };
  tryOnce();
}
