// telemetry-validate: checks readings against the telemetry schema and coerces them to their
// declared types. Output 1: valid readings in the shape they came in. Output 2: each refused
// reading, untouched, with msg.error {code, message, field}. Every reading leaves exactly once.

import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { compileSchema } from './lib/schema/compiled-schema';
import { PAYLOAD_DEFAULTS, PayloadLimits, decodePayload } from './lib/schema/payload';
import { ReadingValidator, VALIDATOR_DEFAULTS, createReadingValidator } from './lib/schema/reading-validator';
import { CONFIG_VERSION, errorMessage, numberSetting, oneOf, withDefaults } from './lib/settings';
import {
  Done,
  Judged,
  Send,
  ThrottledStatus,
  compactCount,
  judged,
  receiptsAfterJudging,
  rejectionMessage,
  schemaFor,
} from './runtime/node-support';
import { receiptsOf } from './runtime/receipts';

interface ValidateConfig {
  name: string;
  version: number;
  schema: string;
  missingTimestamp: 'now' | 'reject';
  maxFutureSec: number | string;
  maxPastDays: number | string;
  maxKeys: number | string;
  maxPayloadBytes: number | string;
  maxReadings: number | string;
  maxDepth: number | string;
}

const DEFAULTS: ValidateConfig = {
  name: '',
  version: CONFIG_VERSION,
  schema: '',
  missingTimestamp: VALIDATOR_DEFAULTS.missingTimestamp,
  maxFutureSec: VALIDATOR_DEFAULTS.maxFutureMs / 1000,
  maxPastDays: VALIDATOR_DEFAULTS.maxPastMs / 86_400_000,
  maxKeys: VALIDATOR_DEFAULTS.maxKeys,
  maxPayloadBytes: PAYLOAD_DEFAULTS.maxPayloadBytes,
  maxReadings: PAYLOAD_DEFAULTS.maxReadings,
  maxDepth: PAYLOAD_DEFAULTS.maxDepth,
};

export = function (RED: NodeAPI) {
  function TelemetryValidateNode(this: Node, raw: NodeDef & Partial<ValidateConfig>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    let validate: ReadingValidator | undefined;
    let limits: PayloadLimits | undefined;
    let setupError: string | undefined;
    try {
      const c = withDefaults(raw, DEFAULTS);
      validate = createReadingValidator(compileSchema(schemaFor(RED, c.schema)), {
        missingTimestamp: oneOf(c.missingTimestamp, ['now', 'reject'], 'Missing timestamp'),
        maxFutureMs: numberSetting(c.maxFutureSec, 'Max future (s)', { min: 0 }) * 1000,
        maxPastMs: numberSetting(c.maxPastDays, 'Max age (days)', { min: 0 }) * 86_400_000,
        maxKeys: numberSetting(c.maxKeys, 'Max keys', { min: 1, integer: true }),
      });
      limits = {
        maxPayloadBytes: numberSetting(c.maxPayloadBytes, 'Max payload bytes', { min: 1, integer: true }),
        maxReadings: numberSetting(c.maxReadings, 'Max readings per message', { min: 1, integer: true }),
        maxDepth: numberSetting(c.maxDepth, 'Max nesting depth', { min: 2, integer: true }),
      };
    } catch (e) {
      setupError = errorMessage(e);
      node.error(setupError);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    let passed = 0;
    let refused = 0;
    const showCounts = () =>
      status.set(() => ({
        fill: refused > 0 ? 'yellow' : 'green',
        shape: 'dot',
        text: `✓${compactCount(passed)} ✗${compactCount(refused)}`,
      }));

    const verdict: Judged = judged();
    /** Receipts (telemetry-mqtt-in's) go on with the valid readings; the refused ones are settled,
     *  since they leave on output 2 with their reason. Only messages that carry some pay for this. */
    const carryReceipts = (msg: NodeMessageInFlow, readings: number, refusedAt: number[], whole: boolean) => {
      if (!receiptsOf(msg)) return;
      verdict.readings = readings;
      verdict.refused = refusedAt;
      verdict.whole = whole;
      const kept = receiptsAfterJudging(msg, verdict, node);
      const m = msg as NodeMessageInFlow & { _receipts?: unknown };
      if (kept) m._receipts = kept;
      else delete m._receipts;
    };

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        if (!validate || !limits) return done(new Error(setupError));
        const now = Date.now();
        const decoded = decodePayload(msg.payload, limits);
        if (decoded.kind === 'refused') {
          refused++;
          carryReceipts(msg, 0, [], true);
          send([null, rejectionMessage(msg, msg.payload, decoded.error)]);
        } else if (decoded.kind === 'one') {
          const error = validate(decoded.reading, now);
          if (error) {
            refused++;
            carryReceipts(msg, 1, [0], false);
            send([null, rejectionMessage(msg, msg.payload, error)]);
          } else {
            passed++;
            msg.payload = decoded.reading;
            carryReceipts(msg, 1, [], false);
            send([msg, null]);
          }
        } else {
          const readings = decoded.readings;
          let valid: unknown[] | undefined;
          let rejections: NodeMessage[] | undefined;
          const refusedAt: number[] = [];
          for (let i = 0; i < readings.length; i++) {
            const error = validate(readings[i], now);
            if (error === undefined) {
              valid?.push(readings[i]);
            } else {
              valid ??= readings.slice(0, i);
              (rejections ??= []).push(rejectionMessage(msg, readings[i], error, i));
              refusedAt.push(i);
            }
          }
          const validOut = valid ?? readings;
          passed += validOut.length;
          refused += rejections?.length ?? 0;
          carryReceipts(msg, readings.length, refusedAt, false);
          if (validOut.length > 0) msg.payload = validOut;
          send([validOut.length > 0 ? msg : null, rejections ?? null]);
        }
        showCounts();
        done();
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.stop();
      done();
    });
  }
  RED.nodes.registerType('telemetry-validate', TelemetryValidateNode);
};
