// A float as line-protocol text, the same value String(v) would give, written faster for the
// values sensors send (a few decimals): V8 turns small integers into text several times faster
// than a double.

const SCALE = [1, 10, 100, 1000, 10_000];
const SMALL = 2_147_483_647; // small integers V8 keeps unboxed and converts quickly

/** Shortest decimal text of a finite number that reads back as exactly that number. */
export function formatFloat(v: number): string {
  for (let d = 0; d < SCALE.length; d++) {
    const i = Math.round(v * SCALE[d]);
    // i / 10^d is correctly rounded, and so is parsing the decimal "i with d decimals": both give
    // the double nearest that decimal, which is v. So the text below reads back as v, exactly.
    if (i / SCALE[d] === v && i < SMALL && i > -SMALL) {
      if (d === 0) return String(i);
      const neg = i < 0;
      let digits = String(neg ? -i : i);
      if (digits.length <= d) digits = '0'.repeat(d + 1 - digits.length) + digits;
      const point = digits.length - d;
      return `${neg ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
    }
  }
  return String(v);
}
