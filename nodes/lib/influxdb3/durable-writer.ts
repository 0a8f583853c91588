// The heart of influxdb3-write: once a batch is accepted here it reaches the database or is handed
// back with a reason. Batches wait in memory (bounded in bytes), are coalesced up to InfluxDB's
// recommended 10,000 lines / 10 MB, and written several at a time, since InfluxDB 3 Core answers a
// write only after its WAL flush (about 1 s). Network errors, 429 and 5xx are retried with
// exponential backoff and full jitter, honouring Retry-After; a 413 is split in halves; the lines a
// partial write refused are handed back one by one; what can never succeed (401, 403, 404, other
// 400s) is handed back whole. What cannot be written now (a retryable failure), what is past the
// memory limit, and everything still waiting at close goes to the disk spool, replayed in order.
// While the spool holds anything, new batches are appended behind it, so the database receives
// them in the order they came. While the server fails, one write probes it at a time.
//
// Memory: a write's text is dropped once its (gzipped) body is made, the spool is replayed a
// batch ahead of the free write slots, straight from disk into reused buffers, so an outage of any
// length costs RSS no more than the same stream with the server up (npm run bench memory).

import { bodyText, InfluxDB3Http, RejectedLine, WriteBody, WriteOutcome, WriteRequest } from './influxdb3-http';
import type { Precision } from '../timestamps';
import { Chunk, joinedLength, joinedText } from './joined-text';
import { retryDelayMs } from '../retry-delay';
import { ScratchBuffers } from './scratch-buffers';
import { SpoolFullError, SpoolInput, WriteSpool } from './write-spool';
import { WRITER_DEFAULTS, WriterOptions } from './writer-options';
export { WRITER_DEFAULTS, type WriterOptions };

/** Lines that could not be kept anywhere (the spool failed): unlike lines the server refused,
 *  which are handed back on the rejected event, they are gone unless their sender still has them. */
export class NotKeptError extends Error {
  override name = 'NotKeptError';
}

/** Whether an owner's outcome leaves its lines safe: written, spooled, or handed back with a reason. */
export function linesWereKept(err?: Error): boolean {
  return !err || !(err instanceof NotKeptError || err instanceof SpoolFullError);
}

/** Someone waiting for their lines to be settled (a message's done). */
export class Owner {
  private pending = 0;
  private error?: Error;
  constructor(private readonly done: (err?: Error) => void) {}
  hold(): void {
    this.pending++;
  }
  release(err?: Error): void {
    this.error ??= err;
    if (--this.pending === 0) this.done(this.error);
  }
}

export interface WrittenSummary {
  database: string;
  lines: number;
  bytes: number;
  durationMs: number;
  attempts: number;
  fromSpool: boolean;
}

export interface RejectedSummary {
  database: string;
  lines: { line: string; message: string; lineNumber?: number }[];
  reason: string;
}

export interface WriterEvents {
  written(s: WrittenSummary): void;
  rejected(r: RejectedSummary): void;
  /** Something an operator should know (the spool dropped data, a spool file could not be written). */
  warn(message: string): void;
  /** Worth a line in the log (the server is back). */
  info?(message: string): void;
  changed(): void;
}

export type WriterState = 'idle' | 'writing' | 'retrying' | 'stopped';

interface Part {
  database: string;
  precision: Precision;
  /** The batches it is made of (see joined-text.ts), until it is first sent. */
  chunks?: Chunk[];
  /** The buffer a replay read its spool records into (the chunks are views of it): reused once
   *  the body is made. */
  loadBuffer?: Buffer;
  /** Its body once first sent: kept for retries in place of the text, which is several times
   *  larger and would otherwise live on the JS heap for as long as the server takes to answer. */
  body?: WriteBody;
  lines: number;
  bytes: number;
  owners: Owner[];
  attempts: number;
  /** Set when the part holds spool records: they are acknowledged in the spool once written. */
  spoolSeqs?: number[];
  /** Kept in the spool by stop() while its request was still running: its answer is ignored. */
  abandoned?: boolean;
}

