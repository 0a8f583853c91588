// Buffers reused for bytes that live only while they are encoded, compressed, appended to disk or
// read back from it. A fresh buffer each time is memory outside the JS heap that Node.js frees only
// when the garbage collector next runs, and during an outage little else makes it run.

export class ScratchBuffers {
  private readonly free: Buffer[] = [];
  private keptBytes = 0;

  /** Keeps buffers given back up to `maxKeptBytes` in all; what does not fit is left to the
   *  garbage collector. */
  constructor(private readonly maxKeptBytes: number) {}

  /** A buffer of at least `size` bytes (a power of two from 64 KB, so sizes near each other share
   *  buffers); give it back when done with it. */
  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) {
      const [buf] = this.free.splice(i, 1);
      this.keptBytes -= buf.length;
      return buf;
    }
    let n = 64 * 1024;
    while (n < size) n *= 2;
    return Buffer.allocUnsafe(n);
  }

  give(buf: Buffer): void {
    // Room is made by letting smaller buffers go: the larger fits more requests.
    this.free.sort((a, b) => a.length - b.length);
    while (
      this.keptBytes + buf.length > this.maxKeptBytes &&
      this.free.length > 0 &&
      this.free[0].length < buf.length
    ) {
      this.keptBytes -= this.free.shift()!.length;
    }
    if (this.keptBytes + buf.length > this.maxKeptBytes) return;
    this.free.push(buf);
    this.keptBytes += buf.length;
  }
}
