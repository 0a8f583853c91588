// Readings -> InfluxDB line protocol, typed by the telemetry schema: floats are written without a
// suffix whatever the JSON looked like (`50` stays a float), integers with `i`, booleans as
// true/false, strings quoted. A value the schema cannot type is refused, never guessed.

import { CompiledSchema } from './compiled-schema';
import { describeType } from './describe';
import { escapeKeyOrTagValue, quoteStringField } from './lp-escape';
import { ReadingError } from './reading-error';
import { formatAtPrecision, parseTimestamp, Precision } from './timestamps';

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

    let line = measurement;
    for (const tag of plan.tags) {
      const v = r[tag.key];
      if (v === undefined || v === null) {
        if (tag.spec.required) return new ReadingError('missing_key', `'${tag.key}' is required for device type '${plan.name}'`, tag.key);
        continue;
      }
      const c = tag.coerce(v);
      if (c instanceof ReadingError) return c;
      line += tag.lpPrefix + escapeKeyOrTagValue(c as string);
    }
    let sep = ' ';
    for (const field of plan.fields) {
      const v = r[field.key];
      if (v === undefined || v === null) {
        if (field.spec.required) {
          return new ReadingError('missing_key', `'${field.key}' is required for device type '${plan.name}'`, field.key);
        }
        continue;
      }
      const c = field.coerce(v);
      if (c instanceof ReadingError) return c;
      switch (field.spec.type) {
        case 'float':
          line += sep + field.lpPrefix + String(c);
          break;
        case 'integer':
          line += sep + field.lpPrefix + String(c) + 'i';
          break;
        case 'boolean':
          line += sep + field.lpPrefix + (c ? 'true' : 'false');
          break;
        case 'string':
          line += sep + field.lpPrefix + quoteStringField(c as string);
          break;
      }
      sep = ',';
    }
    if (sep === ' ') {
      return new ReadingError('no_fields', `the reading has no field values; device type '${plan.name}' needs at least one`);
    }
    const tsRaw = r[tsKey];
    if (tsRaw === undefined || tsRaw === null) return `${line} ${formatAtPrecision({ ms: nowMs, nanos: 0 }, precision)}`;
    const t = parseTimestamp(tsRaw);
    if (typeof t === 'string') return new ReadingError('invalid_timestamp', `'${tsKey}' ${t}`, tsKey);
    return `${line} ${formatAtPrecision(t, precision)}`;
  };
}
