// A telemetry schema compiled once into per-device-type plans: for every column a coercer that
// turns whatever the JSON looked like into the declared type, or says why it cannot. The validator
// and the line-protocol encoder both run these plans, so a value is judged and typed the same way
// wherever it goes.

import { ReadingError } from './reading-error';
import { ColumnSpec, TelemetrySchema, ValueType, endsWithBackslash, isForbiddenKey, unwritableName } from './schema';
import { describeType } from '../describe';
import { named, quoted } from '../shown-text';

export type Coercer = (v: unknown) => unknown;

export interface CompiledColumn {
  key: string;
  spec: ColumnSpec;
  /** The declared-type value, or a ReadingError. Never mutates. */
  coerce: Coercer;
  /** What a value that needs no coercion looks like (FLOAT, INTEGER, BOOLEAN; OTHER for strings
   *  and tags, which always take the coercer), and the declared range of a number field
   *  (-Infinity..Infinity when open): see isAlreadyTyped. */
  typed: number;
  min: number;
  max: number;
}

export const FLOAT = 1;
export const INTEGER = 2;
export const BOOLEAN = 3;
export const OTHER = 0;

/** Whether coerce would hand v back unchanged without looking further: a finite number in range
 *  for a float field, a safe whole one in range for an integer field, a boolean for a boolean
 *  field. The common case on the hot paths, checked there without a call through the coercer. */
export function isAlreadyTyped(col: CompiledColumn, v: unknown): boolean {
  switch (col.typed) {
    case FLOAT:
      return typeof v === 'number' && v >= col.min && v <= col.max && v - v === 0;
    case INTEGER:
      return (
        typeof v === 'number' && v >= col.min && v <= col.max && Math.floor(v) === v && v <= MAX_SAFE && v >= -MAX_SAFE
      );
    case BOOLEAN:
      return typeof v === 'boolean';
    default:
      return false;
  }
}

export interface CompiledDeviceType {
  name: string;
  /** Tags in the byte order InfluxDB sorts them in. */
  tags: CompiledColumn[];
  fields: CompiledColumn[];
  declared: Set<string>;
  /** Tag values that passed every check unchanged, by the value of the first tag. */
  validTagSets: Map<unknown, unknown[]>;
}

export interface CompiledSchema {
  schema: TelemetrySchema;
  deviceTypes: Map<string, CompiledDeviceType>;
  /** The plan for this reading's device type (inferred when unlisted and the schema allows it). */
  planFor(reading: Record<string, unknown>): CompiledDeviceType | ReadingError;
}

const compiledCache = new WeakMap<TelemetrySchema, CompiledSchema>();

export function compileSchema(schema: TelemetrySchema): CompiledSchema {
  let c = compiledCache.get(schema);
  if (!c) {
    c = build(schema);
    compiledCache.set(schema, c);
  }
  return c;
}

function build(schema: TelemetrySchema): CompiledSchema {
  const deviceTypes = new Map<string, CompiledDeviceType>();
  for (const [name, spec] of Object.entries(schema.deviceTypes)) {
    deviceTypes.set(name, compileDeviceType(name, spec.columns, schema));
  }
  const inferredTags = new Set(schema.inferredTags);
  const inferredCache = new Map<string, CompiledDeviceType>();
  const dtKey = schema.deviceTypeKey;
  const known = [...deviceTypes.keys()].join(', ') || 'none';

  function infer(reading: Record<string, unknown>, deviceType: string): CompiledDeviceType | ReadingError {
    const columns = Object.create(null) as Record<string, ColumnSpec>;
    let signature = deviceType;
    for (const key in reading) {
      if (key === schema.timestampKey) continue;
      if (isForbiddenKey(key))
        return new ReadingError('forbidden_key', `the key ${named(key)} is not accepted in a reading`, key);
      const problem = unwritableName(key);
      if (problem)
        return new ReadingError(
          'invalid_characters',
          `the key ${quoted(key)} cannot be a column name in InfluxDB: it ${problem}`,
          key,
        );
      const v = reading[key];
      if (v === null || v === undefined) continue;
      let spec: ColumnSpec;
      if (inferredTags.has(key)) spec = { kind: 'tag', type: 'string', required: false };
      else if (typeof v === 'number' || typeof v === 'bigint') spec = { kind: 'field', type: 'float', required: false };
      else if (typeof v === 'boolean') spec = { kind: 'field', type: 'boolean', required: false };
      else if (typeof v === 'string') spec = { kind: 'field', type: 'string', required: false };
      else
        return new ReadingError(
          'nested_value',
          `${named(key)} is ${describeType(v)}; only numbers, booleans and strings can be stored`,
          key,
        );
      columns[key] = spec;
      signature += `\u0000${key}\u0000${spec.type}`;
    }
    // Readings of one unknown type mostly share their keys: reuse the plan.
    let plan = inferredCache.get(signature);
    if (!plan) {
      plan = compileDeviceType(deviceType, columns, schema);
      if (inferredCache.size > 1000) inferredCache.clear();
      inferredCache.set(signature, plan);
    }
    return plan;
  }

  return {
    schema,
    deviceTypes,
    planFor(reading) {
      const dt = reading[dtKey];
      if (typeof dt === 'string') {
        const plan = deviceTypes.get(dt);
        if (plan) return plan;
        if (dt === '')
          return new ReadingError(
            'missing_device_type',
            `${named(dtKey)} is empty; it says which device type the reading belongs to`,
            dtKey,
          );
        if (schema.unknownDeviceTypes === 'infer') return infer(reading, dt);
        return new ReadingError(
          'unknown_device_type',
          `device type ${quoted(dt)} is not in the schema (known: ${known}); add it to the telemetry-schema or let it infer unknown device types`,
          dtKey,
        );
      }
      if (dt === undefined || dt === null) {
        return new ReadingError(
          'missing_device_type',
          `the reading has no ${named(dtKey)}, which says which device type it belongs to`,
          dtKey,
        );
      }
      return new ReadingError('wrong_type', `${named(dtKey)} must be a string, got ${describeType(dt)}`, dtKey);
    },
  };
}

