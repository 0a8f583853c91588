// The telemetry schema: which device types exist, which keys of their readings are tags, and the
// type of every field. Written once in a telemetry-schema config node and used by every node, so a
// field can never be written as integer by one node and as float by another.

import { PRECISIONS, Precision } from '../timestamps';

export type ValueType = 'float' | 'integer' | 'boolean' | 'string';
export const VALUE_TYPES: readonly ValueType[] = ['float', 'integer', 'boolean', 'string'];

export interface ColumnSpec {
  kind: 'tag' | 'field';
  type: ValueType; // tags are always 'string'
  required: boolean;
  unit?: string;
  min?: number;
  max?: number;
  maxLength?: number;
}

export interface DeviceTypeSpec {
  columns: Record<string, ColumnSpec>;
}

export interface TelemetrySchema {
  measurement: string;
  deviceTypeKey: string;
  timestampKey: string;
  precision: Precision;
  /** A reading of a device type the schema does not list: rejected, or written with inferred types. */
  unknownDeviceTypes: 'reject' | 'infer';
  /** A key a device type does not declare: the reading is rejected, or the key is left unwritten. */
  unknownKeys: 'reject' | 'ignore';
  /** Keys written as tags when a device type's columns are inferred. */
  inferredTags: string[];
  /** Longest tag value accepted (characters). */
  maxTagLength: number;
  /** Longest string field accepted when its column sets no maxLength (characters). */
  maxStringLength: number;
  deviceTypes: Record<string, DeviceTypeSpec>;
}

export class SchemaError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'SchemaError';
  }
}

/** Keys that would reach an object's prototype if copied: never accepted as names. */
export function isForbiddenKey(k: string): boolean {
  return k === '__proto__' || k === 'constructor' || k === 'prototype';
}

/** One row of the editor's table: a key of one device type's readings. */
export interface SchemaRow {
  deviceType: string;
  key: string;
  kind: 'tag' | 'field';
  type: ValueType;
  required?: boolean;
  unit?: string;
  min?: number | string | null;
  max?: number | string | null;
  maxLength?: number | string | null;
}

export const SCHEMA_DEFAULTS = {
  measurement: 'iot_sensors',
  deviceTypeKey: 'device_type',
  timestampKey: 'timestamp',
  precision: 'ns' as Precision,
  unknownDeviceTypes: 'reject' as const,
  unknownKeys: 'reject' as const,
  inferredTags: ['device_id', 'device_type', 'location', 'floor'],
  maxTagLength: 256,
  maxStringLength: 1024,
};

type Settings = Omit<TelemetrySchema, 'deviceTypes'>;

/** Builds a schema from the table rows of the editor, checking every row. */
export function schemaFromRows(settings: Partial<Settings>, rows: SchemaRow[]): TelemetrySchema {
  const deviceTypes = Object.create(null) as Record<string, DeviceTypeSpec>;
  rows.forEach((row, i) => {
    const path = `row ${i + 1}`;
    const dt = checkName(row.deviceType, `${path} device type`);
    const key = checkName(row.key, `${path} key`);
    const spec = (deviceTypes[dt] ??= { columns: Object.create(null) as Record<string, ColumnSpec> });
    if (spec.columns[key]) throw new SchemaError(path, `key "${key}" is listed twice for device type "${dt}"`);
    spec.columns[key] = checkColumn(
      {
        kind: row.kind,
        type: row.kind === 'tag' ? 'string' : row.type,
        required: row.required !== false,
        unit: row.unit,
        min: optionalNumber(row.min, `${path} min`),
        max: optionalNumber(row.max, `${path} max`),
        maxLength: optionalNumber(row.maxLength, `${path} maxLength`),
      },
      path,
    );
  });
  return finishSchema(settings, deviceTypes);
}

/** The table rows that describe a schema (the inverse of schemaFromRows). */
export function rowsFromSchema(schema: TelemetrySchema): SchemaRow[] {
  const rows: SchemaRow[] = [];
  for (const [deviceType, spec] of Object.entries(schema.deviceTypes)) {
    for (const [key, c] of Object.entries(spec.columns)) {
      const row: SchemaRow = { deviceType, key, kind: c.kind, type: c.type, required: c.required };
      if (c.unit) row.unit = c.unit;
      if (c.min !== undefined) row.min = c.min;
      if (c.max !== undefined) row.max = c.max;
      if (c.maxLength !== undefined) row.maxLength = c.maxLength;
      rows.push(row);
    }
  }
  return rows;
}

