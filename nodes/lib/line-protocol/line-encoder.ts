// Readings -> InfluxDB line protocol, typed by the telemetry schema: floats are written without a
// suffix whatever the JSON looked like (`50` stays a float), integers with `i`, booleans as
// true/false, strings quoted. A value the schema cannot type is refused, never guessed.

import {
  BOOLEAN,
  CompiledColumn,
  CompiledDeviceType,
  CompiledSchema,
  FLOAT,
  INTEGER,
  TAG_CACHE_SIZE,
  asReading,
  isAlreadyTyped,
  missingKey,
  noFields,
} from '../schema/compiled-schema';
import { LineWriter } from './line-writer';
import { escapeKeyOrTagValue, escapeMeasurement, quoteStringField } from './lp-escape';
import { ReadingError } from '../schema/reading-error';
import {
  FRACTION_DIGITS,
  Precision,
  canonicalIsoSecond,
  formatAtPrecision,
  parseTimestamp,
  wholeEpochMillis,
} from '../timestamps';

/** Writes one reading as one line into w, or refuses it (w is then as before). */
export type LineBytesEncoder = (w: LineWriter, reading: unknown, nowMs: number) => ReadingError | undefined;
/** One reading as one line of text (no trailing newline), or why not. */
export type LineEncoder = (reading: unknown, nowMs: number) => string | ReadingError;

interface FieldWriter {
  col: CompiledColumn;
  key: string;
  required: boolean;
  /** The column's FLOAT, INTEGER, BOOLEAN or OTHER (a string): a switch here, not a function per
   *  type, so the common cases are written inline instead of through a megamorphic call. */
  type: number;
  /** ` key=` before the first field, `,key=` before the others. */
  first: Uint8Array;
  next: Uint8Array;
}

interface SeriesKey {
  values: unknown[];
  bytes: Uint8Array;
  ascii: boolean;
}

interface LinePlan {
  plan: CompiledDeviceType;
  fields: FieldWriter[];
  tagText: ((v: unknown) => string | ReadingError)[];
  /** Measurement and tag set as bytes, by the first tag's value: a device sends the same tags
   *  every time, so this is built once per device and reused while every tag value is the same. */
  seriesKeys: Map<unknown, SeriesKey>;
}

/** A reading without a timestamp is stamped with nowMs, the moment it is encoded, not the later
 *  moment its batch is written. */
export function createLineBytesEncoder(
  compiled: CompiledSchema,
  precision: Precision = compiled.schema.precision,
): LineBytesEncoder {
  const tsKey = compiled.schema.timestampKey;
  const fractionDigits = FRACTION_DIGITS[precision];
  const measurementLp = escapeMeasurement(compiled.schema.measurement);
  const plans = new WeakMap<CompiledDeviceType, LinePlan>();
  const linePlan = (plan: CompiledDeviceType): LinePlan => {
    let lp = plans.get(plan);
    if (!lp) plans.set(plan, (lp = buildLinePlan(plan)));
    return lp;
  };
  // The declared device types by name with their line plans: one lookup where planFor and the
  // WeakMap above take two. Any other device type (inferred, refused) goes through planFor.
  const dtKey = compiled.schema.deviceTypeKey;
  const declared = new Map<string, LinePlan>();
  for (const [name, plan] of compiled.deviceTypes) declared.set(name, linePlan(plan));

  return function encodeInto(w, reading, nowMs) {
    const r = asReading(reading);
    if (r instanceof ReadingError) return r;
    const dt = r[dtKey];
    let lp = typeof dt === 'string' ? declared.get(dt) : undefined;
    if (lp === undefined) {
      const inferred = compiled.planFor(r);
      if (inferred instanceof ReadingError) return inferred;
      lp = linePlan(inferred);
    }
    const plan = lp.plan;

    const series = seriesKey(measurementLp, plan, lp, r);
    if (series instanceof ReadingError) return series;
    w.bytesOf(series.bytes, series.ascii);
    const fields = lp.fields;
    let first = true;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const v = r[f.key];
      if (v === undefined || v === null) {
        if (f.required) return drop(w, missingKey(f.key, plan));
        continue;
      }
      w.bytesOf(first ? f.first : f.next);
      first = false;
      // The common case without a call through the coercer: a value already of its declared type
      // and in range, which the coercer would hand back unchanged.
      if (isAlreadyTyped(f.col, v)) writeTyped(w, f.type, v);
      else {
        const c = f.col.coerce(v);
        if (c instanceof ReadingError) return drop(w, c);
        writeTyped(w, f.type, c);
      }
    }
    if (first) {
      return drop(w, noFields(plan));
    }

    const tsRaw = r[tsKey];
    w.byte(SPACE);
    if (typeof tsRaw === 'string') {
      const second = canonicalIsoSecond(tsRaw);
      if (second >= 0) {
        w.uint(second);
        if (fractionDigits > 0) w.asciiDigits(tsRaw, 20, tsRaw.length - 21, fractionDigits);
        w.endLine();
        return undefined;
      }
    } else if (typeof tsRaw === 'number') {
      const ms = wholeEpochMillis(tsRaw);
      if (ms >= 0) {
        writeInstant(w, ms, 0, precision);
        w.endLine();
        return undefined;
      }
    } else if (tsRaw === undefined || tsRaw === null) {
      writeInstant(w, nowMs, 0, precision);
      w.endLine();
      return undefined;
    }
    const t = parseTimestamp(tsRaw);
    if (typeof t === 'string') return drop(w, new ReadingError('invalid_timestamp', `'${tsKey}' ${t}`, tsKey));
    writeInstant(w, t.ms, t.nanos, precision);
    w.endLine();
    return undefined;
  };
}