function compileDeviceType(
  name: string,
  specs: Record<string, ColumnSpec>,
  schema: TelemetrySchema,
): CompiledDeviceType {
  const columns: CompiledColumn[] = Object.entries(specs).map(([key, spec]) => ({
    key,
    spec,
    coerce: coercerFor(key, spec, schema),
    typed:
      spec.kind === 'tag'
        ? OTHER
        : spec.type === 'float'
          ? FLOAT
          : spec.type === 'integer'
            ? INTEGER
            : spec.type === 'boolean'
              ? BOOLEAN
              : OTHER,
    min: spec.min ?? -Infinity,
    max: spec.max ?? Infinity,
  }));
  const tags = columns.filter((c) => c.spec.kind === 'tag').sort((a, b) => compareBytes(a.key, b.key));
  const fields = columns.filter((c) => c.spec.kind === 'field');
  return { name, tags, fields, declared: new Set(columns.map((c) => c.key)), validTagSets: new Map() };
}

/** How many tags the reading has, when exactly these tag values passed the checks before (a device
 *  sends the same tags every time); -1 when they must be checked. */
export function knownValidTags(plan: CompiledDeviceType, r: Record<string, unknown>): number {
  const tags = plan.tags;
  if (tags.length === 0) return 0;
  const seen = plan.validTagSets.get(r[tags[0].key]);
  if (seen === undefined) return -1;
  let present = 0;
  for (let i = 0; i < tags.length; i++) {
    const v = r[tags[i].key];
    if (v !== seen[i]) return -1;
    if (v !== undefined) present++; // as checkColumns counts: a key with null is present
  }
  return present;
}

export function rememberValidTags(plan: CompiledDeviceType, r: Record<string, unknown>): void {
  if (plan.validTagSets.size >= TAG_CACHE_SIZE) plan.validTagSets.clear();
  plan.validTagSets.set(
    r[plan.tags[0].key],
    plan.tags.map((t) => r[t.key]),
  );
}

/** The value as a reading (a plain object), or why it is not one. */
export function asReading(v: unknown): Record<string, unknown> | ReadingError {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) {
    return new ReadingError('not_an_object', `a reading must be an object, got ${describeType(v)}`);
  }
  return v as Record<string, unknown>;
}

export function missingKey(key: string, plan: CompiledDeviceType): ReadingError {
  return new ReadingError('missing_key', `${named(key)} is required for device type ${named(plan.name)}`, key);
}

