// telemetry-line-protocol's work around its LineBatcher: each message's encoded lines buffered
// (its done() held until its last line leaves in a batch), batches cut by size as lines come, by
// the flush interval counted from the first buffered line, or on msg.flush; each batch carries the
// receipts of exactly the lines it holds; msg.reset drops the buffer; at stop the buffer is kept in
// a handover file (or sent, when the node was deleted) and sent first at the next start.

import { Log, Message, Status, StatusLine, Timers, compactCount, systemTimers } from '../node-io';
import { Receipt, ReceiptQueue, notKeptReceipts, settleReceipts } from '../receipts/receipts';
import { errorMessage } from '../settings';
import { Precision } from '../timestamps';
import type { Handover } from './buffer-handover';
import { Batch, BatchLimits, BufferFullError, LineBatcher } from './line-batcher';
import { LineWriter } from './line-writer';

/** An input's done, as Node-RED hands it: called once, with an error when the message failed. */
export type Done = (err?: Error) => void;

/** What the writer needs besides the lines. */
export interface BatchMessage extends Message {
  payload: string;
  lineCount: number;
  bytes: number;
  precision: Precision;
  database?: string;
  _receipts?: Receipt[];
}

/** Output 1 (batches); output 2 (rejected readings) is the node's. */
export type SendBatch = (out: [BatchMessage, null]) => void;

export interface BatchSettings {
  limits: BatchLimits;
  /** A batch leaves at the latest this long after its first line was buffered (0: no limit). */
  intervalMs: number;
  precision: Precision;
  /** Put on every batch as msg.database, unless ''. */
  database: string;
}

export interface BatchIO {
  /** Output 1 outside an input: the flush timer's batches, the last batch of a deleted node, and
   *  the lines kept from the last stop. */
  send: SendBatch;
  status: StatusLine;
  log: Log;
}

/** Without valid settings nothing is buffered, but the lines kept from the last stop still leave,
 *  as one batch, so that invalid settings do not lose them. */
const NO_SETTINGS: BatchSettings = {
  limits: { maxLines: 0, maxBytes: 0, maxBufferBytes: 0 },
  intervalMs: 0,
  precision: 'ns',
  database: '',
};

export class BatchRunner {
  private readonly batcher: LineBatcher<Done>;
  /** The receipts of the buffered lines, in the buffer's order. */
  private readonly receipts = new ReceiptQueue();
  private readonly settings: BatchSettings;
  private timer: unknown;
  /** Lines refused since start because the buffer was full. */
  private overflowed = 0;

  constructor(
    settings: BatchSettings | undefined,
    private readonly handover: Handover,
    private readonly io: BatchIO,
    private readonly timers: Timers = systemTimers,
  ) {
    this.settings = settings ?? NO_SETTINGS;
    this.batcher = new LineBatcher<Done>(this.settings.limits);
  }

  get bufferedLines(): number {
    return this.batcher.bufferedLines;
  }

  get bufferedBytes(): number {
    return this.batcher.bufferedBytes;
  }

  /** Buffers one message's lines (its accepted readings, `kept` their receipts) and sends the
   *  batches they fill; with `flush`, sends the rest too. The message's done is then the runner's:
   *  called at once when it has no lines, else when its last line leaves. Returns why its lines
   *  were not buffered (the buffer would pass its memory limit), and then the caller calls done. */
  add(lines: LineWriter, kept: Receipt[] | undefined, flush: boolean, send: SendBatch, done: Done): string | undefined {
    if (lines.lineCount === 0) {
      if (flush) this.flushNow(send);
      this.showStatus();
      done();
      return undefined;
    }
    let batches: Batch<Done>[];
    try {
      batches = this.batcher.add(lines, done);
    } catch (e) {
      if (!(e instanceof BufferFullError)) throw e;
      this.overflowed += lines.lineCount;
      notKeptReceipts(kept, e.message);
      this.showStatus();
      return `${e.message}; ${lines.lineCount} reading(s) of this message were not buffered (${this.overflowed} so far). Flush sooner (batch size, interval) or raise the memory limit.`;
    }
    this.receipts.push(lines.lineCount, kept);
    this.emit(batches, send);
    if (flush) this.flushNow(send);
    else this.armTimer();
    this.showStatus();
    return undefined;
  }

