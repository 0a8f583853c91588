// A reproducible fleet of sensors in simulated time. advance(t) returns every message due up to t,
// so the node can drive it from a real clock and a test can run an hour in milliseconds.
//
// Each device draws its values from its own random stream (seed + device id) and its faults from
// another, so switching a fault on changes nothing else about the fleet.

import { FleetSpec } from './fleet-spec';
import { Random, seededRandom } from './seeded-random';
import { ValueGenerator, createGenerator } from './value-generators';

export const FAULT_KINDS = [
  'spike',
  'stuck',
  'dropout',
  'out_of_range',
  'integral_float',
  'malformed',
  'duplicate',
  'late',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  /** Chance per reading, 0..1. */
  rate: number;
  /** '*' (default) for the whole fleet, a device id, or a device type. */
  device?: string;
  /** stuck, dropout: how long the fault lasts (ms). */
  durationMs?: number;
  /** spike: size in the field's typical deviations (default 8). */
  magnitude?: number;
  /** late: how long the reading is held back (ms). */
  delayMs?: number;
}

export interface SimulatorOptions {
  seed: string;
  startMs: number;
  /** Each device's interval between readings (ms). */
  intervalMs: number;
  /** spread: one message per reading, spread evenly over the interval; array: one array per interval. */
  mode: 'spread' | 'array';
  /** msg.topic; {{device_id}}, {{device_type}}, {{location}}, {{floor}} are replaced. */
  topicTemplate: string;
  /** Offset of local time from UTC for daytime effects; undefined = this machine's zone. */
  utcOffsetMinutes?: number;
  faults: FaultRule[];
}

export const SIMULATOR_DEFAULTS = {
  intervalMs: 5000,
  mode: 'spread' as const,
  topicTemplate: 'iot/sensors/{{device_type}}/{{device_id}}',
};

export interface Emission {
  /** Simulated time the message is sent at. */
  atMs: number;
  topic: string;
  payload: unknown;
  /** Faults applied to this message, if any. */
  faults?: FaultKind[];
}

interface SimDevice {
  id: string;
  type: string;
  location: string;
  floor: string;
  topic: string;
  fieldNames: string[];
  gens: ValueGenerator[];
  faultRng: Random;
  rules: FaultRule[];
  injected: FaultRule[];
  stuckUntil: number;
  stuckValues?: unknown[];
  silentUntil: number;
}

const DEFAULT_DURATION_MS = 60_000;
const DEFAULT_DELAY_MS = 30_000;
const DEFAULT_MAGNITUDE = 8;

export class FleetSimulator {
  readonly devices: SimDevice[];
  private intervalMs: number;
  private base: number; // simulated time of tick k = 0
  private k = 0; // index of the next tick
  private late: Emission[] = [];
  private sent = 0;

  constructor(
    fleet: FleetSpec,
    private readonly options: SimulatorOptions,
  ) {
    this.intervalMs = options.intervalMs;
    this.base = options.startMs;
    this.devices = [];
    for (const dt of fleet.deviceTypes) {
      const digits = Math.max(3, String(dt.count).length);
      for (let n = 1; n <= dt.count; n++) {
        const id = `${dt.idPrefix}${String(n).padStart(digits, '0')}`;
        const placement = seededRandom(`${options.seed}:placement:${id}`);
        const location = fleet.locations[placement.int(0, fleet.locations.length - 1)];
        const floor = fleet.floors[placement.int(0, fleet.floors.length - 1)];
        const valueRng = seededRandom(`${options.seed}:values:${id}`);
        const fieldNames = Object.keys(dt.fields);
        this.devices.push({
          id,
          type: dt.type,
          location,
          floor,
          topic: renderTopic(options.topicTemplate, { device_id: id, device_type: dt.type, location, floor }),
          fieldNames,
          gens: fieldNames.map((f) => createGenerator(dt.fields[f], valueRng)),
          faultRng: seededRandom(`${options.seed}:faults:${id}`),
          rules: options.faults.filter((r) => matches(r.device, id, dt.type)),
          injected: [],
          stuckUntil: -Infinity,
          silentUntil: -Infinity,
        });
      }
    }
  }

  get readingsSent(): number {
    return this.sent;
  }

  /** Readings per second the fleet currently produces. */
  get ratePerSecond(): number {
    return (this.devices.length * 1000) / this.intervalMs;
  }

