// Readings -> InfluxDB line protocol, typed by the telemetry schema: floats are written without a
// suffix whatever the JSON looked like (`50` stays a float), integers with `i`, booleans as
// true/false, strings quoted. A value the schema cannot type is refused, never guessed.

import { CompiledSchema, tagSetText } from './compiled-schema';
import { describeType } from './describe';
import { ReadingError } from './reading-error';
import { Instant, Precision, canonicalIsoAtPrecision, formatAtPrecision, parseTimestamp } from './timestamps';

export type LineEncoder = (reading: unknown, nowMs: number) => string | ReadingError;

/** Encodes one reading as one line (no trailing newline). A reading without a timestamp is
 *  stamped with nowMs, the moment it was encoded, not the later moment the batch is written. */
export function createLineEncoder(compiled: CompiledSchema, precision: Precision = compiled.schema.precision): LineEncoder {
  const tsKey = compiled.schema.timestampKey;
  const measurement = compiled.measurementLp;

  return function encode(reading, nowMs) {
    if (typeof reading !== 'object' || reading === null || Array.isArray(reading) || Buffer.isBuffer(reading)) {
      return new ReadingError('not_an_object', `a reading must be an object, got ${describeType(reading)}`);
    }
    const r = reading as Record<string, unknown>;
    const plan = compiled.planFor(r);
    if (plan instanceof ReadingError) return plan;

    const tags = tagSetText(plan, r);
    if (typeof tags !== 'string') return tags;
    let line = measurement + tags;
    let sep = ' ';
    for (const field of plan.fields) {
      const v = r[field.key];
      if (v === undefined || v === null) {
        if (field.spec.required) {
          return new ReadingError('missing_key', `'${field.key}' is required for device type '${plan.name}'`, field.key);
        }
        continue;
      }
      const text = field.lp(v);
      if (typeof text !== 'string') return text;
      line += sep + text;
      sep = ',';
    }
    if (sep === ' ') {
      return new ReadingError('no_fields', `the reading has no field values; device type '${plan.name}' needs at least one`);
    }
    const tsRaw = r[tsKey];
    if (typeof tsRaw === 'string') {
      const text = canonicalIsoAtPrecision(tsRaw, precision);
      if (text !== undefined) return `${line} ${text}`;
    }
    let t: Instant | string = { ms: nowMs, nanos: 0 };
    if (tsRaw !== undefined && tsRaw !== null) {
      t = parseTimestamp(tsRaw);
      if (typeof t === 'string') return new ReadingError('invalid_timestamp', `'${tsKey}' ${t}`, tsKey);
    }
    return `${line} ${formatAtPrecision(t, precision)}`;
  };
}