  /** msg.flush without readings: sends what is buffered. */
  flush(send: SendBatch): void {
    this.flushNow(send);
    this.showStatus();
  }

  /** msg.reset: drops the buffer and completes the messages whose lines it held. */
  reset(): void {
    this.stopTimer();
    const dropped = this.batcher.reset();
    settleReceipts(this.receipts.clear()); // dropped on purpose: nothing to send again
    for (const d of dropped) d();
    if (dropped.length > 0) this.io.log.warn(`reset dropped the lines of ${dropped.length} message(s)`);
    this.showStatus();
  }

  /** Flows started: sends the lines the last instance kept at stop, before anything new. */
  start(): void {
    try {
      const recovered = this.handover.take();
      if (!recovered || recovered.lines.length === 0) return;
      // Split by the same batch limits, but never refused: they were accepted before the stop.
      const { maxLines, maxBytes } = this.settings.limits;
      const again = new LineBatcher<Done>({ maxLines, maxBytes, maxBufferBytes: Infinity });
      const batches = again.addLines(recovered.lines, () => undefined);
      const last = again.flush();
      if (last) batches.push(last);
      for (const b of batches) this.io.send([this.batchMessage(b, recovered.precision), null]);
      this.io.log.log(`sent ${recovered.lines.length} line(s) kept from the last stop`);
    } catch (e) {
      this.io.log.error(`could not send the lines kept from the last stop: ${errorMessage(e)}`);
    }
  }

  /** Stop: a deleted node sends its buffer as a last batch; any other stop keeps it in the
   *  handover (a batch sent from here would reach nodes that have already stopped). */
  close(removed: boolean): void {
    this.stopTimer();
    this.io.status.now({});
    try {
      const b = this.batcher.flush();
      if (b && removed) {
        this.io.send([this.batchMessage(b, this.settings.precision, this.receipts.take(b.lines)), null]);
        this.io.log.warn(`removed with ${b.lines} buffered line(s); sent them as a last batch`);
      } else if (b) {
        // Kept without their receipts: telemetry-mqtt-in sends those messages again when it starts.
        const file = this.handover.save({ payload: b.payload, precision: this.settings.precision });
        this.io.log.log(`kept ${b.lines} buffered line(s) in ${file} until this node starts again`);
      }
      for (const d of b?.completed ?? []) d();
    } catch (e) {
      this.io.log.error(`could not keep the buffered lines: ${errorMessage(e)}`);
    }
  }

  private batchMessage(b: Batch<Done>, precision: Precision, receipts?: Receipt[]): BatchMessage {
    const m: BatchMessage = { payload: b.payload, lineCount: b.lines, bytes: b.bytes, precision };
    if (this.settings.database) m.database = this.settings.database;
    if (receipts && receipts.length > 0) m._receipts = receipts;
    return m;
  }

  /** Sends batches, then completes the inputs whose last line they carried. */
  private emit(batches: Batch<Done>[], send: SendBatch): void {
    for (const b of batches) {
      send([this.batchMessage(b, this.settings.precision, this.receipts.take(b.lines)), null]);
      for (const done of b.completed) done();
    }
  }

  private flushNow(send: SendBatch): void {
    this.stopTimer();
    const b = this.batcher.flush();
    if (b) this.emit([b], send);
  }

  // The time limit counts from the first line that enters an empty buffer, so no line waits
  // longer than the interval.
  private armTimer(): void {
    if (this.timer !== undefined || this.settings.intervalMs <= 0 || !this.batcher.bufferedLines) return;
    this.timer = this.timers.setTimeout(this.onTimer, this.settings.intervalMs);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onTimer = () => {
    this.timer = undefined;
    try {
      this.flushNow(this.sendOutside);
    } catch (e) {
      this.io.log.error(`flush failed: ${errorMessage(e)}`);
    }
    this.showStatus();
  };

  /** io.send, called as a method whatever the io is. */
  private readonly sendOutside: SendBatch = (out) => this.io.send(out);

  private showStatus(): void {
    this.io.status.set(this.describeStatus);
  }

  private readonly describeStatus = (): Status => {
    const buffered = this.batcher.bufferedLines;
    const over = this.overflowed;
    return {
      fill: over ? 'red' : 'blue',
      shape: buffered ? 'dot' : 'ring',
      text: `${compactCount(buffered)} buffered${over ? `, ${compactCount(over)} over` : ''}`,
    };
  };
}
