import { describeType } from './describe';
import { quoted } from './shown-text';

// Timestamps as readings carry them (ISO 8601 strings, epoch numbers of any unit, Date, bigint)
// turned into one exact instant, and that instant written at a line-protocol precision.
//
// An instant is epoch milliseconds (an integer) plus the nanoseconds within that millisecond, so
// nanosecond timestamps stay exact without BigInt on the hot path.

export type Precision = 'ns' | 'us' | 'ms' | 's';
export const PRECISIONS: readonly Precision[] = ['ns', 'us', 'ms', 's'];

export interface Instant {
  ms: number;
  nanos: number; // 0..999_999
}

// int64 nanoseconds cover 1677-09-21 .. 2262-04-11; InfluxDB cannot store anything outside.
const MIN_MS = -9_223_372_036_854;
const MAX_MS = 9_223_372_036_853;

// Magnitude bands for bare epoch numbers: a value below 1e11 is seconds (1e11 s is the year 5138),
// below 1e14 milliseconds, below 1e17 microseconds, otherwise nanoseconds. Every plausible
// timestamp of each unit for the years 1973..5138 falls in its own band.
const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const MICROS_BELOW = 1e17;

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DIGITS_RE = /^-?\d{1,20}$/;

// The whole second of the last canonical timestamp read ("YYYY-MM-DDTHH:MM:SS") and its epoch
// milliseconds: readings that arrive together share their second.
const cachedSecond = new Uint16Array(19); // its character codes: cheaper to compare than a sliced string
let haveCachedSecond = false;
let cachedSecondMs = 0;

/** Whether s starts with the remembered second. Compared from the end, where seconds change,
 *  unrolled, and the separators against what every remembered second has there (parseCanonicalIso
 *  checked them): a loop costs half as much again. String.prototype.startsWith costs several
 *  times more on this path. */
function inCachedSecond(s: string): boolean {
  const c = cachedSecond;
  return (
    haveCachedSecond &&
    s.charCodeAt(18) === c[18] &&
    s.charCodeAt(17) === c[17] &&
    s.charCodeAt(15) === c[15] &&
    s.charCodeAt(14) === c[14] &&
    s.charCodeAt(12) === c[12] &&
    s.charCodeAt(11) === c[11] &&
    s.charCodeAt(9) === c[9] &&
    s.charCodeAt(8) === c[8] &&
    s.charCodeAt(6) === c[6] &&
    s.charCodeAt(5) === c[5] &&
    s.charCodeAt(3) === c[3] &&
    s.charCodeAt(2) === c[2] &&
    s.charCodeAt(1) === c[1] &&
    s.charCodeAt(0) === c[0] &&
    s.charCodeAt(16) === 58 && // ':'
    s.charCodeAt(13) === 58 &&
    s.charCodeAt(10) === c[10] && // 'T', or what the caller let through there
    s.charCodeAt(7) === 45 && // '-'
    s.charCodeAt(4) === 45
  );
}

function rememberSecond(s: string, wholeMs: number): void {
  for (let i = 0; i < 19; i++) cachedSecond[i] = s.charCodeAt(i);
  haveCachedSecond = true;
  cachedSecondMs = wholeMs;
}
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses a timestamp value; returns the instant, or a sentence saying why it is not one. */
export function parseTimestamp(value: unknown): Instant | string {
  switch (typeof value) {
    case 'string':
      return parseTimestampString(value);
    case 'number':
      return fromEpochNumber(value);
    case 'bigint':
      return fromEpochNanos(value);
    case 'object':
      if (value instanceof Date) {
        const ms = value.getTime();
        return Number.isNaN(ms) ? 'is an invalid Date' : checkRange({ ms, nanos: 0 });
      }
  }
  return `must be an ISO 8601 string or an epoch number, got ${describeType(value)}`;
}

