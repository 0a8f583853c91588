// telemetry-line-protocol: readings -> InfluxDB line protocol, batched by line count, bytes and time.
// Output 1: one message per batch. Output 2: each reading that cannot be encoded, untouched,
// with msg.error. An input's done() is called when its last line leaves in a batch.

import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { saveHandover, takeHandover } from '../lib/line-protocol/buffer-handover';
import { compileSchema } from '../lib/schema/compiled-schema';
import { Batch, BufferFullError, LineBatcher } from '../lib/line-protocol/line-batcher';
import { LineBytesEncoder, createLineBytesEncoder } from '../lib/line-protocol/line-encoder';
import { LineWriter } from '../lib/line-protocol/line-writer';
import { PAYLOAD_DEFAULTS, PayloadLimits } from '../lib/schema/payload';
import { errorMessage } from '../lib/settings';
import { Precision } from '../lib/timestamps';
import { Receipt, ReceiptQueue, notKeptReceipts, receiptsOf, settleReceipts } from '../lib/receipts/receipts';
import type { Done, Send } from '../runtime/input-callbacks';
import { compactCount, ThrottledStatus } from '../runtime/node-status';
import { encodeReadings, judged, receiptsAfterJudging } from '../runtime/readings-in-messages';
import { schemaFor } from '../runtime/schema-config-node';
import { pipelineStateDir } from '../runtime/state-path';
import { settings } from './settings';

/** What the writer needs besides the lines. */
interface BatchMessage extends NodeMessage {
  payload: string;
  lineCount: number;
  bytes: number;
  precision: Precision;
  database?: string;
  _receipts?: Receipt[];
}

