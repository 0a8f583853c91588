// A DurableWriter with its disk spool under the Node-RED user directory, for a node that writes to
// InfluxDB 3 (influxdb3-write, influxdb3-downsample): one write path, with its retries, 413 splits,
// partial writes and spool, whatever node feeds it.

import type { Node, NodeAPI } from 'node-red';
import os from 'os';
import path from 'path';
import { DurableWriter, WriterEvents, WriterOptions } from '../lib/influxdb3/durable-writer';
import type { InfluxDB3Http } from '../lib/influxdb3/influxdb3-http';
import { SpoolOptions, WriteSpool } from '../lib/influxdb3/write-spool';

/** <userDir>/influxdb3-pipeline/<kind>-<node id>: where a node keeps what must survive a restart. */
export function nodeStatePath(RED: NodeAPI, kind: string, nodeId: string): string {
  return path.join(
    RED.settings.userDir || path.join(os.homedir(), '.node-red'),
    'influxdb3-pipeline',
    `${kind}-${nodeId.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
  );
}

/** Opens the spool in `dir` (reporting damage and what will be replayed) and starts a writer on it. */
export async function openDurableWriter(
  node: Node,
  label: string,
  http: InfluxDB3Http,
  dir: string,
  spool: SpoolOptions,
  options: WriterOptions,
  events: WriterEvents,
): Promise<DurableWriter> {
  const opened = await WriteSpool.open(dir, spool);
  for (const d of opened.damage)
    node.warn(
      `${label}: the spool file ${d.file} was damaged at byte ${d.offset} (${d.bytes} bytes, ${d.reason}); the intact records before and after it are replayed`,
    );
  if (opened.spool.records > 0) node.log(`${label}: replaying ${opened.spool.lines} spooled line(s) from ${dir}`);
  const writer = new DurableWriter(http, opened.spool, options, events);
  writer.start();
  return writer;
}
