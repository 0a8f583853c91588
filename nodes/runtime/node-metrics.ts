// A node's share of the pipeline's health metrics (lib/metrics/pipeline-metrics.ts): what every
// node counts the same way (messages in and out, readings judged, a durable writer's lines,
// latency and queues), and the admin path a Prometheus scraper reads.

import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { DurableWriter, WriterEvents } from '../lib/influxdb3/durable-writer';
import { NodeMeter, pipelineMetrics } from '../lib/metrics/pipeline-metrics';
import type { Done, Send } from './input-callbacks';

/** The path under Node-RED's admin root (httpAdminRoot) that answers in Prometheus's text format. */
export const METRICS_PATH = '/influxdb3-pipeline/metrics';

/** A meter for the node, gone when the node closes. Every message the node sends is counted: the
 *  `send` Node-RED hands an input listener calls node.send too. */
export function meterOf(node: Node): NodeMeter {
  const meter = pipelineMetrics.meter({ type: node.type, id: node.id, name: node.name });
  const send = node.send.bind(node);
  node.send = (msg) => {
    meter.messagesOut += countMessages(msg);
    send(msg);
  };
  node.on('close', () => meter.close());
  return meter;
}

type Listener = (msg: NodeMessageInFlow, send: Send, done: Done) => void;

/** An input listener that counts the messages it is given (three parameters, as Node-RED needs). */
export function counted(meter: NodeMeter, listener: Listener): Listener {
  return (msg, send, done) => {
    meter.messagesIn++;
    listener(msg, send, done);
  };
}

function countMessages(msg: unknown): number {
  if (msg === null || msg === undefined) return 0;
  if (!Array.isArray(msg)) return 1;
  let n = 0;
  for (const m of msg) n += countMessages(m);
  return n;
}

/** Readings a node took and the rejected-readings messages it made of some (each with
 *  error.code): the rest went on. A payload refused whole counts as one reading refused. */
export function countReadings(meter: NodeMeter, readings: number, rejections: readonly NodeMessage[]): void {
  meter.readingsIn += Math.max(readings, rejections.length);
  meter.readingsOut += Math.max(0, readings - rejections.length);
  for (const r of rejections) meter.refuse((r as { error?: { code?: string } }).error?.code ?? 'refused');
}

/** A durable writer's events, also counted: lines written, how long writes took. */
export function meteredWriterEvents(meter: NodeMeter, events: WriterEvents): WriterEvents {
  return {
    ...events,
    written: (s) => {
      meter.linesWritten += s.lines;
      meter.observeWrite(s.durationMs);
      events.written(s);
    },
  };
}

/** What a durable writer holds: in memory (waiting and in flight) and in its disk spool. */
export function watchWriter(meter: NodeMeter, writer: () => DurableWriter | undefined): void {
  meter.readings.waiting = () => {
    const w = writer();
    if (!w) return {};
    return {
      buffer: { bytes: w.memoryBytes, items: w.waitingLines },
      spool: { bytes: w.spooledBytes, items: w.spooledLines },
    };
  };
  meter.readings.writerLines = () => {
    const w = writer();
    return w ? { refused: w.rejectedLines, dropped: w.droppedLines } : { refused: 0, dropped: 0 };
  };
}

/** The admin apps already serving the path (a test runtime makes a new one at each load). */
const served = new WeakSet<object>();

/** GET <httpAdminRoot>/influxdb3-pipeline/metrics: every node's metrics for a Prometheus scraper.
 *  Node-RED's adminAuth decides who may read (a scraper sends a token Node-RED accepts). */
export function serveMetrics(RED: NodeAPI): void {
  if (served.has(RED.httpAdmin)) return;
  served.add(RED.httpAdmin);
  RED.httpAdmin.get(METRICS_PATH, RED.auth.needsPermission('telemetry-metrics.read'), (_req, res) => {
    pipelineMetrics
      .text()
      .then(
        (text) => res.set('Content-Type', pipelineMetrics.contentType).send(text),
        (e: unknown) => res.status(500).send(`the metrics could not be read: ${String(e)}`),
      )
      .catch(() => undefined); // the answer could not be sent (the client left): nothing to do
  });
}
