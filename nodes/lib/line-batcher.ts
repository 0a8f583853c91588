// Collects encoded lines into batches that flush at a line count or a byte size, and knows which
// input messages are complete once a batch has left (the core batch node's pattern: an input's
// done() is called when its last line leaves). Timers live in the node; this is the bookkeeping.

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
  private lines: string[] = [];
  private bytes = 0; // sum of line bytes, without separators
  private owners: Pending<T>[] = [];

  constructor(readonly limits: BatchLimits) {}

  get bufferedLines(): number {
    return this.lines.length;
  }

  get bufferedBytes(): number {
    return this.bytes + Math.max(0, this.lines.length - 1);
  }

  /** Adds one owner's lines (at least one); returns the batches that became full. Throws
   *  BufferFullError and adds nothing when what stays buffered would pass the memory cap. */
  add(lines: string[], owner: T): Batch<T>[] {
    if (lines.length === 0) throw new RangeError('LineBatcher.add needs at least one line');
    const sizes = lines.map((l) => Buffer.byteLength(l));
    const residual = this.residualAfter(sizes);
    if (residual > this.limits.maxBufferBytes) {
      throw new BufferFullError(this.bufferedBytes, residual - this.bufferedBytes, this.limits.maxBufferBytes);
    }
    const batches: Batch<T>[] = [];
    const { maxLines, maxBytes } = this.limits;
    for (let i = 0; i < lines.length; i++) {
      if (maxBytes > 0 && this.lines.length > 0 && this.bytes + this.lines.length + sizes[i] > maxBytes) {
        batches.push(this.cut());
      }
      this.lines.push(lines[i]);
      this.bytes += sizes[i];
      if (maxLines > 0 && this.lines.length >= maxLines) batches.push(this.cut());
    }
    if (this.lines.length > 0) this.owners.push({ owner, end: this.lines.length });
    else batches[batches.length - 1].completed.push(owner);
    return batches;
  }

  /** Everything buffered as one batch, or undefined when empty. */
  flush(): Batch<T> | undefined {
    return this.lines.length === 0 ? undefined : this.cut();
  }

  /** Drops the buffer; returns the owners whose lines were dropped. */
  reset(): T[] {
    const dropped = this.owners.map((p) => p.owner);
    this.lines = [];
    this.bytes = 0;
    this.owners = [];
    return dropped;
  }

  private cut(): Batch<T> {
    const n = this.lines.length;
    const batch: Batch<T> = { payload: this.lines.join('\n'), lines: n, bytes: this.bufferedBytes, completed: [] };
    let kept = 0;
    for (const p of this.owners) {
      if (p.end <= n) batch.completed.push(p.owner);
      else this.owners[kept++] = { owner: p.owner, end: p.end - n };
    }
    this.owners.length = kept;
    this.lines = [];
    this.bytes = 0;
    return batch;
  }

  /** Bytes left buffered after adding lines of these sizes and cutting the batches they fill. */
  private residualAfter(sizes: number[]): number {
    const { maxLines, maxBytes } = this.limits;
    let n = this.lines.length;
    let bytes = this.bytes;
    for (const size of sizes) {
      if (maxBytes > 0 && n > 0 && bytes + n + size > maxBytes) {
        n = 0;
        bytes = 0;
      }
      n++;
      bytes += size;
      if (maxLines > 0 && n >= maxLines) {
        n = 0;
        bytes = 0;
      }
    }
    return bytes + Math.max(0, n - 1);
  }
}