/** An instant at a precision, as formatAtPrecision writes it, without making its string. */
function writeInstant(w: LineWriter, ms: number, nanos: number, precision: Precision): void {
  // Before 1970-01-01T00:16:40Z (never in practice), or not a whole millisecond (a caller's odd
  // clock): the general formatting.
  if (!(ms >= 1e6 && Math.floor(ms) === ms)) return w.ascii(formatAtPrecision({ ms, nanos }, precision));
  switch (precision) {
    case 'ns': {
      const high = Math.floor(ms / 1e6);
      w.uint(high);
      w.padded(ms - high * 1e6, 6);
      w.padded(nanos, 6);
      return;
    }
    case 'us':
      // Past 2^53 µs (mid-2255) formatAtPrecision's sum is rounded: keep writing what it writes.
      if (ms > MAX_SAFE_MS_AS_US) return w.ascii(formatAtPrecision({ ms, nanos }, precision));
      w.uint(ms);
      w.padded(Math.floor(nanos / 1000), 3);
      return;
    case 'ms':
      return w.uint(ms);
    case 's':
      return w.uint(Math.floor(ms / 1000));
  }
}

export function createLineEncoder(
  compiled: CompiledSchema,
  precision: Precision = compiled.schema.precision,
): LineEncoder {
  const encodeInto = createLineBytesEncoder(compiled, precision);
  const w = new LineWriter(1024);
  return (reading, nowMs) => {
    w.reset();
    const error = encodeInto(w, reading, nowMs);
    return error ?? w.toString();
  };
}

function drop(w: LineWriter, error: ReadingError): ReadingError {
  w.dropLine();
  return error;
}

function seriesKey(
  measurement: string,
  plan: CompiledDeviceType,
  lp: LinePlan,
  r: Record<string, unknown>,
): SeriesKey | ReadingError {
  const tags = plan.tags;
  const first = tags.length > 0 ? r[tags[0].key] : undefined;
  const seen = lp.seriesKeys.get(first);
  if (seen !== undefined) {
    let i = 1;
    while (i < tags.length && r[tags[i].key] === seen.values[i]) i++;
    if (i >= tags.length) return seen;
  }
  let text = measurement;
  const values: unknown[] = new Array(tags.length);
  for (let i = 0; i < tags.length; i++) {
    const v = (values[i] = r[tags[i].key]);
    if (v === undefined || v === null) {
      if (tags[i].spec.required) return missingKey(tags[i].key, plan);
      continue;
    }
    const t = lp.tagText[i](v);
    if (typeof t !== 'string') return t;
    text += t;
  }
  const bytes = Buffer.from(text);
  const key = { values, bytes, ascii: bytes.length === text.length };
  if (lp.seriesKeys.size >= TAG_CACHE_SIZE) lp.seriesKeys.clear();
  lp.seriesKeys.set(first, key);
  return key;
}

function buildLinePlan(plan: CompiledDeviceType): LinePlan {
  return {
    plan,
    fields: plan.fields.map((col): FieldWriter => {
      const key = escapeKeyOrTagValue(col.key);
      return {
        col,
        key: col.key,
        required: col.spec.required,
        type: col.typed,
        first: Buffer.from(` ${key}=`),
        next: Buffer.from(`,${key}=`),
      };
    }),
    tagText: plan.tags.map((col) => {
      const prefix = `,${escapeKeyOrTagValue(col.key)}=`;
      return (v: unknown) => {
        const c = col.coerce(v);
        return c instanceof ReadingError ? c : prefix + escapeKeyOrTagValue(c as string);
      };
    }),
    seriesKeys: new Map(),
  };
}

const SPACE = 32;
const MAX_SAFE_MS_AS_US = Math.floor(Number.MAX_SAFE_INTEGER / 1000) - 1;
const LETTER_I = 105;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/** A field value of its declared type (FLOAT, INTEGER, BOOLEAN, or OTHER: a string). */
function writeTyped(w: LineWriter, type: number, v: unknown): void {
  switch (type) {
    case FLOAT:
      return w.float(v as number);
    case INTEGER:
      w.int(v as number);
      return w.byte(LETTER_I);
    case BOOLEAN:
      return w.bytesOf(v ? TRUE : FALSE);
    default:
      return w.text(quoteStringField(v as string));
  }
}
