// Readings -> InfluxDB line protocol, typed by the telemetry schema: floats are written without a
// suffix whatever the JSON looked like (`50` stays a float), integers with `i`, booleans as
// true/false, strings quoted. A value the schema cannot type is refused, never guessed.

import {
  CompiledColumn,
  CompiledDeviceType,
  CompiledSchema,
  TAG_CACHE_SIZE,
  asReading,
  missingKey,
  noFields,
} from '../schema/compiled-schema';
import { LineWriter } from './line-writer';
import { escapeKeyOrTagValue, escapeMeasurement, quoteStringField } from './lp-escape';
import { ReadingError } from '../schema/reading-error';
import {
  FRACTION_DIGITS,
  Instant,
  Precision,
  canonicalIsoSeconds,
  formatAtPrecision,
  parseTimestamp,
} from '../timestamps';

/** Writes one reading as one line into w, or refuses it (w is then as before). */
export type LineBytesEncoder = (w: LineWriter, reading: unknown, nowMs: number) => ReadingError | undefined;
/** One reading as one line of text (no trailing newline), or why not. */
export type LineEncoder = (reading: unknown, nowMs: number) => string | ReadingError;

interface FieldWriter {
  col: CompiledColumn;
  /** ` key=` before the first field, `,key=` before the others. */
  first: Uint8Array;
  next: Uint8Array;
  write(w: LineWriter, v: unknown): ReadingError | undefined;
}

interface SeriesKey {
  values: unknown[];
  bytes: Uint8Array;
  ascii: boolean;
}

interface LinePlan {
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

  return function encodeInto(w, reading, nowMs) {
    const r = asReading(reading);
    if (r instanceof ReadingError) return r;
    const plan = compiled.planFor(r);
    if (plan instanceof ReadingError) return plan;
    const lp = linePlan(plan);

    const series = seriesKey(measurementLp, plan, lp, r);
    if (series instanceof ReadingError) return series;
    w.bytesOf(series.bytes, series.ascii);
    let first = true;
    for (const f of lp.fields) {
      const v = r[f.col.key];
      if (v === undefined || v === null) {
        if (f.col.spec.required) return drop(w, missingKey(f.col.key, plan));
        continue;
      }
      w.bytesOf(first ? f.first : f.next);
      const error = f.write(w, v);
      if (error) return drop(w, error);
      first = false;
    }
    if (first) {
      return drop(w, noFields(plan));
    }

    const tsRaw = r[tsKey];
    w.byte(SPACE);
    const seconds = typeof tsRaw === 'string' ? canonicalIsoSeconds(tsRaw) : undefined;
    if (seconds !== undefined) {
      w.ascii(seconds);
      if (fractionDigits > 0) w.asciiDigits(tsRaw as string, 20, (tsRaw as string).length - 21, fractionDigits);
    } else {
      let t: Instant | string = { ms: nowMs, nanos: 0 };
      if (tsRaw !== undefined && tsRaw !== null) {
        t = parseTimestamp(tsRaw);
        if (typeof t === 'string') return drop(w, new ReadingError('invalid_timestamp', `'${tsKey}' ${t}`, tsKey));
      }
      w.ascii(formatAtPrecision(t, precision));
    }
    w.endLine();
    return undefined;
  };
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
    fields: plan.fields.map((col) => {
      const key = escapeKeyOrTagValue(col.key);
      return { col, first: Buffer.from(` ${key}=`), next: Buffer.from(`,${key}=`), write: valueWriter(col) };
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
const LETTER_I = 105;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

function valueWriter(col: CompiledColumn): (w: LineWriter, v: unknown) => ReadingError | undefined {
  const coerce = col.coerce;
  switch (col.spec.type) {
    case 'float': {
      const min = col.spec.min ?? -Infinity;
      const max = col.spec.max ?? Infinity;
      return (w, v) => {
        // The common case first: a finite number in range. Anything else takes the full check.
        if (typeof v === 'number' && v >= min && v <= max && v - v === 0) {
          w.float(v);
          return undefined;
        }
        const c = coerce(v);
        if (c instanceof ReadingError) return c;
        w.float(c as number);
        return undefined;
      };
    }
    case 'integer':
      return (w, v) => {
        const c = coerce(v);
        if (c instanceof ReadingError) return c;
        w.int(c as number);
        w.byte(LETTER_I);
        return undefined;
      };
    case 'boolean':
      return (w, v) => {
        const c = coerce(v);
        if (c instanceof ReadingError) return c;
        w.bytesOf(c ? TRUE : FALSE);
        return undefined;
      };
    default:
      return (w, v) => {
        const c = coerce(v);
        if (c instanceof ReadingError) return c;
        w.text(quoteStringField(c as string));
        return undefined;
      };
  }
}
