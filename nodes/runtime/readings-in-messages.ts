// Readings in and out of messages, the same way in every node that takes them: encoded into line
// protocol with a rejected-readings message for each one refused, and the receipts that go on with
// the readings that were accepted (see lib/receipts/receipts.ts).

import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { LineBytesEncoder } from '../lib/line-protocol/line-encoder';
import type { LineWriter } from '../lib/line-protocol/line-writer';
import { Receipt, Refusal, coveredReadings, keepReceipts, receiptsOf, settleReceipts } from '../lib/receipts/receipts';
import { PayloadLimits, decodePayload } from '../lib/schema/payload';
import type { ReadingError } from '../lib/schema/reading-error';

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
  const now = Date.now();
  lines.reset();
  // Nothing is made for a message whose readings are all encoded: no closure, no arrays (setting
  // an array's length is a call into the runtime, so an empty one is left alone).
  if (judged) {
    if (judged.refused.length > 0) judged.refused.length = 0;
    if (judged.reasons.length > 0) judged.reasons.length = 0;
  }
  let rejections: NodeMessage[] | undefined;
  if (decoded.kind === 'refused') rejections = [rejectionMessage(msg, msg.payload, decoded.error)];
  else if (decoded.kind === 'one') {
    const error = encode(lines, decoded.reading, now);
    if (error) rejections = [refusedReading(msg, decoded.reading, error, undefined, judged)];
  } else {
    const readings = decoded.readings;
    for (let i = 0; i < readings.length; i++) {
      if (!(i in readings)) continue; // a hole, skipped as forEach skips it
      const error = encode(lines, readings[i], now);
      if (error) (rejections ??= []).push(refusedReading(msg, readings[i], error, i, judged));
    }
  }
  if (judged) {
    judged.readings = decoded.kind === 'one' ? 1 : decoded.kind === 'many' ? decoded.readings.length : 0;
    judged.whole = decoded.kind === 'refused' ? decoded.error.toJSON() : undefined;
  }
  return rejections ?? [];
}

function refusedReading(
  msg: NodeMessageInFlow,
  reading: unknown,
  error: ReadingError,
  index: number | undefined,
  judged: Judged | undefined,
): NodeMessage {
  if (judged) {
    judged.refused.push(index ?? 0);
    judged.reasons.push(error.toJSON());
  }
  return rejectionMessage(msg, reading, error, index);
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
