// Line protocol written straight into bytes. Building a line from twenty small strings leaves a
// tree that V8 must walk and copy again when the batch is joined, and the collector must carry
// until then; writing bytes once into a growing buffer does neither. Lines are separated by \n.

const NEWLINE = 10;
const SMALL = 2_147_483_647;
const SCALE = [1, 10, 100, 1000, 10_000];

export class LineWriter {
  private buf: Buffer;
  /** Write position. */
  pos = 0;
  /** End offset (exclusive, before its \n) of every finished line. */
  readonly ends: number[] = [];
  private lineStart = 0;
  /** Whether every byte so far is ASCII: the batch then decodes as latin1, a plain copy. */
  asciiOnly = true;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get lineCount(): number {
    return this.ends.length;
  }

  /** Bytes of the finished lines, separators included except the last. */
  get bytes(): number {
    return this.ends.length === 0 ? 0 : this.ends[this.ends.length - 1];
  }

  /** The finished lines as text. */
  toString(): string {
    return this.buf.toString(this.asciiOnly ? 'latin1' : 'utf8', 0, this.bytes);
  }

  reset(): void {
    this.asciiOnly = true;
    this.pos = 0;
    this.lineStart = 0;
    this.ends.length = 0;
  }

  /** Appends finished lines [from, to) of another writer, in one copy. */
  appendFrom(src: LineWriter, from: number, to: number): void {
    if (to <= from) return;
    const start = from === 0 ? 0 : src.ends[from - 1] + 1;
    const end = src.ends[to - 1] + 1; // with the last line's \n
    const offset = this.pos - start;
    this.bytesOf(src.buf.subarray(start, end), src.asciiOnly);
    for (let i = from; i < to; i++) this.ends.push(src.ends[i] + offset);
    this.lineStart = this.pos;
  }

  /** Byte size of finished line i, without its separator. */
  lineBytes(i: number): number {
    return this.ends[i] - (i === 0 ? 0 : this.ends[i - 1] + 1);
  }

  /** Ends the line being written. */
  endLine(): void {
    this.ends.push(this.pos);
    this.room(1);
    this.buf[this.pos++] = NEWLINE;
    this.lineStart = this.pos;
  }

  /** Forgets the line being written (a reading that turned out not to be writable). */
  dropLine(): void {
    this.pos = this.lineStart;
  }

  bytesOf(src: Uint8Array, ascii = true): void {
    if (!ascii) this.asciiOnly = false;
    const n = src.length;
    this.room(n);
    const buf = this.buf;
    let pos = this.pos;
    // A loop beats TypedArray.prototype.set for the short pieces a line is made of.
    if (n < 48) for (let i = 0; i < n; i++) buf[pos++] = src[i];
    else {
      buf.set(src, pos);
      pos += n;
    }
    this.pos = pos;
  }

  /** Text known to be ASCII (numbers, escaped-free keys). */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** Characters [from, from + n) of an ASCII string, then zeros up to width characters. */
  asciiDigits(s: string, from: number, n: number, width: number): void {
    this.room(width);
    const buf = this.buf;
    let pos = this.pos;
    const take = n <= 0 ? 0 : n < width ? n : width;
    for (let i = 0; i < take; i++) buf[pos++] = s.charCodeAt(from + i);
    for (let i = take; i < width; i++) buf[pos++] = 48;
    this.pos = pos;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    this.room(s.length * 3);
    const n = this.buf.write(s, this.pos, 'utf8');
    if (n !== s.length) this.asciiOnly = false;
    this.pos += n;
  }

  /** A whole number, in decimal. */
  int(v: number): void {
    if (v < SMALL && v > -SMALL) this.smallInt(v);
    else this.ascii(String(v));
  }

  /** A finite float as the shortest decimal that reads back as exactly v (what String(v) gives),
   *  written from small integers for the few-decimal values sensors send. */
  float(v: number): void {
    for (let d = 0; d < SCALE.length; d++) {
      const i = Math.round(v * SCALE[d]);
      // i / 10^d is correctly rounded, and so is parsing the decimal "i with d decimals": both are
      // the double nearest that decimal, which is v.
      if (i / SCALE[d] === v && i < SMALL && i > -SMALL) {
        if (d === 0) return this.smallInt(i);
        this.room(24);
        let a = i;
        if (a < 0) {
          this.buf[this.pos++] = 45; // '-'
          a = -a;
        }
        const whole = Math.floor(a / SCALE[d]);
        this.smallInt(whole);
        this.buf[this.pos++] = 46; // '.'
        let frac = a - whole * SCALE[d];
        for (let k = d - 1; k >= 0; k--) {
          this.buf[this.pos + k] = 48 + (frac % 10);
          frac = Math.floor(frac / 10);
        }
        this.pos += d;
        return;
      }
    }
    this.ascii(String(v));
  }

  private smallInt(v: number): void {
    this.room(12);
    const buf = this.buf;
    if (v < 0) {
      buf[this.pos++] = 45;
      v = -v;
    }
    if (v < 10) {
      buf[this.pos++] = 48 + v;
      return;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    let pos = this.pos + digits;
    this.pos = pos;
    while (v > 0) {
      buf[--pos] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}
