// What the simulator simulates: device types, how many of each, and how each field's values are
// generated. The default is the reference fleet of docs/reference-pipeline.md; a custom device
// type is a small JSON definition checked here with errors that name the offending path.

import { isPlainObject } from '../schema/schema';

export type GeneratorSpec =
  | { gen: 'normal'; mean: number; sd: number; decimals?: number; daytime?: DaytimeSpec }
  | { gen: 'uniform'; min: number; max: number; decimals?: number; daytime?: DaytimeSpec }
  | { gen: 'boolean'; p: number }
  | { gen: 'integer'; min: number; max: number }
  | { gen: 'walk'; start: number; step: number; min?: number; max?: number; decimals?: number }
  | { gen: 'drift'; start: number; perHour: number; sd?: number; decimals?: number }
  | { gen: 'battery'; start?: number; drainMin: number; drainMax: number; decimals?: number }
  | { gen: 'constant'; value: number | boolean | string };

/** Added to a numeric value between two local hours (the reference fleet's warmer working day). */
export interface DaytimeSpec {
  from: number;
  to: number;
  add: number;
}

export interface DeviceTypeFleet {
  type: string;
  count: number;
  /** Device ids are prefix + a zero-padded number: TEMP_001. */
  idPrefix: string;
  fields: Record<string, GeneratorSpec>;
}

export interface FleetSpec {
  deviceTypes: DeviceTypeFleet[];
  locations: string[];
  floors: string[];
}

const BATTERY: GeneratorSpec = { gen: 'battery', start: 100, drainMin: 0.001, drainMax: 0.01, decimals: 3 };

export function referenceFleet(): FleetSpec {
  return {
    deviceTypes: [
      {
        type: 'temperature',
        count: 50,
        idPrefix: 'TEMP_',
        fields: {
          temperature: { gen: 'normal', mean: 25, sd: 2, decimals: 2, daytime: { from: 10, to: 18, add: 3 } },
          humidity: { gen: 'uniform', min: 40, max: 80, decimals: 2 },
          battery_level: BATTERY,
          signal_strength: { gen: 'integer', min: -90, max: -30 },
        },
      },
      {
        type: 'motion',
        count: 20,
        idPrefix: 'MOTION_',
        fields: {
          motion_detected: { gen: 'boolean', p: 0.25 },
          sensitivity: { gen: 'integer', min: 1, max: 10 },
          battery_level: BATTERY,
        },
      },
      {
        type: 'door',
        count: 10,
        idPrefix: 'DOOR_',
        fields: {
          door_open: { gen: 'boolean', p: 0.2 },
          open_count: { gen: 'integer', min: 0, max: 5 },
          battery_level: BATTERY,
        },
      },
    ],
    locations: ['warehouse_a', 'warehouse_b', 'office_main'],
    floors: ['1', '2', '3'],
  };
}

export class FleetSpecError extends Error {
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'FleetSpecError';
  }
}

const NUMBER_KEYS: Record<string, { required: string[]; optional: string[] }> = {
  normal: { required: ['mean', 'sd'], optional: ['decimals'] },
  uniform: { required: ['min', 'max'], optional: ['decimals'] },
  boolean: { required: ['p'], optional: [] },
  integer: { required: ['min', 'max'], optional: [] },
  walk: { required: ['start', 'step'], optional: ['min', 'max', 'decimals'] },
  drift: { required: ['start', 'perHour'], optional: ['sd', 'decimals'] },
  battery: { required: ['drainMin', 'drainMax'], optional: ['start', 'decimals'] },
  constant: { required: [], optional: [] },
};

/** Checks a fleet definition from the editor or a message and returns it in canonical form. */
export function checkFleetSpec(raw: unknown): FleetSpec {
  if (!isPlainObject(raw))
    throw new FleetSpecError('fleet', 'must be an object with deviceTypes, locations and floors');
  const locations = stringList(raw.locations ?? ['default'], 'locations');
  const floors = stringList(raw.floors ?? ['1'], 'floors');
  if (!Array.isArray(raw.deviceTypes) || raw.deviceTypes.length === 0) {
    throw new FleetSpecError('deviceTypes', 'must be a non-empty array');
  }
  const ids = new Set<string>();
  const deviceTypes = raw.deviceTypes.map((dt, i): DeviceTypeFleet => {
    const path = `deviceTypes[${i}]`;
    if (!isPlainObject(dt)) throw new FleetSpecError(path, 'must be an object');
    if (typeof dt.type !== 'string' || dt.type === '')
      throw new FleetSpecError(`${path}.type`, 'must be a non-empty string');
    const count = Number(dt.count);
    if (!Number.isInteger(count) || count < 0 || count > 100_000) {
      throw new FleetSpecError(`${path}.count`, 'must be a whole number from 0 to 100000');
    }
    const idPrefix = typeof dt.idPrefix === 'string' ? dt.idPrefix : `${dt.type.toUpperCase()}_`;
    if (ids.has(idPrefix)) throw new FleetSpecError(`${path}.idPrefix`, `"${idPrefix}" is used by two device types`);
    ids.add(idPrefix);
    if (!isPlainObject(dt.fields) || Object.keys(dt.fields).length === 0) {
      throw new FleetSpecError(`${path}.fields`, 'must name at least one field and its generator');
    }
    const fields: Record<string, GeneratorSpec> = {};
    for (const [name, g] of Object.entries(dt.fields)) fields[name] = checkGenerator(g, `${path}.fields.${name}`);
    return { type: dt.type, count, idPrefix, fields };
  });
  return { deviceTypes, locations, floors };
}

function checkGenerator(g: unknown, path: string): GeneratorSpec {
  if (!isPlainObject(g) || typeof g.gen !== 'string' || !(g.gen in NUMBER_KEYS)) {
    throw new FleetSpecError(path, `must be {"gen": one of ${Object.keys(NUMBER_KEYS).join(', ')}, …}`);
  }
  const keys = NUMBER_KEYS[g.gen];
  for (const k of keys.required) {
    if (typeof g[k] !== 'number' || !Number.isFinite(g[k]))
      throw new FleetSpecError(`${path}.${k}`, `is required for "${g.gen}" and must be a number`);
  }
  for (const k of keys.optional) {
    if (g[k] !== undefined && (typeof g[k] !== 'number' || !Number.isFinite(g[k])))
      throw new FleetSpecError(`${path}.${k}`, 'must be a number');
  }
  if (g.gen === 'constant' && !['number', 'boolean', 'string'].includes(typeof g.value)) {
    throw new FleetSpecError(`${path}.value`, 'must be a number, boolean or string');
  }
  if (g.gen === 'boolean' && ((g.p as number) < 0 || (g.p as number) > 1))
    throw new FleetSpecError(`${path}.p`, 'must be between 0 and 1');
  if ((g.gen === 'uniform' || g.gen === 'integer') && (g.min as number) > (g.max as number)) {
    throw new FleetSpecError(path, 'min must not be greater than max');
  }
  if (g.daytime !== undefined) {
    const d = g.daytime;
    if (!isPlainObject(d) || ![d.from, d.to, d.add].every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new FleetSpecError(`${path}.daytime`, 'must be {"from": hour, "to": hour, "add": number}');
    }
  }
  return g as unknown as GeneratorSpec;
}

function stringList(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new FleetSpecError(path, 'must be a non-empty array of non-empty strings');
  }
  return v as string[];
}