function parseTimestampString(s: string): Instant | string {
  const len = s.length;
  // Fast path without a regex for the form most readings carry: "YYYY-MM-DDTHH:MM:SS[.f…]Z".
  if (len >= 20 && len <= 30 && s.charCodeAt(len - 1) === 90 && s.charCodeAt(10) === 84) {
    const t = parseCanonicalIso(s, len);
    if (t !== undefined) return checkRange(t);
  }
  if (DIGITS_RE.test(s)) {
    return s.length <= 15 ? fromEpochNumber(Number(s)) : fromEpochNanosOrSmaller(BigInt(s));
  }
  if (len > 40) return 'is not an ISO 8601 timestamp';
  const m = ISO_RE.exec(s);
  if (m === null) return `is not an ISO 8601 timestamp: ${quoted(s)}`;
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  const hour = m[4] === undefined ? 0 : +m[4];
  const minute = m[5] === undefined ? 0 : +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  if (month < 1 || month > 12) return `has month ${m[2]}: ${quoted(s)}`;
  if (day < 1 || day > DAYS_IN_MONTH[month - 1] || (month === 2 && day === 29 && !isLeapYear(year))) {
    return `has no day ${m[3]} in that month: ${quoted(s)}`;
  }
  if (hour > 23 || minute > 59 || second > 59) return `has an impossible time of day: ${quoted(s)}`;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = +digits.slice(0, 2);
    const om = digits.length > 2 ? +digits.slice(2, 4) : 0;
    if (oh > 23 || om > 59) return `has an impossible UTC offset: ${quoted(s)}`;
    offsetMinutes = sign * (oh * 60 + om);
  }
  // A missing zone means UTC (documented in the help): devices on a factory floor rarely know their zone.
  const wholeMs = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  const frac = m[7] === undefined ? 0 : fraction(m[7], 0, m[7].length);
  return checkRange({ ms: wholeMs + Math.floor(frac / 1e6), nanos: frac % 1e6 });
}

/** "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" read digit by digit; undefined when the string is not exactly
 *  that (the general parser then decides). */
function parseCanonicalIso(s: string, len: number): Instant | undefined {
  if ((len === 20 || s.charCodeAt(19) === 46) && inCachedSecond(s)) {
    const frac = len > 20 ? fraction(s, 20, len - 1) : 0;
    if (frac >= 0) return { ms: cachedSecondMs + Math.floor(frac / 1e6), nanos: frac % 1e6 };
  }
  let frac = 0;
  if (len > 20) {
    if (s.charCodeAt(19) !== 46) return undefined;
    frac = fraction(s, 20, len - 1);
    if (frac < 0) return undefined;
  }
  const wholeMs = wholeSecondOf(s);
  if (Number.isNaN(wholeMs)) return undefined;
  return { ms: wholeMs + Math.floor(frac / 1e6), nanos: frac % 1e6 };
}

/** Epoch milliseconds of the date and time "YYYY-MM-DDTHH:MM:SS" that s starts with (whatever
 *  stands at the T), remembered as the cached second when InfluxDB can store it; NaN when it is
 *  not a date and time that exists. */