  get interval(): number {
    return this.intervalMs;
  }

  /** Readings due from the next tick up to toMs (what advance(toMs) would make, faults aside). */
  readingsDueBy(toMs: number): number {
    if (toMs < this.nextTickMs) return 0;
    const ticks = Math.floor((toMs - this.nextTickMs) / this.step()) + 1;
    return this.options.mode === 'spread' ? ticks : ticks * this.devices.length;
  }

  /** Simulated time of the next tick. */
  get nextTickMs(): number {
    return this.tickTime(this.k);
  }

  /** Changes every device's interval from the next tick on. */
  setInterval(ms: number): void {
    this.base = this.nextTickMs;
    this.k = 0;
    this.intervalMs = ms;
  }

  /** Continues from t without sending what would have been due before it (devices were off). */
  skipTo(t: number): void {
    if (t <= this.nextTickMs) return;
    this.base = t;
    this.k = 0;
  }

  /** Applies a fault to matching devices: one-shot kinds to their next reading, stuck and dropout
   *  from now for durationMs. Returns how many devices it reached. */
  injectFault(rule: Omit<FaultRule, 'rate'>, nowMs: number): number {
    let reached = 0;
    for (const d of this.devices) {
      if (!matches(rule.device, d.id, d.type)) continue;
      reached++;
      const until = nowMs + (rule.durationMs ?? DEFAULT_DURATION_MS);
      if (rule.kind === 'dropout') d.silentUntil = until;
      else if (rule.kind === 'stuck') this.freeze(d, until);
      else d.injected.push({ ...rule, rate: 1 });
    }
    return reached;
  }

  /** Every message due up to and including toMs, in time order; at most maxMessages of them; the
   *  rest stay due for the next call (a fleet far behind catches up in slices, never in one burst
   *  that could exhaust memory). */
  advance(toMs: number, maxMessages = Infinity): Emission[] {
    const out: Emission[] = [];
    const n = this.devices.length;
    if (n > 0) {
      if (this.options.mode === 'spread') {
        // Device i of n sends at base + (k * interval) / n: the fleet's readings evenly spread.
        for (let t = this.tickTime(this.k); t <= toMs && out.length < maxMessages; t = this.tickTime(++this.k)) {
          this.read(this.devices[this.k % n], Math.floor(t), out);
        }
      } else {
        for (let t = this.tickTime(this.k); t <= toMs && out.length < maxMessages; t = this.tickTime(++this.k)) {
          const at = Math.floor(t);
          const items: Emission[] = [];
          for (const d of this.devices) this.read(d, at, items);
          if (items.length > 0) {
            const faults = [...new Set(items.flatMap((e) => e.faults ?? []))];
            out.push({
              atMs: at,
              topic: arrayTopic(this.options.topicTemplate),
              payload: items.map((e) => e.payload),
              ...(faults.length ? { faults } : {}),
            });
          }
        }
      }
    }
    if (this.late.length > 0) this.releaseLate(Math.min(toMs, this.nextTickMs), out);
    return out;
  }

  private step(): number {
    return this.options.mode === 'spread' ? this.intervalMs / Math.max(1, this.devices.length) : this.intervalMs;
  }

  private tickTime(k: number): number {
    return this.base + k * this.step();
  }

  private releaseLate(toMs: number, out: Emission[]): void {
    const due = this.late.filter((e) => e.atMs <= toMs);
    if (due.length === 0) return;
    this.late = this.late.filter((e) => e.atMs > toMs);
    this.sent += due.length;
    out.push(...due);
    out.sort((a, b) => a.atMs - b.atMs);
  }

  private freeze(d: SimDevice, until: number): void {
    d.stuckUntil = until;
    d.stuckValues = undefined; // captured at the next reading
  }

