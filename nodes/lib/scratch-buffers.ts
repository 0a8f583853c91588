// Buffers reused for bytes that live only while they are encoded, compressed, appended to disk or
// read back from it. A fresh buffer each time is memory outside the JS heap that Node.js frees only
// when the garbage collector next runs, and during an outage little else makes it run.

export class ScratchBuffers {
  private readonly free: Buffer[] = [];

  /** Keeps at most `keep` buffers of at most `maxBytes` each; larger requests get a one-off. */
  constructor(
    private readonly keep: number,
    private readonly maxBytes: number,
  ) {}

  /** A buffer of at least `size` bytes; give it back when done with it. */
  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0];
    let n = 64 * 1024;
    while (n < size) n *= 2;
    return Buffer.allocUnsafe(size > this.maxBytes ? size : n);
  }

  give(buf: Buffer): void {
    if (buf.length > this.maxBytes) return;
    if (this.free.length < this.keep) this.free.push(buf);
    else {
      // keep the largest
      const smallest = this.free.reduce((m, b, j) => (b.length < this.free[m].length ? j : m), 0);
      if (this.free[smallest].length < buf.length) this.free[smallest] = buf;
    }
  }
}
