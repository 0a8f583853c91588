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