export class DurableWriter {
  private readonly queue: Part[] = [];
  private queueBytes = 0;
  private inFlightBytes = 0;
  private failures = 0;
  private resumeAt = 0;
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private paused = false;
  private lastError = '';
  /** Spool records loaded into the queue: their sequence numbers, and which were written. */
  private spoolNextSeq = 0;
  private readonly spoolWritten = new Set<number>();
  private spoolAckedSeq = 0;
  private loadingSpool = false;
  /** Parts whose write request is running. */
  private readonly inFlightParts = new Set<Part>();
  /** Spool records read for a replay, until their body is made. */
  private readonly loadBuffers = new ScratchBuffers(4 * 1024 * 1024);
  /** Lowered when the server answers 413, so coalescing never rebuilds a write it refused. */
  private bytesLimit = Infinity;
  writtenLines = 0;
  rejectedLines = 0;

  constructor(
    private readonly http: InfluxDB3Http,
    private readonly spool: WriteSpool,
    private readonly options: WriterOptions,
    private readonly events: WriterEvents,
  ) {}

  get state(): WriterState {
    if (this.stopping) return 'stopped';
    if (this.failures > 0) return 'retrying';
    return this.inFlightParts.size > 0 || this.queue.length > 0 ? 'writing' : 'idle';
  }

  get retryInMs(): number {
    return Math.max(0, this.resumeAt - Date.now());
  }

  get error(): string {
    return this.lastError;
  }

  get waitingLines(): number {
    let n = 0;
    for (const p of this.queue) n += p.lines;
    return n;
  }

  get spooledLines(): number {
    return this.spool.lines;
  }

  /** Lines the spool dropped, oldest first, to keep newer ones (policy drop-oldest). */
  get droppedLines(): number {
    return this.spool.droppedLines;
  }

  get spooledBytes(): number {
    return this.spool.bytes;
  }

  get memoryBytes(): number {
    return this.queueBytes + this.inFlightBytes;
  }

  /** Takes a batch of lines. The owner is released when its lines are written, spooled or handed
   *  back; with an error when they were refused whole or could not be kept at all. */
  accept(database: string, precision: Precision, payload: string, lines: number, owner?: Owner): void {
    const bytes = Buffer.byteLength(payload);
    const part: Part = {
      database,
      precision,
      chunks: [payload],
      lines,
      bytes,
      owners: owner ? [owner] : [],
      attempts: 0,
    };
    owner?.hold();
    const behindSpool = this.spool.records > this.spool.loaded || this.loadingSpool;
    // While the server fails, what comes in goes to disk at once: waiting in memory for the next
    // attempt (up to the longest backoff) it would be lost if Node-RED were killed meanwhile.
    if (behindSpool || this.failures > 0 || this.queueBytes + this.inFlightBytes + bytes > this.options.maxQueueBytes) {
      this.toSpool(part);
      return;
    }
    this.queue.push(part);
    this.queueBytes += bytes;
    this.pump();
  }

  /** Starts replaying what the spool holds. */
  start(): void {
    this.pump();
  }

  /** Holds every write (batches still queue, in memory up to the limit, then in the spool) until
   *  resume(): for a database that must be created, with its retention, before the first write. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Stops writing: waits up to timeoutMs for writes in flight, then keeps everything not written
   *  in the spool. Resolves when all is on disk. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.inFlightParts.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const rest = [...this.inFlightParts, ...this.queue.splice(0)];
    this.queueBytes = 0;
    for (const part of rest) {
      part.abandoned = true;
      // Spool records not written are still in the spool.
      if (part.spoolSeqs === undefined) this.toSpool(part);
    }
    this.spool.close();
  }

  /** Keeps a part in the spool, synchronously (see WriteSpool.appendSync): once this returns, a
   *  crash cannot lose it. */
  private toSpool(part: Part): void {
    const record: SpoolInput = {
      database: part.database,
      precision: part.precision,
      lines: part.lines,
      payload: part.chunks ?? bodyText(part.body!),
    };
    const dropped = this.spool.droppedLines;
    try {
      this.spool.appendSync(record);
    } catch (e) {
      const err =
        e instanceof SpoolFullError
          ? e
          : new NotKeptError(`could not keep ${part.lines} line(s) in the disk spool: ${(e as Error).message}`);
      this.rejectedLines += part.lines;
      for (const o of part.owners) o.release(err);
      this.events.warn(err.message);
      return;
    }
    for (const o of part.owners) o.release();
    if (this.spool.droppedLines > dropped) {
      this.events.warn(
        `the disk spool was full: dropped its oldest ${this.spool.droppedLines - dropped} line(s) to keep the newest (${this.spool.droppedLines} dropped since start)`,
      );
    }
    this.events.changed();
    if (!this.stopping) this.schedule(0);
  }