// JSON Schema form: {"deviceTypes": {"<type>": <JSON Schema of one reading>}} using a small,
// explicit subset of draft 2020-12 plus "x-tag" and "x-unit". Any other keyword is refused, so a
// schema never means something different here from what its author read.
const OBJECT_KEYWORDS = new Set(['type', 'properties', 'required', 'title', 'description', '$comment']);
const PROPERTY_KEYWORDS = new Set([
  'type',
  'x-tag',
  'x-unit',
  'minimum',
  'maximum',
  'maxLength',
  'title',
  'description',
  '$comment',
]);
const JSON_TYPES: Record<string, ValueType> = {
  number: 'float',
  integer: 'integer',
  boolean: 'boolean',
  string: 'string',
};

export function schemaFromJsonSchema(settings: Partial<Settings>, doc: unknown): TelemetrySchema {
  if (!isPlainObject(doc) || !isPlainObject(doc.deviceTypes)) {
    throw new SchemaError('JSON Schema', 'must be an object {"deviceTypes": {"<device type>": {…}}}');
  }
  const deviceTypes = Object.create(null) as Record<string, DeviceTypeSpec>;
  for (const [dtRaw, s] of Object.entries(doc.deviceTypes)) {
    const dt = checkName(dtRaw, 'device type');
    const path = `deviceTypes.${dt}`;
    if (!isPlainObject(s)) throw new SchemaError(path, 'must be a JSON Schema object');
    refuseUnknownKeywords(s, OBJECT_KEYWORDS, path);
    if (s.type !== undefined && s.type !== 'object') throw new SchemaError(path, 'type must be "object"');
    if (!isPlainObject(s.properties)) throw new SchemaError(`${path}.properties`, 'must list the keys of a reading');
    const required = s.required === undefined ? [] : s.required;
    if (!Array.isArray(required) || !required.every((r) => typeof r === 'string')) {
      throw new SchemaError(`${path}.required`, 'must be an array of key names');
    }
    const columns = Object.create(null) as Record<string, ColumnSpec>;
    for (const [keyRaw, p] of Object.entries(s.properties)) {
      const key = checkName(keyRaw, `${path}.properties key`);
      const ppath = `${path}.properties.${key}`;
      if (!isPlainObject(p)) throw new SchemaError(ppath, 'must be an object');
      refuseUnknownKeywords(p, PROPERTY_KEYWORDS, ppath);
      const type = JSON_TYPES[String(p.type)];
      if (!type) throw new SchemaError(`${ppath}.type`, 'must be one of number, integer, boolean, string');
      const isTag = p['x-tag'] === true;
      if (isTag && type !== 'string') throw new SchemaError(ppath, 'a tag ("x-tag": true) must have type "string"');
      columns[key] = checkColumn(
        {
          kind: isTag ? 'tag' : 'field',
          type,
          required: required.includes(key),
          unit: typeof p['x-unit'] === 'string' ? p['x-unit'] : undefined,
          min: optionalNumber(p.minimum, `${ppath}.minimum`),
          max: optionalNumber(p.maximum, `${ppath}.maximum`),
          maxLength: optionalNumber(p.maxLength, `${ppath}.maxLength`),
        },
        ppath,
      );
    }
    for (const r of required) {
      if (!columns[r] && r !== (settings.timestampKey ?? SCHEMA_DEFAULTS.timestampKey)) {
        throw new SchemaError(`${path}.required`, `"${r}" is required but not among the properties`);
      }
    }
    deviceTypes[dt] = { columns };
  }
  return finishSchema(settings, deviceTypes);
}

export function jsonSchemaFromSchema(schema: TelemetrySchema): object {
  const deviceTypes: Record<string, object> = {};
  for (const [dt, spec] of Object.entries(schema.deviceTypes)) {
    const properties: Record<string, object> = {};
    const required: string[] = [];
    for (const [key, c] of Object.entries(spec.columns)) {
      const p: Record<string, unknown> = { type: c.type === 'float' ? 'number' : c.type };
      if (c.kind === 'tag') p['x-tag'] = true;
      if (c.unit) p['x-unit'] = c.unit;
      if (c.min !== undefined) p.minimum = c.min;
      if (c.max !== undefined) p.maximum = c.max;
      if (c.maxLength !== undefined) p.maxLength = c.maxLength;
      properties[key] = p;
      if (c.required) required.push(key);
    }
    deviceTypes[dt] = { type: 'object', properties, required };
  }
  return { deviceTypes };
}

