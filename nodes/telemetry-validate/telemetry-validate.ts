// telemetry-validate: checks readings against the telemetry schema and coerces them to their
// declared types. Output 1: valid readings in the shape they came in. Output 2: each refused
// reading, untouched, with msg.error {code, message, field}. Every reading leaves exactly once.
// Readings POSTed through a core http in node are answered from here once they are durable (see
// lib/http/request-answers.ts): 200, or 422 listing each refused reading with its reason.

import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { compileSchema } from '../lib/schema/compiled-schema';
import { PayloadLimits, decodePayload } from '../lib/schema/payload';
import { ReadingValidator, createReadingValidator } from '../lib/schema/reading-validator';
import type { ReadingError } from '../lib/schema/reading-error';
import { errorMessage } from '../lib/settings';
import { receiptsOf } from '../lib/receipts/receipts';
import type { Done, Send } from '../runtime/input-callbacks';
import { Judged, judged, receiptsAfterJudging, rejectionMessage } from '../runtime/readings-in-messages';
import { compactCount } from '../lib/node-io';
import { ThrottledStatus } from '../runtime/node-status';
import { schemaFor } from '../runtime/schema-config-node';
import { HttpInRequests } from '../runtime/http-in-requests';
import { counted, meterOf } from '../runtime/node-metrics';
import { settings } from './settings';

export = function (RED: NodeAPI) {
  function TelemetryValidateNode(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    const meter = meterOf(node);
    let validate: ReadingValidator | undefined;
    let limits: PayloadLimits | undefined;
    let setupError: string | undefined;
    let requests: HttpInRequests | undefined;
    try {
      const c = settings.read(raw);
      validate = createReadingValidator(compileSchema(schemaFor(RED, c.schema)), {
        missingTimestamp: c.missingTimestamp,
        maxFutureMs: c.maxFutureSec * 1000,
        maxPastMs: c.maxPastDays * 86_400_000,
        maxKeys: c.maxKeys,
      });
      limits = { maxPayloadBytes: c.maxPayloadBytes, maxReadings: c.maxReadings, maxDepth: c.maxDepth };
      if (c.httpAnswer === 'stored') requests = new HttpInRequests(node.id, c.httpTimeoutSec * 1000);
    } catch (e) {
      setupError = errorMessage(e);
      node.error(setupError);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    // The counts are the metrics' (readings in, passed on). Made once: a message costs the status
    // a call, not a closure.
    const describeCounts = () => ({
      fill: meter.readingsIn > meter.readingsOut ? ('yellow' as const) : ('green' as const),
      shape: 'dot' as const,
      text: `✓${compactCount(meter.readingsOut)} ✗${compactCount(meter.readingsIn - meter.readingsOut)}`,
    });
    const showCounts = () => status.set(describeCounts);

    const verdict: Judged = judged();

    node.on(
      'input',
      counted(meter, (msg: NodeMessageInFlow, send: Send, done: Done) => {
        try {
          if (!validate || !limits) return done(new Error(setupError));
          const now = Date.now();
          const decoded = decodePayload(msg.payload, limits);
          if (decoded.kind === 'refused') {
            meter.readingsIn++;
            meter.refuse(decoded.error.code);
            requests?.refuseWhole(msg, decoded.error);
            carryReceipts(node, verdict, msg, 0, undefined, undefined, decoded.error);
            send([null, rejectionMessage(msg, msg.payload, decoded.error)]);
          } else if (decoded.kind === 'one') {
            requests?.take(msg, 1);
            meter.readingsIn++;
            const error = validate(decoded.reading, now);
            if (error) {
              meter.refuse(error.code);
              carryReceipts(node, verdict, msg, 1, [0], [error]);
              send([null, rejectionMessage(msg, msg.payload, error)]);
            } else {
              meter.readingsOut++;
              msg.payload = decoded.reading;
              carryReceipts(node, verdict, msg, 1);
              send([msg, null]);
            }
          } else {
            requests?.take(msg, decoded.readings.length);
            const readings = decoded.readings;
            let valid: unknown[] | undefined;
            let rejections: NodeMessage[] | undefined;
            const refusedAt: number[] = [];
            const errors: ReadingError[] = [];
            for (let i = 0; i < readings.length; i++) {
              const error = validate(readings[i], now);
              if (error === undefined) {
                valid?.push(readings[i]);
              } else {
                valid ??= readings.slice(0, i);
                (rejections ??= []).push(rejectionMessage(msg, readings[i], error, i));
                refusedAt.push(i);
                errors.push(error);
              }
            }
            const validOut = valid ?? readings;
            meter.readingsIn += readings.length;
            meter.readingsOut += validOut.length;
            for (const e of errors) meter.refuse(e.code);
            carryReceipts(node, verdict, msg, readings.length, refusedAt, errors);
            if (validOut.length > 0) msg.payload = validOut;
            send([validOut.length > 0 ? msg : null, rejections ?? null]);
          }
          showCounts();
          done();
        } catch (e) {
          done(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      requests?.close();
      status.stop();
      done();
    });
  }
  RED.nodes.registerType('telemetry-validate', TelemetryValidateNode);
};

/** Receipts (telemetry-mqtt-in's, or an HTTP request's) go on with the valid readings; the
 *  refused ones are settled with their reasons, since they leave on output 2. Only messages that
 *  carry some pay for this (none refused: no arrays are made for it). */
function carryReceipts(
  node: Node,
  verdict: Judged,
  msg: NodeMessageInFlow,
  readings: number,
  refusedAt?: number[],
  errors?: ReadingError[],
  whole?: ReadingError,
): void {
  if (!receiptsOf(msg)) return;
  verdict.readings = readings;
  verdict.refused = refusedAt ?? [];
  verdict.reasons = errors?.map((e) => e.toJSON()) ?? [];
  verdict.whole = whole?.toJSON();
  const kept = receiptsAfterJudging(msg, verdict, node);
  const m = msg as NodeMessageInFlow & { _receipts?: unknown };
  if (kept) m._receipts = kept;
  else delete m._receipts;
}
