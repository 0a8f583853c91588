// Collects encoded lines into batches that flush at a line count or a byte size, and knows which
// input messages are complete once a batch has left (the core batch node's pattern: an input's
// done() is called when its last line leaves). Timers live in the node; this is the bookkeeping.
// Lines are kept as bytes (LineWriter), so a batch is one UTF-8 decode, not a join of strings.

import { LineWriter } from './line-writer';

export interface BatchLimits {
  /** Flush when this many lines are buffered (0 = no count limit). */
  maxLines: number;
  /** Flush before a batch would pass this many bytes (0 = no byte limit). */
  maxBytes: number;
  /** Hard cap on buffered bytes: an input that would pass it is refused whole. */
  maxBufferBytes: number;
}

export interface Batch<T> {
  payload: string;
  lines: number;
  bytes: number;
  /** Owners whose last line is in this batch. */
  completed: T[];
}

export class BufferFullError extends Error {
  constructor(
    readonly bufferedBytes: number,
    readonly incomingBytes: number,
    readonly limit: number,
  ) {
    super(
      `line buffer full: ${bufferedBytes} bytes buffered + ${incomingBytes} incoming would pass the ${limit}-byte memory limit`,
    );
    this.name = 'BufferFullError';
  }
}

interface Pending<T> {
  owner: T;
  /** Lines of the buffer up to and including this owner's last one. */
  end: number;
}

export class LineBatcher<T> {
  private store = new LineWriter();
  private owners: Pending<T>[] = [];

  constructor(readonly limits: BatchLimits) {}

  get bufferedLines(): number {
    return this.store.lineCount;
  }

  get bufferedBytes(): number {
    return this.store.bytes;
  }

  /** Adds one owner's finished lines (at least one); returns the batches that became full.
   *  Throws BufferFullError and adds nothing when what stays buffered would pass the memory cap. */
  add(src: LineWriter, owner: T): Batch<T>[] {
    const n = src.lineCount;
    if (n === 0) throw new RangeError('LineBatcher.add needs at least one line');
    const residual = this.residualAfter(src);
    if (residual > this.limits.maxBufferBytes) {
      throw new BufferFullError(this.bufferedBytes, residual - this.bufferedBytes, this.limits.maxBufferBytes);
    }
    const { maxLines, maxBytes } = this.limits;
    const batches: Batch<T>[] = [];
    let runStart = 0; // first line of src not yet copied
    let lines = this.store.lineCount;
    let bytes = this.store.bytes;
    for (let i = 0; i < n; i++) {
      const size = src.lineBytes(i);
      if (maxBytes > 0 && lines > 0 && bytes + 1 + size > maxBytes) {
        this.store.appendFrom(src, runStart, i);
        runStart = i;
        batches.push(this.cut());
        lines = 0;
        bytes = 0;
      }
      bytes += (lines > 0 ? 1 : 0) + size;
      lines++;
      if (maxLines > 0 && lines >= maxLines) {
        this.store.appendFrom(src, runStart, i + 1);
        runStart = i + 1;
        batches.push(this.cut());
        lines = 0;
        bytes = 0;
      }
    }
    this.store.appendFrom(src, runStart, n);
    if (this.store.lineCount > 0) this.owners.push({ owner, end: this.store.lineCount });
    else batches[batches.length - 1].completed.push(owner);
    return batches;
  }

  /** The same, for lines given as text (lines kept from an earlier run, tests). */
  addLines(lines: string[], owner: T): Batch<T>[] {
    const w = new LineWriter();
    for (const l of lines) {
      w.text(l);
      w.endLine();
    }
    return this.add(w, owner);
  }

  /** Everything buffered as one batch, or undefined when empty. */
  flush(): Batch<T> | undefined {
    return this.store.lineCount === 0 ? undefined : this.cut();
  }

  /** Drops the buffer; returns the owners whose lines were dropped. */
  reset(): T[] {
    const dropped = this.owners.map((p) => p.owner);
    this.store.reset();
    this.owners = [];
    return dropped;
  }

  private cut(): Batch<T> {
    const n = this.store.lineCount;
    const batch: Batch<T> = { payload: this.store.toString(), lines: n, bytes: this.store.bytes, completed: [] };
    let kept = 0;
    for (const p of this.owners) {
      if (p.end <= n) batch.completed.push(p.owner);
      else this.owners[kept++] = { owner: p.owner, end: p.end - n };
    }
    this.owners.length = kept;
    this.store.reset();
    return batch;
  }

  /** Bytes left buffered after adding these lines and cutting the batches they fill. */
  private residualAfter(src: LineWriter): number {
    const { maxLines, maxBytes } = this.limits;
    let n = this.store.lineCount;
    let bytes = this.store.bytes;
    for (let i = 0; i < src.lineCount; i++) {
      const size = src.lineBytes(i);
      if (maxBytes > 0 && n > 0 && bytes + 1 + size > maxBytes) {
        n = 0;
        bytes = 0;
      }
      bytes += (n > 0 ? 1 : 0) + size;
      n++;
      if (maxLines > 0 && n >= maxLines) {
        n = 0;
        bytes = 0;
      }
    }
    return bytes;
  }
}