  private pump(): void {
    if (this.stopping || this.paused) return;
    if (Date.now() < this.resumeAt) {
      this.schedule(this.resumeAt - Date.now());
      this.events.changed(); // a failed retry lands here: the status shows the new wait
      return;
    }
    while (this.inFlightParts.size < this.slots()) {
      const part = this.next();
      if (!part) break;
      void this.send(part);
    }
    if (this.queue.length === 0 && this.spool.records > this.spool.loaded) void this.loadFromSpool();
    this.events.changed();
  }

  /** The most bytes batches are coalesced to: InfluxDB's 10 MB, less after a 413, and never more
   *  than a spool record may hold, so a write that fails can always be spooled. */
  private batchBytesLimit(): number {
    return Math.min(this.options.maxBatchBytes, this.bytesLimit, this.spool.maxRecordBytes);
  }

  /** Writes to run at once: while the server fails, one at a time, so an outage is probed by one
   *  request instead of repeating every batch in memory. */
  private slots(): number {
    return this.failures > 0 ? 1 : this.options.maxInFlight;
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }

  /** The head of the queue, coalesced with the batches behind it of the same database and
   *  precision (spool records with spool records), up to the batch limits. */
  private next(): Part | undefined {
    const first = this.queue.shift();
    if (!first) return undefined;
    this.queueBytes -= first.bytes;
    if (!first.chunks || first.loadBuffer) return first; // sent before, or a replay batch: made whole
    const fromSpool = first.spoolSeqs !== undefined;
    const seqs = fromSpool ? [...first.spoolSeqs!] : undefined;
    const chunks = [...first.chunks];
    let { lines, bytes } = first;
    const owners = new Set(first.owners);
    let merged = false;
    for (;;) {
      const n = this.queue[0];
      if (
        !n ||
        !n.chunks ||
        n.loadBuffer ||
        (n.spoolSeqs !== undefined) !== fromSpool ||
        n.database !== first.database ||
        n.precision !== first.precision
      )
        break;
      if (lines + n.lines > this.options.maxBatchLines || bytes + n.bytes + 1 > this.batchBytesLimit()) break;
      this.queue.shift();
      this.queueBytes -= n.bytes;
      chunks.push(...n.chunks);
      lines += n.lines;
      bytes += n.bytes + 1;
      if (seqs) seqs.push(...n.spoolSeqs!);
      for (const o of n.owners) {
        if (owners.has(o))
          o.release(); // held once per part; the merged part holds it once
        else owners.add(o);
      }
      merged = true;
    }
    if (!merged) return first;
    return { ...first, chunks, lines, bytes, owners: [...owners], spoolSeqs: seqs };
  }

  private async send(part: Part): Promise<void> {
    this.inFlightBytes += part.bytes;
    this.inFlightParts.add(part);
    part.attempts++;
    const started = Date.now();
    let outcome: WriteOutcome;
    try {
      if (!part.body) {
        part.body = await this.http.encode(part.chunks!, part.bytes);
        part.chunks = undefined;
        if (part.loadBuffer) this.loadBuffers.give(part.loadBuffer);
        part.loadBuffer = undefined;
      }
      const request: WriteRequest = {
        database: part.database,
        precision: part.precision,
        body: part.body,
        noSync: this.options.noSync,
      };
      outcome = await this.http.write(request);
    } catch (e) {
      outcome = { kind: 'retry', reason: (e as Error).message };
    }
    this.inFlightBytes -= part.bytes;
    this.inFlightParts.delete(part);
    if (part.abandoned) return;
    if (this.stopping && outcome.kind === 'retry') {
      // Stop keeps it: back in the queue, from where stop() moves it to the spool.
      this.requeue(part);
      return;
    }
    this.settle(part, outcome, Date.now() - started);
    this.pump();
  }

