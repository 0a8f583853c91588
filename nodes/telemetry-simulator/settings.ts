// telemetry-simulator's settings, declared once for the runtime and the editor.

import { declareSettings } from '../lib/node-settings/declared-settings';
import { checkFleetSpec } from '../lib/simulator/fleet-spec';
import { SIMULATOR_DEFAULTS } from '../lib/simulator/fleet-simulator';
import type { FaultRule } from '../lib/simulator/fleet-simulator';
import { numberProblem, problemOf } from '../lib/settings';
import { checkFault, parseStart } from '../lib/simulator/simulator-commands';

export const settings = declareSettings('telemetry-simulator', {
  /** '' is the reference fleet; else JSON. */
  fleet: { kind: 'text', value: '', check: fleetProblem },
  seed: { kind: 'text', value: 'factory-1' },
  intervalSec: { kind: 'number', value: SIMULATOR_DEFAULTS.intervalMs / 1000, label: 'Interval (s)', min: 0.001 },
  mode: { kind: 'choice', value: SIMULATOR_DEFAULTS.mode, label: 'Output', options: ['spread', 'array'] as const },
  topic: { kind: 'text', value: SIMULATOR_DEFAULTS.topicTemplate },
  autoStart: { kind: 'flag', value: true },
  /** '' is now; else ISO 8601 or epoch. */
  startTime: { kind: 'text', value: '', check: startTimeProblem },
  /** Simulated seconds per real second. */
  speed: { kind: 'number', value: 1, label: 'Speed', min: 0.001, max: 1e6 },
  clock: { kind: 'choice', value: 'real', label: 'Clock', options: ['real', 'manual'] as const },
  /** '' is this machine's zone; else minutes east of UTC. */
  utcOffset: { kind: 'text', value: '', check: utcOffsetProblem },
  faults: {
    kind: 'data',
    value: [] as FaultRule[],
    check: faultsProblem,
  },
});

function fleetProblem(v: string): string | undefined {
  return v.trim() === '' ? undefined : problemOf(() => checkFleetSpec(JSON.parse(v)));
}

function startTimeProblem(v: string): string | undefined {
  return v.trim() === '' ? undefined : problemOf(() => parseStart(v));
}

function faultsProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'the faults must be a list';
  return problemOf(() => v.forEach((f: FaultRule) => checkFault(f, true)));
}

function utcOffsetProblem(v: string): string | undefined {
  return v.trim() === '' ? undefined : numberProblem(v, 'UTC offset (minutes)', { min: -840, max: 840 });
}
