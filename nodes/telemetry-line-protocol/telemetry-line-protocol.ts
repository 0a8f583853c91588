// telemetry-line-protocol: readings -> InfluxDB line protocol, batched by line count, bytes and time.
// Output 1: one message per batch. Output 2: each reading that cannot be encoded, untouched,
// with msg.error. An input's done() is called when its last line leaves in a batch. The batching,
// the flush timer, the receipts on batches and the handover at stop are lib/line-protocol/
// batch-runner.ts; here are the settings, the encoding of each message and the wiring.

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { BatchRunner, BatchSettings } from '../lib/line-protocol/batch-runner';
import { handoverFile } from '../lib/line-protocol/buffer-handover';
import { LineBytesEncoder, createLineBytesEncoder } from '../lib/line-protocol/line-encoder';
import { LineWriter } from '../lib/line-protocol/line-writer';
import { receiptsOf } from '../lib/receipts/receipts';
import { compileSchema } from '../lib/schema/compiled-schema';
import { PAYLOAD_DEFAULTS, PayloadLimits } from '../lib/schema/payload';
import { errorMessage } from '../lib/settings';
import type { Done, Send } from '../runtime/input-callbacks';
import { nodeLog } from '../runtime/node-log';
import { countReadings, counted, meterOf } from '../runtime/node-metrics';
import { ThrottledStatus } from '../runtime/node-status';
import { encodeReadings, judged, receiptsAfterJudging } from '../runtime/readings-in-messages';
import { schemaFor } from '../runtime/schema-config-node';
import { pipelineStateDir } from '../runtime/state-path';
import { settings } from './settings';

export = function (RED: NodeAPI) {
  function LineProtocolNode(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    const meter = meterOf(node);
    let encode: LineBytesEncoder | undefined;
    let batching: BatchSettings | undefined;
    let setupError: string | undefined;
    try {
      const c = settings.read(raw);
      const compiled = compileSchema(schemaFor(RED, c.schema));
      const precision = compiled.schema.precision;
      encode = createLineBytesEncoder(compiled, precision);
      batching = {
        limits: { maxLines: c.batchSize, maxBytes: c.batchBytes, maxBufferBytes: c.maxBufferBytes },
        intervalMs: c.flushInterval * 1000,
        precision,
        database: c.database.trim(),
      };
    } catch (e) {
      setupError = errorMessage(e);
      node.error(setupError);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    // Lines buffered at stop are written under the user directory and sent first when this node
    // starts again (see buffer-handover.ts for why sending them from here would lose them).
    const batches = new BatchRunner(batching, handoverFile(pipelineStateDir(RED), node.id), {
      send: (out) => node.send(out),
      status,
      log: nodeLog(node, 'telemetry-line-protocol'),
    });
    meter.readings.waiting = () => ({ buffer: { bytes: batches.bufferedBytes, items: batches.bufferedLines } });
    // One of each for every message (encodeReadings resets them), not one per message.
    const lines = new LineWriter();
    const limits: PayloadLimits = PAYLOAD_DEFAULTS;
    const verdict = judged();

    node.on(
      'input',
      counted(meter, (msg: NodeMessageInFlow, send: Send, done: Done) => {
        try {
          if (!encode || !batching) return done(new Error(setupError));
          const m = msg as NodeMessageInFlow & { reset?: unknown; flush?: unknown };
          if (m.reset !== undefined) {
            batches.reset();
            return done();
          }
          const flush = m.flush !== undefined;
          if (msg.payload === undefined && flush) {
            batches.flush(send);
            return done();
          }
          const rejections = encodeReadings(msg, encode, lines, limits, verdict);
          countReadings(meter, verdict.readings, rejections);
          const kept = receiptsOf(msg) ? receiptsAfterJudging(msg, verdict, node) : undefined;
          if (rejections.length > 0) send([null, rejections]);
          const refused = batches.add(lines, kept, flush, send, done);
          if (refused !== undefined) {
            meter.readingsOut -= lines.lineCount;
            meter.refuse('buffer_full', lines.lineCount);
            done(new Error(`telemetry-line-protocol: ${refused}`));
          }
        } catch (e) {
          done(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );

    const onFlowsStarted = () => batches.start();
    RED.events.once('flows:started', onFlowsStarted);

    node.on('close', (removed: boolean, done: () => void) => {
      RED.events.removeListener('flows:started', onFlowsStarted);
      batches.close(removed);
      done();
    });
  }
  RED.nodes.registerType('telemetry-line-protocol', LineProtocolNode);
};
