// Reference-fleet readings for the benchmarks, made by the simulator so they look like the real
// traffic (ISO timestamps, integral floats now and then, all three device types).
import { FleetSimulator } from '../../nodes/lib/simulator/fleet-simulator';
import { referenceFleet } from '../../nodes/lib/simulator/fleet-spec';

export function fleetReadings(count: number, endMs = Date.now()): Record<string, unknown>[] {
  // 80 devices every 5 s: 16 readings a second of simulated time.
  const startMs = endMs - Math.ceil(count / 16) * 1000;
  const sim = new FleetSimulator(referenceFleet(), {
    seed: 'bench',
    startMs,
    intervalMs: 5000,
    mode: 'spread',
    topicTemplate: 't',
    utcOffsetMinutes: 0,
    faults: [],
  });
  return sim
    .advance(endMs)
    .slice(0, count)
    .map((e) => e.payload as Record<string, unknown>);
}

/** Runs fn repeatedly and returns the median rate in items per second. Each round starts from a
 *  collected heap (node --expose-gc), so it pays for its own garbage, not the last round's. */
export function medianRate(items: number, rounds: number, fn: () => void): number {
  const rates: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < rounds; i++) {
    gc?.();
    const t0 = process.hrtime.bigint();
    fn();
    rates.push(items / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

export const mps = (r: number) => `${(r / 1e6).toFixed(2)} M/s`;

/** Measures two contenders in alternating rounds, so a slow spell of the machine hits both alike;
 *  returns each one's median rate and the median of the per-round ratios a/b. */
export function compareRates(
  items: number,
  rounds: number,
  a: () => unknown,
  b: () => unknown,
): { a: number; b: number; ratio: number } {
  const ra: number[] = [];
  const rb: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const x = medianRate(items, 1, a);
    const y = medianRate(items, 1, b);
    ra.push(x);
    rb.push(y);
    ratios.push(x / y);
  }
  const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
  return { a: median(ra), b: median(rb), ratio: median(ratios) };
}
