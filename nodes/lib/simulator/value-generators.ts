// Field value generators for the simulator. Each device owns its generators, so a device's values
// depend only on the seed, its id and how many readings it has made.

import { GeneratorSpec } from './fleet-spec';
import { Random } from './seeded-random';

export interface ValueGenerator {
  /** The next value, given the local hour of day (0..24, fractional). */
  next(localHour: number): number | boolean | string;
  /** A typical deviation, the unit a spike fault is measured in (0 for non-numeric values). */
  readonly scale: number;
  /** Whether values are floats (the integral-float fault applies to those). */
  readonly isFloat: boolean;
}

export function createGenerator(spec: GeneratorSpec, rng: Random): ValueGenerator {
  switch (spec.gen) {
    case 'normal':
      return floatGen(spec.sd, spec.decimals, (h) => rng.normal(spec.mean, spec.sd) + daytime(spec.daytime, h));
    case 'uniform':
      return floatGen(
        (spec.max - spec.min) / 4,
        spec.decimals,
        (h) => spec.min + rng.next() * (spec.max - spec.min) + daytime(spec.daytime, h),
      );
    case 'boolean':
      return { next: () => rng.next() < spec.p, scale: 0, isFloat: false };
    case 'integer':
      return { next: () => rng.int(spec.min, spec.max), scale: Math.max(1, (spec.max - spec.min) / 4), isFloat: false };
    case 'walk': {
      let v = spec.start;
      return floatGen(spec.step * 5, spec.decimals, () => {
        v += (rng.next() * 2 - 1) * spec.step;
        if (spec.min !== undefined && v < spec.min) v = spec.min;
        if (spec.max !== undefined && v > spec.max) v = spec.max;
        return v;
      });
    }
    case 'drift': {
      let readings = 0;
      const sd = spec.sd ?? 0;
      // perHour is per hour of readings at the reference 5 s interval (720 readings).
      return floatGen(
        Math.max(sd, Math.abs(spec.perHour)),
        spec.decimals,
        () => spec.start + (spec.perHour * readings++) / 720 + (sd > 0 ? rng.normal(0, sd) : 0),
      );
    }
    case 'battery': {
      let level = spec.start ?? 100;
      return floatGen(5, spec.decimals ?? 3, () => {
        level = Math.max(0, level - (spec.drainMin + rng.next() * (spec.drainMax - spec.drainMin)));
        return level;
      });
    }
    case 'constant':
      return {
        next: () => spec.value,
        scale: 0,
        isFloat: typeof spec.value === 'number' && !Number.isInteger(spec.value),
      };
  }
}

function floatGen(scale: number, decimals: number | undefined, draw: (hour: number) => number): ValueGenerator {
  const f = 10 ** (decimals ?? 2);
  return { next: (h) => Math.round(draw(h) * f) / f, scale, isFloat: true };
}

function daytime(d: { from: number; to: number; add: number } | undefined, hour: number): number {
  return d !== undefined && hour >= d.from && hour < d.to ? d.add : 0;
}