  private settle(part: Part, outcome: WriteOutcome, durationMs: number): void {
    switch (outcome.kind) {
      case 'written':
        if (this.failures > 0) this.events.info?.(`writing again after ${this.failures} failed attempt(s)`);
        this.failures = 0;
        this.lastError = '';
        this.writtenLines += part.lines;
        this.events.written({
          database: part.database,
          lines: part.lines,
          bytes: part.bytes,
          durationMs,
          attempts: part.attempts,
          fromSpool: part.spoolSeqs !== undefined,
        });
        this.finished(part);
        return;
      case 'partial': {
        this.failures = 0;
        const refused = linesAt(partText(part), outcome.rejected);
        this.rejectedLines += refused.length;
        this.writtenLines += part.lines - refused.length;
        this.events.rejected({
          database: part.database,
          lines: refused,
          reason: `InfluxDB 3 refused ${refused.length} of ${part.lines} line(s); the others were written`,
        });
        this.events.written({
          database: part.database,
          lines: part.lines - refused.length,
          bytes: part.bytes,
          durationMs,
          attempts: part.attempts,
          fromSpool: part.spoolSeqs !== undefined,
        });
        this.finished(part);
        return;
      }
      case 'too-large': {
        const lines = contentLines(partText(part));
        if (lines.length <= 1) {
          this.handBack(part, `the server refused even this single line as too large: ${outcome.reason}`);
          return;
        }
        this.bytesLimit = Math.min(this.bytesLimit, Math.max(1, Math.floor(part.bytes / 2)));
        const half = Math.ceil(lines.length / 2);
        const halves = [lines.slice(0, half), lines.slice(half)].map((ls) => {
          const payload = ls.join('\n');
          for (const o of part.owners) o.hold();
          return {
            ...part,
            chunks: [payload],
            body: undefined,
            lines: ls.length,
            bytes: Buffer.byteLength(payload),
            attempts: 0,
            spoolSeqs: undefined,
          };
        });
        // The halves replace the part; a spooled part is acknowledged once both halves are written.
        if (part.spoolSeqs !== undefined) this.splitSpooled(part, halves);
        for (const o of part.owners) o.release();
        this.queue.unshift(...halves);
        for (const h of halves) this.queueBytes += h.bytes;
        return;
      }
      case 'refused':
        this.lastError = outcome.reason;
        this.handBack(
          part,
          outcome.reason,
          new Error(
            `InfluxDB 3 refused ${part.lines} line(s) for database "${part.database}" (${outcome.status}): ${outcome.reason}`,
          ),
        );
        return;
      case 'retry': {
        if (this.failures === 0)
          this.events.warn(
            `cannot write to InfluxDB 3, retrying with backoff; the lines wait in the disk spool meanwhile: ${outcome.reason}`,
          );
        this.failures++;
        this.lastError = outcome.reason;
        const backoff = retryDelayMs(this.failures, this.options.retryInitialMs, this.options.retryMaxMs);
        const wait = outcome.retryAfterMs ?? Math.random() * backoff;
        this.resumeAt = Math.max(this.resumeAt, Date.now() + wait);
        this.spoolWaiting(part);
        return;
      }
    }
  }

  private handBack(part: Part, reason: string, err?: Error): void {
    const lines = contentLines(partText(part)).map((line) => ({ line, message: reason }));
    this.rejectedLines += lines.length;
    this.events.rejected({ database: part.database, lines, reason });
    this.finished(part, err);
  }

  /** What cannot be written now goes to disk, the failed part first, then every waiting batch in
   *  order (they are newer), so a crash during an outage loses at most what is being appended.
   *  Spool records are on disk already: they wait in the queue. */
  private spoolWaiting(failed: Part): void {
    const waiting = this.queue.filter((p) => p.spoolSeqs === undefined);
    const records = this.queue.filter((p) => p.spoolSeqs !== undefined);
    this.queue.splice(0, this.queue.length, ...records);
    this.queueBytes = records.reduce((n, p) => n + p.bytes, 0);
    if (failed.spoolSeqs !== undefined) this.requeue(failed);
    else this.toSpool(failed);
    for (const p of waiting) this.toSpool(p);
  }

