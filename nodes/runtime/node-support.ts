// Small pieces every node of the pack needs from Node-RED: settings read with documented defaults
// (so flows saved by older versions keep working), the schema a node uses, the messages of the
// rejected-readings output, and a status that is not redrawn for every message.

import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { LineBytesEncoder } from '../lib/line-protocol/line-encoder';
import type { LineWriter } from '../lib/line-protocol/line-writer';
import { PayloadLimits, decodePayload } from '../lib/schema/payload';
import type { ReadingError } from '../lib/schema/reading-error';
import { referenceSchema } from '../lib/schema/reference-schema';
import { Receipt, Refusal, coveredReadings, keepReceipts, receiptsOf, settleReceipts } from './receipts';
import type { TelemetrySchema } from '../lib/schema/schema';
export { errorMessage } from '../lib/settings';

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;

interface SchemaNode extends Node {
  schema?: TelemetrySchema;
  schemaError?: string;
}

/** The schema of the selected telemetry-schema config node, or the reference fleet's when none is
 *  selected. Throws with the config node's own complaint when it could not build its schema. */
export function schemaFor(RED: NodeAPI, configId: string | undefined): TelemetrySchema {
  if (!configId) return referenceSchema();
  const node = RED.nodes.getNode(configId) as SchemaNode | null;
  if (!node) throw new Error('the selected telemetry-schema node is missing: open this node and select one again');
  if (!node.schema) throw new Error(`the telemetry-schema "${node.name || node.id}" is invalid: ${node.schemaError}`);
  return node.schema;
}

/** A message for the rejected-readings output: the input's properties, the reading untouched,
 *  and error {code, message, field} (plus index when the reading came in an array). */
export function rejectionMessage(
  msg: NodeMessageInFlow,
  reading: unknown,
  error: ReadingError,
  index?: number,
): NodeMessage {
  const out = Object.assign({}, msg) as NodeMessage & { error: object; _receipts?: unknown };
  delete out._receipts; // settled by the node that refuses the reading: it leaves with its reason
  out.payload = reading;
  out.error = index === undefined ? error.toJSON() : { ...error.toJSON(), index };
  return out;
}

/** Encodes a message's readings (one, an array, or JSON text of either) into `lines`, which it
 *  resets first; returns a rejected-readings message for each reading that cannot be encoded.
 *  telemetry-line-protocol and influxdb3-write encode readings the same way through this.
 *  `judged`, when given, is filled with which readings were refused (for receiptsAfterJudging). */
export function encodeReadings(
  msg: NodeMessageInFlow,
  encode: LineBytesEncoder,
  lines: LineWriter,
  limits: PayloadLimits,
  judged?: Judged,
): NodeMessage[] {
  const decoded = decodePayload(msg.payload, limits);
  const rejections: NodeMessage[] = [];
  const now = Date.now();
  lines.reset();
  const refused: number[] = judged ? judged.refused : [];
  refused.length = 0;
  if (judged) judged.reasons.length = 0;
  const one = (reading: unknown, index?: number) => {
    const error = encode(lines, reading, now);
    if (!error) return;
    rejections.push(rejectionMessage(msg, reading, error, index));
    refused.push(index ?? 0);
    judged?.reasons.push(error.toJSON());
  };
  if (decoded.kind === 'refused') rejections.push(rejectionMessage(msg, msg.payload, decoded.error));
  else if (decoded.kind === 'one') one(decoded.reading);
  else decoded.readings.forEach(one);
  if (judged) {
    judged.readings = decoded.kind === 'one' ? 1 : decoded.kind === 'many' ? decoded.readings.length : 0;
    judged.whole = decoded.kind === 'refused' ? decoded.error.toJSON() : undefined;
  }
  return rejections;
}

/** What a node made of a message's readings: how many, which were refused (positions, ascending,
 *  with their reasons), or why the payload was refused whole. */
export interface Judged {
  readings: number;
  refused: number[];
  reasons: Refusal[];
  whole: Refusal | undefined;
}

export function judged(): Judged {
  return { readings: 0, refused: [], reasons: [], whole: undefined };
}

const warnedOfMismatch = new WeakSet<object>();

/** The receipts that go on with a message's accepted readings; those of refused readings are
 *  settled. A message whose readings no longer match its receipts (a node between
 *  telemetry-mqtt-in and here split or changed them) loses them: its journal entries expire. */
export function receiptsAfterJudging(msg: object, j: Judged, node: Node): Receipt[] | undefined {
  const receipts = receiptsOf(msg);
  if (!receipts) return undefined;
  if (j.whole) {
    settleReceipts(receipts, j.whole);
    return undefined;
  }
  const readings = j.readings;
  if (coveredReadings(receipts) !== readings) {
    if (!warnedOfMismatch.has(node)) {
      warnedOfMismatch.add(node);
      node.warn(
        `msg._receipts covers ${coveredReadings(receipts)} reading(s) but the message holds ${readings}: a node between telemetry-mqtt-in and here split or changed its readings. Such messages are not confirmed and leave the journal when their receipts expire.`,
      );
    }
    return undefined;
  }
  return keepReceipts(receipts, j.refused, j.reasons);
}

type Status = Parameters<Node['status']>[0];

/** Node status that is redrawn at most every interval, however many messages pass. The status is
 *  given as a function and only computed when it is drawn. */
export class ThrottledStatus {
  private timer: NodeJS.Timeout | undefined;
  private pending: (() => Status) | undefined;

  constructor(
    private readonly node: Node,
    private readonly intervalMs = 500,
  ) {}

  set(make: () => Status): void {
    this.pending = make;
    if (this.timer) return;
    this.pending = undefined;
    this.node.status(make());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending !== undefined) this.set(this.pending);
    }, this.intervalMs);
  }

  /** Shows a status now and stops any pending redraw (errors, close). */
  now(status: Status): void {
    this.stop();
    this.node.status(status);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}

/** Compact counts for a status under 20 characters: 950, 12.3k, 4.1M. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** A dialog value that is ${NAME}, replaced as Node-RED does at deploy: from the deployed node's
 *  flow and global environment, else the process's (for the editor's test buttons). */
export function withEnvironment(RED: NodeAPI, deployed: Node | null, v: unknown): unknown {
  const name = typeof v === 'string' ? /^\$\{(\S+)\}$/.exec(v.trim())?.[1] : undefined;
  return (name && RED.util.getSetting(deployed as never, name)) || v;
}
