// Runs the reference fleet from the simulator through an alert engine in simulated time, with the
// dead-man clock ticking once a simulated second: what a test of "a day of the fleet" needs.
import { AlertEngine, AlertEvent, fixedLimits } from '../../nodes/lib/alert/alert-engine';
import type { RuleSpec } from '../../nodes/lib/alert/rules';
import type { FaultRule } from '../../nodes/lib/simulator/fleet-simulator';
import { FleetSimulator } from '../../nodes/lib/simulator/fleet-simulator';
import { referenceFleet } from '../../nodes/lib/simulator/fleet-spec';

export const START = Date.UTC(2026, 10, 2, 0, 0, 0);

export interface FleetRun {
  engine: AlertEngine;
  events: AlertEvent[];
  readings: number;
  faults: { kind: string; device: string; atMs: number }[];
}

export interface Injection {
  atMs: number;
  fault: Omit<FaultRule, 'rate'>;
}

export function runFleet(
  rules: RuleSpec[],
  durationMs: number,
  injections: Injection[] = [],
  seed = 'alert-test',
): FleetRun {
  const engine = new AlertEngine({
    rules,
    seriesKey: 'device_id',
    tagKeys: ['device_type', 'location', 'floor'],
    timestampKey: 'timestamp',
    maxSeries: 10_000,
    forgetAfterMs: 86_400_000,
    clock: 'readings',
  });
  const limits = rules.map(fixedLimits);
  const sim = new FleetSimulator(referenceFleet(), {
    seed,
    startMs: START,
    intervalMs: 5000,
    mode: 'array',
    topicTemplate: 'iot/sensors/{{device_type}}/{{device_id}}',
    utcOffsetMinutes: 0,
    faults: [],
  });
  const due = [...injections].sort((a, b) => a.atMs - b.atMs);
  const run: FleetRun = { engine, events: [], readings: 0, faults: [] };
  for (let t = START; t < START + durationMs; t += 1000) {
    while (due.length > 0 && due[0].atMs <= t) sim.injectFault(due.shift()!.fault, t);
    for (const e of sim.advance(t)) {
      const items = e.payload as Record<string, unknown>[];
      run.readings += items.length;
      if (e.faults)
        for (const r of items)
          run.faults.push({ kind: e.faults.join(','), device: String(r?.device_id), atMs: e.atMs });
      run.events.push(...engine.process(items, t, limits).events);
    }
    run.events.push(...engine.tick(t));
  }
  return run;
}

/** Counts of events by rule and event kind, for the test to print. */
export function countsByRule(events: AlertEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[`${e.rule} ${e.event}`] = (out[`${e.rule} ${e.event}`] ?? 0) + 1;
  return out;
}