  private read(d: SimDevice, t: number, out: Emission[]): void {
    const hour = localHour(t, this.options.utcOffsetMinutes);
    // Values are always drawn, so a device's stream does not depend on its faults.
    let values: unknown[] = d.gens.map((g) => g.next(hour));
    const faults = this.faultsFor(d, t);
    if (t < d.silentUntil) return;
    if (t < d.stuckUntil) values = d.stuckValues ??= values;

    const reading: Record<string, unknown> = {
      device_id: d.id,
      device_type: d.type,
      location: d.location,
      floor: d.floor,
      timestamp: new Date(t).toISOString(),
    };
    for (let i = 0; i < values.length; i++) reading[d.fieldNames[i]] = values[i];
    let payload: unknown = reading;
    for (const f of faults) payload = this.applyValueFault(f, d, reading, payload);

    const applied = faults.map((f) => f.kind);
    const emission: Emission = { atMs: t, topic: d.topic, payload, ...(applied.length ? { faults: applied } : {}) };
    const lateRule = faults.find((f) => f.kind === 'late');
    if (lateRule) {
      this.late.push({ ...emission, atMs: t + (lateRule.delayMs ?? DEFAULT_DELAY_MS) });
      return;
    }
    out.push(emission);
    this.sent++;
    if (applied.includes('duplicate')) {
      this.sent++;
      out.push({ ...emission, payload: typeof payload === 'object' ? { ...(payload as object) } : payload });
    }
  }

  /** The faults that hit this reading; starts dropout and stuck periods as a side effect. */
  private faultsFor(d: SimDevice, t: number): FaultRule[] {
    const hits: FaultRule[] = [];
    for (const r of d.rules) {
      if (d.faultRng.next() >= r.rate) continue;
      if (r.kind === 'dropout') {
        if (t >= d.silentUntil) d.silentUntil = t + (r.durationMs ?? DEFAULT_DURATION_MS);
      } else if (r.kind === 'stuck') {
        if (t >= d.stuckUntil) this.freeze(d, t + (r.durationMs ?? DEFAULT_DURATION_MS));
      } else {
        hits.push(r);
      }
    }
    if (d.injected.length > 0) {
      hits.push(...d.injected);
      d.injected = [];
    }
    return hits;
  }

  private applyValueFault(f: FaultRule, d: SimDevice, reading: Record<string, unknown>, payload: unknown): unknown {
    const primary = d.gens.findIndex((g) => g.isFloat);
    switch (f.kind) {
      case 'spike':
        if (primary >= 0) {
          const key = d.fieldNames[primary];
          const sign = d.faultRng.next() < 0.5 ? -1 : 1;
          const size = (f.magnitude ?? DEFAULT_MAGNITUDE) * d.gens[primary].scale;
          reading[key] = Math.round(((reading[key] as number) + sign * size) * 100) / 100;
        }
        return payload;
      case 'out_of_range':
        if (primary >= 0) reading[d.fieldNames[primary]] = d.faultRng.next() < 0.5 ? -9999.9 : 9999.9;
        return payload;
      case 'integral_float':
        d.gens.forEach((g, i) => {
          if (g.isFloat && typeof reading[d.fieldNames[i]] === 'number')
            reading[d.fieldNames[i]] = Math.round(reading[d.fieldNames[i]] as number);
        });
        return payload;
      case 'malformed':
        return malform(reading, d, d.faultRng);
      default:
        return payload; // duplicate and late are applied when the reading is sent
    }
  }
}

/** A payload a broken device or gateway could send: cut-off JSON, a missing id, a wrong type. */
function malform(reading: Record<string, unknown>, d: SimDevice, rng: Random): unknown {
  const variant = rng.int(0, 3);
  const json = JSON.stringify(reading);
  switch (variant) {
    case 0:
      return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
    case 1: {
      const { device_id: _omitted, ...rest } = reading;
      return rest;
    }
    case 2:
      return { ...reading, [d.fieldNames[0]]: 'ERR' };
    default:
      return `${d.id};${d.type};${Object.values(reading).join(';')}`;
  }
}

function matches(target: string | undefined, id: string, type: string): boolean {
  return target === undefined || target === '' || target === '*' || target === id || target === type;
}

function renderTopic(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => (k in vars ? vars[k] : m));
}

/** An array's topic: the template up to its first placeholder ("iot/sensors"). */
function arrayTopic(template: string): string {
  const i = template.indexOf('{{');
  return (i < 0 ? template : template.slice(0, i)).replace(/\/+$/, '');
}

function localHour(t: number, utcOffsetMinutes: number | undefined): number {
  const offset = utcOffsetMinutes ?? -new Date(t).getTimezoneOffset();
  const minutes = (((t / 60_000 + offset) % 1440) + 1440) % 1440;
  return minutes / 60;
}