export = function (RED: NodeAPI) {
  function LineProtocolNode(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    let encode: LineBytesEncoder | undefined;
    const lines = new LineWriter();
    let batcher: LineBatcher<Done> | undefined;
    let precision: Precision = 'ns';
    let intervalMs = 0;
    let database = '';
    const limits: PayloadLimits = PAYLOAD_DEFAULTS;
    let setupError: string | undefined;
    try {
      const c = settings.read(raw);
      const compiled = compileSchema(schemaFor(RED, c.schema));
      precision = compiled.schema.precision;
      encode = createLineBytesEncoder(compiled, precision);
      batcher = new LineBatcher<Done>({
        maxLines: c.batchSize,
        maxBytes: c.batchBytes,
        maxBufferBytes: c.maxBufferBytes,
      });
      intervalMs = c.flushInterval * 1000;
      database = c.database.trim();
    } catch (e) {
      setupError = errorMessage(e);
      node.error(setupError);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    let timer: NodeJS.Timeout | undefined;
    let overflowed = 0;
    // The receipts of the buffered lines, in the buffer's order (see runtime/receipts.ts).
    const receipts = new ReceiptQueue();
    const verdict = judged();

    const showBuffer = () =>
      status.set(() => ({
        fill: overflowed ? 'red' : 'blue',
        shape: batcher?.bufferedLines ? 'dot' : 'ring',
        text: `${compactCount(batcher?.bufferedLines ?? 0)} buffered${overflowed ? `, ${compactCount(overflowed)} over` : ''}`,
      }));

    const batchMessage = (b: Batch<Done>, p: Precision = precision, r?: Receipt[]): BatchMessage => {
      const m: BatchMessage = { payload: b.payload, lineCount: b.lines, bytes: b.bytes, precision: p };
      if (database) m.database = database;
      if (r && r.length > 0) m._receipts = r;
      return m;
    };

    /** Sends batches, then completes the inputs whose last line they carried. */
    const emit = (batches: Batch<Done>[], send: Send) => {
      for (const b of batches) {
        send([batchMessage(b, precision, receipts.take(b.lines)), null]);
        for (const done of b.completed) done();
      }
    };

    const stopTimer = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };

    const flushNow = (send: Send) => {
      stopTimer();
      const b = batcher?.flush();
      if (b) emit([b], send);
    };

    // The time limit counts from the first line that enters an empty buffer, so no line waits
    // longer than the interval.
    const armTimer = () => {
      if (timer || intervalMs <= 0 || !batcher?.bufferedLines) return;
      timer = setTimeout(() => {
        timer = undefined;
        try {
          flushNow((m) => node.send(m));
        } catch (e) {
          node.error(`telemetry-line-protocol: flush failed: ${errorMessage(e)}`);
        }
        showBuffer();
      }, intervalMs);
    };

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        if (!encode || !batcher) return done(new Error(setupError));
        const m = msg as NodeMessageInFlow & { reset?: unknown; flush?: unknown };
        if (m.reset !== undefined) {
          stopTimer();
          const dropped = batcher.reset();
          settleReceipts(receipts.clear()); // dropped on purpose: nothing to send again
          for (const d of dropped) d();
          if (dropped.length > 0)
            node.warn(`telemetry-line-protocol: reset dropped the lines of ${dropped.length} message(s)`);
          showBuffer();
          return done();
        }
        const flush = m.flush !== undefined;
        if (msg.payload === undefined && flush) {
          flushNow(send);
          showBuffer();
          return done();
        }

        const rejections = encodeReadings(msg, encode, lines, limits, verdict);
        const kept = receiptsOf(msg) ? receiptsAfterJudging(msg, verdict, node) : undefined;
        if (rejections.length > 0) send([null, rejections]);
        if (lines.lineCount === 0) {
          if (flush) flushNow(send);
          showBuffer();
          return done();
        }
        let batches: Batch<Done>[];
        try {
          batches = batcher.add(lines, done);
        } catch (e) {
          if (!(e instanceof BufferFullError)) throw e;
          overflowed += lines.lineCount;
          notKeptReceipts(kept, e.message);
          showBuffer();
          return done(
            new Error(
              `telemetry-line-protocol: ${e.message}; ${lines.lineCount} reading(s) of this message were not buffered (${overflowed} so far). Flush sooner (batch size, interval) or raise the memory limit.`,
            ),
          );
        }
        receipts.push(lines.lineCount, kept);
        emit(batches, send);
        if (flush) flushNow(send);
        else armTimer();
        showBuffer();
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });

    // Lines buffered at stop are written under the user directory and sent first when this node
    // starts again (see buffer-handover.ts for why sending them from here would lose them).
    const handoverDir = pipelineStateDir(RED);
    const sendRecovered = () => {
      const recovered = takeHandover(handoverDir, node.id);
      if (!recovered || recovered.lines.length === 0) return;
      const again = new LineBatcher<Done>({
        maxLines: batcher?.limits.maxLines ?? 0,
        maxBytes: batcher?.limits.maxBytes ?? 0,
        maxBufferBytes: Infinity,
      });
      const batches = again.addLines(recovered.lines, () => undefined);
      const last = again.flush();
      if (last) batches.push(last);
      for (const b of batches) node.send([batchMessage(b, recovered.precision), null]);
      node.log(`telemetry-line-protocol: sent ${recovered.lines.length} line(s) kept from the last stop`);
    };
    const onFlowsStarted = () => {
      try {
        sendRecovered();
      } catch (e) {
        node.error(`telemetry-line-protocol: could not send the lines kept from the last stop: ${errorMessage(e)}`);
      }
    };
    RED.events.once('flows:started', onFlowsStarted);

    node.on('close', (removed: boolean, done: () => void) => {
      RED.events.removeListener('flows:started', onFlowsStarted);
      stopTimer();
      status.stop();
      node.status({});
      try {
        const b = batcher?.flush();
        if (b && removed) {
          // Deleted from the flow: nothing will start under this id again; send as a last batch.
          node.send([batchMessage(b, precision, receipts.take(b.lines)), null]);
          node.warn(`telemetry-line-protocol: removed with ${b.lines} buffered line(s); sent them as a last batch`);
        } else if (b) {
          // Kept without their receipts: telemetry-mqtt-in sends those messages again when it starts.
          const file = saveHandover(handoverDir, node.id, { payload: b.payload, precision });
          node.log(`telemetry-line-protocol: kept ${b.lines} buffered line(s) in ${file} until this node starts again`);
        }
        for (const d of b?.completed ?? []) d();
      } catch (e) {
        node.error(`telemetry-line-protocol: could not keep the buffered lines: ${errorMessage(e)}`);
      }
      done();
    });
  }
  RED.nodes.registerType('telemetry-line-protocol', LineProtocolNode);
};
