// Line protocol written straight into bytes. Building a line from twenty small strings leaves a
// tree that V8 must walk and copy again when the batch is joined, and the collector must carry
// until then; writing bytes once into a growing buffer does neither. Lines are separated by \n.

const NEWLINE = 10;
const SMALL = 2_147_483_647;
/** "00" "01" … "99" as character codes: numbers are written two digits per division. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

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
    if (this.ends.length > 0) this.ends.length = 0; // a call into the runtime even when empty
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
    // A loop beats TypedArray.prototype.set (~12-25 ns a call) only for a few bytes: it costs
    // 1-2 ns a byte.
    if (n <= 8) for (let i = 0; i < n; i++) buf[pos++] = src[i];
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
    if (v < SMALL && v > -SMALL) {
      this.room(11);
      this.pos = putInt(this.buf, this.pos, v);
    } else this.ascii(String(v));
  }

  /** A whole number 0 <= v < 2^53, in decimal (what String(v) gives), without making a string. */
  uint(v: number): void {
    this.room(16);
    if (v < SMALL) {
      this.pos = putUint(this.buf, this.pos, v);
      return;
    }
    const high = Math.floor(v / 1e9);
    this.pos = putPadded(this.buf, putUint(this.buf, this.pos, high), v - high * 1e9, 9);
  }

  /** A whole number 0 <= v < 10^width, as exactly width digits (leading zeros). */
  padded(v: number, width: number): void {
    this.room(width);
    this.pos = putPadded(this.buf, this.pos, v, width);
  }

  /** A finite float as the shortest decimal that reads back as exactly v (what String(v) gives),
   *  written from small integers for the few-decimal values sensors send. */
  float(v: number): void {
    // v is the double nearest "i with d decimals" when i / 10^d === v (both sides are correctly
    // rounded). A decimal with fewer decimals that names v names it with more too (ending in
    // zeros), so trying two decimals first (what most sensors send) and then dropping trailing
    // zeros finds the shortest; fewer than 16 significant digits name at most one double, so it is
    // String(v)'s.
    let i = Math.round(v * 100);
    let scale = 100;
    if (!(i / 100 === v && i < SMALL && i > -SMALL)) {
      i = Math.round(v * 1000);
      scale = 1000;
      if (!(i / 1000 === v && i < SMALL && i > -SMALL)) {
        i = Math.round(v * 10_000);
        scale = 10_000;
        if (!(i / 10_000 === v && i < SMALL && i > -SMALL)) return this.ascii(String(v));
      }
    }
    // i / scale, |i| < 2^31, without trailing zeros ("-0" is written "0", as String(-0) is).
    this.room(16);
    const buf = this.buf;
    let pos = this.pos;
    if (i < 0) {
      buf[pos++] = 45; // '-'
      i = -i;
    }
    const whole = Math.floor(i / scale);
    let frac = i - whole * scale;
    pos = putUint(buf, pos, whole);
    if (frac !== 0) {
      buf[pos++] = 46; // '.'
      let width = scale === 100 ? 2 : scale === 1000 ? 3 : 4;
      while (frac % 10 === 0) {
        frac /= 10;
        width--;
      }
      pos = putPadded(buf, pos, frac, width);
    }
    this.pos = pos;
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

// The digit writers below assume the room was made; each returns the position after what it wrote.

/** -2^31 < v < 2^31, a whole number ("-0" as "0"). */
function putInt(buf: Buffer, pos: number, v: number): number {
  if (v < 0) {
    buf[pos++] = 45; // '-'
    v = -v;
  }
  return putUint(buf, pos, v);
}

/** 0 <= v < 2^31, a whole number (-0 too, as "0"). */
function putUint(buf: Buffer, pos: number, v: number): number {
  if (v < 10) {
    buf[pos] = 48 + v;
    return pos + 1;
  }
  const end = pos + digitCount(v);
  pos = end;
  while (v >= 100) {
    const q = Math.floor(v / 100);
    const r = (v - q * 100) * 2;
    buf[--pos] = DIGIT_PAIRS[r + 1];
    buf[--pos] = DIGIT_PAIRS[r];
    v = q;
  }
  if (v >= 10) {
    buf[pos - 1] = DIGIT_PAIRS[2 * v + 1];
    buf[pos - 2] = DIGIT_PAIRS[2 * v];
  } else buf[pos - 1] = 48 + v;
  return end;
}

/** 0 <= v < 10^width, as exactly width digits. */
function putPadded(buf: Buffer, pos: number, v: number, width: number): number {
  const end = pos + width;
  pos = end;
  while (width >= 2) {
    const q = Math.floor(v / 100);
    const r = (v - q * 100) * 2;
    buf[--pos] = DIGIT_PAIRS[r + 1];
    buf[--pos] = DIGIT_PAIRS[r];
    v = q;
    width -= 2;
  }
  if (width === 1) buf[pos - 1] = 48 + v;
  return end;
}

/** Decimal digits of 10 <= v < 2^31. */
function digitCount(v: number): number {
  if (v < 100_000) return v < 100 ? 2 : v < 1000 ? 3 : v < 10_000 ? 4 : 5;
  return v < 10_000_000 ? (v < 1_000_000 ? 6 : 7) : v < 100_000_000 ? 8 : v < 1_000_000_000 ? 9 : 10;
}