  private requeue(part: Part): void {
    this.queue.unshift(part);
    this.queueBytes += part.bytes;
  }

  private finished(part: Part, err?: Error): void {
    for (const o of part.owners) o.release(err);
    if (part.spoolSeqs !== undefined) for (const seq of part.spoolSeqs) this.spoolDone(seq);
  }

  /** Halves of a split spool record: the record is done when both are. */
  private splitSpooled(part: Part, halves: Part[]): void {
    const seqs = part.spoolSeqs!;
    const whole = new Owner(() => {
      for (const seq of seqs) this.spoolDone(seq);
    });
    for (const h of halves) {
      whole.hold();
      h.owners = [...h.owners, whole];
    }
  }

  private spoolDone(seq: number): void {
    this.spoolWritten.add(seq);
    this.ackSpool();
  }

  private ackSpool(): void {
    while (this.spoolWritten.has(this.spoolAckedSeq)) {
      this.spoolWritten.delete(this.spoolAckedSeq);
      this.spoolAckedSeq++;
      try {
        this.spool.ack();
      } catch (e) {
        this.events.warn(`could not delete a written spool file: ${(e as Error).message}`);
      }
    }
    this.events.changed();
    if (!this.stopping) this.pump();
  }

  /** Loads spool records into the queue: enough to fill the free write slots (at least one batch),
   *  no more, so a long replay holds only what is about to be sent. When nothing could be loaded
   *  (memory is taken by writes in flight), the next finished write pumps again: pumping from here
   *  would spin without ever yielding to I/O. */
  private async loadFromSpool(): Promise<void> {
    if (this.loadingSpool) return;
    this.loadingSpool = true;
    let loaded = 0;
    const wantLines = Math.max(1, this.slots() - this.inFlightParts.size) * this.options.maxBatchLines;
    let lines = 0;
    try {
      while (
        !this.stopping &&
        this.spool.records > this.spool.loaded &&
        lines < wantLines &&
        this.queueBytes + this.inFlightBytes < this.options.maxQueueBytes / 2
      ) {
        const batch = await this.spool.loadNext(this.options.maxBatchLines, this.batchBytesLimit(), (n) =>
          this.loadBuffers.take(n),
        );
        if (!batch) break;
        const bytes = joinedLength(batch.payloads);
        const seqs = Array.from({ length: batch.records }, () => this.spoolNextSeq++);
        this.queue.push({
          database: batch.database,
          precision: batch.precision,
          chunks: batch.payloads,
          loadBuffer: batch.buffer,
          lines: batch.lines,
          bytes,
          owners: [],
          attempts: 0,
          spoolSeqs: seqs,
        });
        this.queueBytes += bytes;
        loaded++;
        lines += batch.lines;
      }
    } catch (e) {
      this.events.warn(`could not read the disk spool: ${(e as Error).message}`);
    } finally {
      this.loadingSpool = false;
    }
    if (loaded > 0 || this.inFlightParts.size === 0) this.schedule(0);
  }
}

/** The payload's lines that count for InfluxDB 3's line numbers (not blank, not comments). */
export function contentLines(payload: string): string[] {
  return payload.split('\n').filter((l) => {
    const t = l.trimStart();
    return t !== '' && !t.startsWith('#');
  });
}

function linesAt(payload: string, rejected: RejectedLine[]): { line: string; message: string; lineNumber: number }[] {
  const lines = contentLines(payload);
  return rejected.map((r) => ({ line: lines[r.lineNumber - 1] ?? '', message: r.message, lineNumber: r.lineNumber }));
}

/** A part's lines as text, for the rare paths that need them (refused lines, a 413 split). */
function partText(part: Part): string {
  return part.chunks ? joinedText(part.chunks) : bodyText(part.body!);
}