function wholeSecondOf(s: string): number {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58)
    return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 7);
  const day = digits(s, 8, 10);
  const hour = digits(s, 11, 13);
  const minute = digits(s, 14, 16);
  const second = digits(s, 17, 19);
  if ((year | month | day | hour | minute | second) < 0) return NaN;
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1] || hour > 23 || minute > 59 || second > 59)
    return NaN;
  if (month === 2 && day === 29 && !isLeapYear(year)) return NaN;
  const wholeMs = (((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second) * 1000;
  if (wholeMs >= 0 && wholeMs <= MAX_MS) rememberSecond(s, wholeMs);
  return wholeMs;
}

function digits(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Nanoseconds (0..999_999_999) written by the digits s[from..to), or -1 if they are not digits. */
function fraction(s: string, from: number, to: number): number {
  const n = to - from;
  if (n < 1 || n > 9) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  for (let i = n; i < 9; i++) v *= 10;
  return v;
}

function fromEpochNumber(v: number): Instant | string {
  if (!Number.isFinite(v)) return `must be a finite number, got ${v}`;
  const a = Math.abs(v);
  // Split into whole milliseconds and the rest in the number's own unit, so integral micro- and
  // nanosecond values keep every digit a double holds.
  let ms: number;
  let nanos: number;
  if (a < SECONDS_BELOW) {
    ms = Math.floor(v * 1000);
    nanos = Math.round((v * 1000 - ms) * 1e6);
  } else if (a < MILLIS_BELOW) {
    ms = Math.floor(v);
    nanos = Math.round((v - ms) * 1e6);
  } else if (a < MICROS_BELOW) {
    ms = Math.floor(v / 1000);
    nanos = Math.round((v - ms * 1000) * 1000);
  } else {
    ms = Math.floor(v / 1e6);
    nanos = Math.round(v - ms * 1e6);
  }
  return checkRange({ ms, nanos: Math.min(999_999, Math.max(0, nanos)) });
}

function fromEpochNanosOrSmaller(v: bigint): Instant | string {
  const a = v < 0n ? -v : v;
  if (a < BigInt(MICROS_BELOW)) return fromEpochNumber(Number(v));
  return fromEpochNanos(v);
}

function fromEpochNanos(v: bigint): Instant | string {
  let ms = v / 1_000_000n;
  let nanos = v % 1_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000n;
    ms -= 1n;
  }
  if (ms < BigInt(MIN_MS) || ms > BigInt(MAX_MS)) return 'is outside the range InfluxDB can store (1677..2262)';
  return { ms: Number(ms), nanos: Number(nanos) };
}

function checkRange(t: Instant): Instant | string {
  return t.ms < MIN_MS || t.ms > MAX_MS ? 'is outside the range InfluxDB can store (1677..2262)' : t;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export const FRACTION_DIGITS: Record<Precision, number> = { s: 0, ms: 3, us: 6, ns: 9 };

/** v itself when parseTimestamp reads it as a whole number of epoch milliseconds that InfluxDB can
 *  store ({ ms: v, nanos: 0 }), else -1: the common epoch form, checked without making an instant. */
export function wholeEpochMillis(v: number): number {
  return v >= SECONDS_BELOW && v <= MAX_MS && Math.floor(v) === v ? v : -1;
}

/** For a canonical UTC ISO string ("YYYY-MM-DDTHH:MM:SS[.f…]Z", after 1970-01-01T00:00:01), its
 *  whole epoch seconds; -1 when the string is not in that form. The digits after the decimal
 *  point are then the line-protocol timestamp's sub-second digits as they stand, so the timestamp
 *  is written without making an instant. Readings arriving together share their second, which is
 *  parsed once. */
export function canonicalIsoSecond(s: string): number {
  const len = s.length;
  if (len < 20 || len > 30 || s.charCodeAt(len - 1) !== 90 || (len > 20 && s.charCodeAt(19) !== 46)) return -1;
  if (!inCachedSecond(s)) {
    const ms = wholeSecondOf(s); // the second alone, its fraction checked below
    if (!(ms >= 1000 && ms <= MAX_MS)) return -1;
  }
  for (let i = 20; i < len - 1; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  return cachedSecondMs / 1000;
}

/** The instant as a line-protocol timestamp at the given precision (truncated towards the past). */
export function formatAtPrecision(t: Instant, precision: Precision): string {
  switch (precision) {
    case 'ns':
      // Written as two small integers: V8 turns those into text far faster than a 13-digit double.
      if (t.ms >= 1e6) return `${Math.floor(t.ms / 1e6)}${pad6(t.ms % 1e6)}${t.nanos === 0 ? '000000' : pad6(t.nanos)}`;
      return String(BigInt(t.ms) * 1_000_000n + BigInt(t.nanos));
    case 'us':
      return String(t.ms * 1000 + Math.floor(t.nanos / 1000));
    case 'ms':
      return String(t.ms);
    case 's':
      return String(Math.floor(t.ms / 1000));
  }
}

/** Canonical ISO 8601 UTC: milliseconds, or nanoseconds when there is a sub-millisecond part. */
export function formatIso(t: Instant): string {
  const iso = new Date(t.ms).toISOString();
  return t.nanos === 0 ? iso : `${iso.slice(0, 23)}${pad6(t.nanos)}Z`;
}

/** True when the string is already the canonical form formatIso would produce for it. */
export function isCanonicalIso(s: string, t: Instant): boolean {
  const len = s.length;
  return (len === 24 && t.nanos === 0) || (len === 30 && t.nanos !== 0)
    ? s.charCodeAt(10) === 84 && s.charCodeAt(len - 1) === 90 && s.charCodeAt(19) === 46
    : false;
}

function pad6(n: number): string {
  return String(n + 1_000_000).slice(1);
}
