// Checks one reading against its device type and coerces it to the declared types in place.
// A refused reading is left exactly as it came: coercions are collected first and applied only
// once every check has passed.

import {
  CompiledColumn,
  CompiledDeviceType,
  CompiledSchema,
  asReading,
  isAlreadyTyped,
  knownValidTags,
  missingKey,
  noFields,
  rememberValidTags,
} from './compiled-schema';
import { ReadingError } from './reading-error';
import { isForbiddenKey } from './schema';
import { Instant, formatIso, isCanonicalIso, parseTimestamp } from '../timestamps';
import { named } from '../shown-text';

export interface ValidatorSettings {
  /** A reading without a timestamp: stamped with its arrival time, or refused. */
  missingTimestamp: 'now' | 'reject';
  /** How far ahead of this machine's clock a timestamp may be (ms; 0 = no limit). */
  maxFutureMs: number;
  /** How far behind (ms; 0 = no limit): catches devices that lost their clock and report 1970. */
  maxPastMs: number;
  /** Most keys one reading may have. */
  maxKeys: number;
}

export const VALIDATOR_DEFAULTS: ValidatorSettings = {
  missingTimestamp: 'now',
  maxFutureMs: 5 * 60_000,
  maxPastMs: 365 * 86_400_000,
  maxKeys: 100,
};

export type ReadingValidator = (reading: unknown, nowMs: number) => ReadingError | undefined;

export function createReadingValidator(compiled: CompiledSchema, settings: ValidatorSettings): ReadingValidator {
  const { schema } = compiled;
  const tsKey = schema.timestampKey;
  const rejectUnknownKeys = schema.unknownKeys === 'reject';

  // One per validator, not one per reading: validate is never re-entered (coercers do not validate).
  const st: ColumnCheck = { keys: 0, values: 0, changes: undefined };

  return function validate(reading, nowMs) {
    const r = asReading(reading);
    if (r instanceof ReadingError) return r;
    let keyCount = 0;
    let forbidden: string | undefined;
    for (const k in r) {
      keyCount++;
      if (isForbiddenKey(k)) forbidden = k;
    }
    if (keyCount > settings.maxKeys) {
      return new ReadingError('too_many_keys', `the reading has ${keyCount} keys; the limit is ${settings.maxKeys}`);
    }
    if (forbidden !== undefined) {
      return new ReadingError('forbidden_key', `the key ${named(forbidden)} is not accepted in a reading`, forbidden);
    }
    const plan = compiled.planFor(r);
    if (plan instanceof ReadingError) return plan;

    st.keys = 0;
    st.values = 0;
    st.changes = undefined;
    const knownTags = knownValidTags(plan, r);
    if (knownTags >= 0) {
      st.keys = knownTags;
    } else {
      const error = checkColumns(plan.tags, r, plan, st);
      if (error) return error;
      if (st.changes === undefined && plan.tags.length > 0) rememberValidTags(plan, r);
    }
    st.values = 0;
    const error = checkColumns(plan.fields, r, plan, st);
    if (error) return error;
    const fields = st.values;
    let present = st.keys;
    let changes: unknown[] | undefined = st.changes;
    if (fields === 0) return noFields(plan);

    const tsRaw = r[tsKey];
    let instant: Instant | string;
    if (tsRaw === undefined || tsRaw === null) {
      if (settings.missingTimestamp === 'reject') {
        return new ReadingError('missing_timestamp', `the reading has no ${named(tsKey)}`, tsKey);
      }
      instant = { ms: nowMs, nanos: 0 };
      (changes ??= []).push(tsKey, formatIso(instant));
      if (tsRaw === null) present++;
    } else {
      present++;
      instant = parseTimestamp(tsRaw);
      if (typeof instant === 'string')
        return new ReadingError('invalid_timestamp', `${named(tsKey)} ${instant}`, tsKey);
      const ahead = instant.ms - nowMs;
      if (settings.maxFutureMs > 0 && ahead > settings.maxFutureMs) {
        return new ReadingError(
          'timestamp_in_future',
          `${named(tsKey)} ${formatIso(instant)} is ${duration(ahead)} ahead of this server's clock (limit ${duration(settings.maxFutureMs)}); check the device's clock`,
          tsKey,
        );
      }
      if (settings.maxPastMs > 0 && -ahead > settings.maxPastMs) {
        return new ReadingError(
          'timestamp_too_old',
          `${named(tsKey)} ${formatIso(instant)} is ${duration(-ahead)} old (limit ${duration(settings.maxPastMs)}); check the device's clock`,
          tsKey,
        );
      }
      if (typeof tsRaw !== 'string' || !isCanonicalIso(tsRaw, instant))
        (changes ??= []).push(tsKey, formatIso(instant));
    }

    if (present !== keyCount && rejectUnknownKeys) {
      for (const k in r) {
        if (k !== tsKey && !plan.declared.has(k)) {
          return new ReadingError('unknown_key', `${named(k)} is not declared for device type ${named(plan.name)}`, k);
        }
      }
    }
    if (changes !== undefined) {
      for (let i = 0; i < changes.length; i += 2) r[changes[i] as string] = changes[i + 1];
    }
    return undefined;
  };
}

interface ColumnCheck {
  /** Keys present, null-valued ones included. */
  keys: number;
  /** Keys with a value. */
  values: number;
  /** Pairs of key and coerced value to apply once the whole reading has passed. */
  changes: unknown[] | undefined;
}

function checkColumns(
  cols: CompiledColumn[],
  r: Record<string, unknown>,
  plan: CompiledDeviceType,
  st: ColumnCheck,
): ReadingError | undefined {
  for (let i = 0; i < cols.length; i++) {
    const col = cols[i];
    const v = r[col.key];
    if (v === undefined || v === null) {
      if (v === null) st.keys++;
      if (col.spec.required) return missingKey(col.key, plan);
      continue;
    }
    st.keys++;
    st.values++;
    if (isAlreadyTyped(col, v)) continue; // what coerce would give back unchanged
    const c = col.coerce(v);
    if (c instanceof ReadingError) return c;
    if (c !== v) (st.changes ??= []).push(col.key, c);
  }
  return undefined;
}

function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}