export function noFields(plan: CompiledDeviceType): ReadingError {
  return new ReadingError(
    'no_fields',
    `the reading has no field values; device type ${named(plan.name)} needs at least one`,
  );
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Most tag sets remembered per device type; device ids and locations repeat endlessly. */
export const TAG_CACHE_SIZE = 10_000;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const NUMERIC_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
// Control characters have no escape in line protocol; tags refuse all of them, string fields all
// but tab. Surrogate code units are checked further for lone halves (invalid UTF-8 once encoded).
// eslint-disable-next-line no-control-regex
const TAG_SUSPECT = /[\u0000-\u001f\u007f\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex
const STRING_SUSPECT = /[\u0000-\u0008\u000a-\u001f\u007f\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const STRING_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function coercerFor(key: string, spec: ColumnSpec, schema: TelemetrySchema): Coercer {
  if (spec.kind === 'tag') return tagCoercer(key, spec.maxLength ?? schema.maxTagLength);
  const coerce = valueCoercer(key, spec.type, spec.maxLength ?? schema.maxStringLength);
  if (spec.min === undefined && spec.max === undefined) return coerce;
  const min = spec.min ?? -Infinity;
  const max = spec.max ?? Infinity;
  const unit = spec.unit ? ` ${spec.unit}` : '';
  return (v) => {
    const n = coerce(v);
    if (typeof n === 'number' && (n < min || n > max)) {
      return new ReadingError(
        'out_of_range',
        `field ${named(key)} is ${n}${unit}, outside ${rangeText(spec)}${unit}`,
        key,
      );
    }
    return n;
  };
}

function rangeText(spec: ColumnSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return `the range ${spec.min}..${spec.max}`;
  return spec.min !== undefined ? `the minimum ${spec.min}` : `the maximum ${spec.max}`;
}

/** Checks and converts one field value of a declared type (also for rows that are not readings). */
export function valueCoercer(key: string, type: ValueType, maxLength: number): Coercer {
  const wrong = (v: unknown, want: string) =>
    typeof v === 'object'
      ? new ReadingError('nested_value', `field ${named(key)} is ${describeType(v)}; it must be ${want}`, key)
      : new ReadingError('wrong_type', `field ${named(key)} must be ${want}, got ${describeType(v)}`, key);
  switch (type) {
    case 'float':
      return (v) => {
        if (typeof v === 'number') {
          return Number.isFinite(v)
            ? v
            : new ReadingError('not_finite', `field ${named(key)} is ${v}; only finite numbers can be stored`, key);
        }
        if (typeof v === 'string' && v.length < 64 && NUMERIC_RE.test(v)) return Number(v);
        if (typeof v === 'bigint') return Number(v);
        return wrong(v, 'a number');
      };
    case 'integer':
      return (v) => {
        let n: number;
        if (typeof v === 'number') n = v;
        else if (typeof v === 'string' && v.length < 64 && NUMERIC_RE.test(v)) n = Number(v);
        else if (typeof v === 'bigint') n = Number(v);
        else return wrong(v, 'a whole number');
        if (!Number.isFinite(n))
          return new ReadingError('not_finite', `field ${named(key)} is ${n}; only finite numbers can be stored`, key);
        if (!Number.isInteger(n))
          return new ReadingError('not_integer', `field ${named(key)} is ${n} but is declared integer`, key);
        if (n > MAX_SAFE || n < -MAX_SAFE) {
          return new ReadingError(
            'out_of_range',
            `field ${named(key)} is beyond ±${MAX_SAFE}, where integers are no longer exact`,
            key,
          );
        }
        return n;
      };
    case 'boolean':
      return (v) => {
        if (typeof v === 'boolean') return v;
        if (v === 1 || v === 0) return v === 1;
        if (typeof v === 'string') {
          const t = v.trim().toLowerCase();
          if (t === 'true' || t === '1') return true;
          if (t === 'false' || t === '0') return false;
        }
        return wrong(v, 'true or false');
      };
    case 'string':
      return (v) => {
        let s: string;
        if (typeof v === 'string') s = v;
        else if (typeof v === 'number' && Number.isFinite(v)) s = String(v);
        else if (typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
        else return wrong(v, 'a string');
        if (s.length > maxLength)
          return new ReadingError(
            'too_long',
            `field ${named(key)} is ${s.length} characters long; the limit is ${maxLength}`,
            key,
          );
        if (STRING_SUSPECT.test(s) && (STRING_CONTROL.test(s) || !isWellFormed(s))) {
          return new ReadingError(
            'invalid_characters',
            `field ${named(key)} contains a line break, control character or broken Unicode: ${quoted(s)}`,
            key,
          );
        }
        return s;
      };
  }
}

/** Checks one tag value: a non-empty string InfluxDB 3 can store, within maxLength. */
export function tagCoercer(key: string, maxLength: number): Coercer {
  return (v) => {
    let s: string;
    if (typeof v === 'string') s = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || typeof v === 'bigint')
      s = String(v);
    else if (typeof v === 'object')
      return new ReadingError('nested_value', `tag ${named(key)} is ${describeType(v)}; it must be a string`, key);
    else return new ReadingError('wrong_type', `tag ${named(key)} must be a string, got ${describeType(v)}`, key);
    if (s.length === 0)
      return new ReadingError('empty_tag', `tag ${named(key)} is empty; InfluxDB cannot store an empty tag value`, key);
    if (endsWithBackslash(s)) {
      return new ReadingError(
        'invalid_characters',
        `tag ${named(key)} ends with a backslash, which InfluxDB cannot store: ${quoted(s)}`,
        key,
      );
    }
    if (s.length > maxLength)
      return new ReadingError(
        'too_long',
        `tag ${named(key)} is ${s.length} characters long; the limit is ${maxLength}`,
        key,
      );
    if (TAG_SUSPECT.test(s) && (CONTROL.test(s) || !isWellFormed(s))) {
      return new ReadingError(
        'invalid_characters',
        `tag ${named(key)} contains a line break, control character or broken Unicode: ${quoted(s)}`,
        key,
      );
    }
    return s;
  };
}

function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}