function finishSchema(settings: Partial<Settings>, deviceTypes: Record<string, DeviceTypeSpec>): TelemetrySchema {
  const s: TelemetrySchema = {
    measurement: checkName(settings.measurement || SCHEMA_DEFAULTS.measurement, 'measurement'),
    deviceTypeKey: checkName(settings.deviceTypeKey || SCHEMA_DEFAULTS.deviceTypeKey, 'device type key'),
    timestampKey: checkName(settings.timestampKey || SCHEMA_DEFAULTS.timestampKey, 'timestamp key'),
    precision: settings.precision || SCHEMA_DEFAULTS.precision,
    unknownDeviceTypes: settings.unknownDeviceTypes || SCHEMA_DEFAULTS.unknownDeviceTypes,
    unknownKeys: settings.unknownKeys || SCHEMA_DEFAULTS.unknownKeys,
    inferredTags: (settings.inferredTags ?? SCHEMA_DEFAULTS.inferredTags).map((t) => checkName(t, 'inferred tag')),
    maxTagLength: positiveInt(settings.maxTagLength ?? SCHEMA_DEFAULTS.maxTagLength, 'max tag length'),
    maxStringLength: positiveInt(settings.maxStringLength ?? SCHEMA_DEFAULTS.maxStringLength, 'max string length'),
    deviceTypes,
  };
  if (!PRECISIONS.includes(s.precision)) throw new SchemaError('precision', `must be one of ${PRECISIONS.join(', ')}`);
  if (s.unknownDeviceTypes !== 'reject' && s.unknownDeviceTypes !== 'infer') {
    throw new SchemaError('unknown device types', 'must be "reject" or "infer"');
  }
  if (s.unknownKeys !== 'reject' && s.unknownKeys !== 'ignore')
    throw new SchemaError('unknown keys', 'must be "reject" or "ignore"');
  for (const [dt, spec] of Object.entries(deviceTypes)) {
    const ts = spec.columns[s.timestampKey];
    if (ts)
      throw new SchemaError(
        `device type "${dt}"`,
        `"${s.timestampKey}" is the timestamp key and cannot also be a column`,
      );
    if (!Object.values(spec.columns).some((c) => c.kind === 'field')) {
      throw new SchemaError(
        `device type "${dt}"`,
        'needs at least one field: a reading without fields cannot be written',
      );
    }
    const dtc = spec.columns[s.deviceTypeKey];
    if (dtc && dtc.kind !== 'tag') throw new SchemaError(`device type "${dt}"`, `"${s.deviceTypeKey}" must be a tag`);
  }
  return s;
}

function checkColumn(c: ColumnSpec, path: string): ColumnSpec {
  if (c.kind !== 'tag' && c.kind !== 'field') throw new SchemaError(path, 'kind must be "tag" or "field"');
  if (!VALUE_TYPES.includes(c.type)) throw new SchemaError(path, `type must be one of ${VALUE_TYPES.join(', ')}`);
  if (c.min !== undefined && c.max !== undefined && c.min > c.max)
    throw new SchemaError(path, 'min is greater than max');
  if ((c.min !== undefined || c.max !== undefined) && c.type !== 'float' && c.type !== 'integer') {
    throw new SchemaError(path, 'min and max apply to float and integer fields only');
  }
  if (c.maxLength !== undefined && (c.type !== 'string' || !Number.isInteger(c.maxLength) || c.maxLength < 1)) {
    throw new SchemaError(path, 'maxLength applies to tags and string fields and must be a whole number above 0');
  }
  const out: ColumnSpec = { kind: c.kind, type: c.type, required: c.required };
  if (c.unit) out.unit = String(c.unit);
  if (c.min !== undefined) out.min = c.min;
  if (c.max !== undefined) out.max = c.max;
  if (c.maxLength !== undefined) out.maxLength = c.maxLength;
  return out;
}

function checkName(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new SchemaError(what, 'must be a non-empty name');
  if (isForbiddenKey(v)) throw new SchemaError(what, `"${v}" cannot be used as a name`);
  const problem = unwritableName(v);
  if (problem) throw new SchemaError(what, problem);
  return v;
}

/** Why InfluxDB cannot take this as a measurement, tag key or field key, if it cannot. */
export function unwritableName(v: string): string | undefined {
  if (v === '') return 'must not be empty';
  // Control characters can never be written in line protocol names (no escape exists for them).
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) return 'must not contain control characters';
  if (endsWithBackslash(v)) return 'must not end with a backslash: InfluxDB refuses such names';
  return undefined;
}

/** InfluxDB 3 refuses a measurement, tag key, tag value or field key that ends with a backslash,
 *  escaped or not (core/influxdb_line_protocol `escape_or_fallback`: EndsWithBackslash). */
export function endsWithBackslash(s: string): boolean {
  return s.charCodeAt(s.length - 1) === 92;
}

function optionalNumber(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new SchemaError(what, 'must be a number');
  return n;
}

function positiveInt(v: unknown, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SchemaError(what, 'must be a whole number above 0');
  return n;
}

function refuseUnknownKeywords(o: Record<string, unknown>, allowed: Set<string>, path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) throw new SchemaError(`${path}.${k}`, 'this JSON Schema keyword is not supported here');
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
