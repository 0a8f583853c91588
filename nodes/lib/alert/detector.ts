// What every rule kind's detector answers for one reading of one series, and the numbers of a rule
// that may change per message (TypedInput thresholds), already resolved.

import type { Severity } from './rules';

export interface Judgement {
  /** Whether this reading breaches the rule (for a firing alert: whether it has not yet cleared). */
  breach: boolean;
  /** The rule's score for this reading: z, modified z, EWMA sigmas, unchanged readings, rate. */
  score?: number;
  /** The level the value or score was compared with. */
  threshold?: number;
  /** Overrides the rule's severity (the z-scores: HIGH above highAt). */
  severity?: Severity;
}

/** A rule's numbers for this message. */
export interface Limits {
  threshold: number;
  low: number;
  high: number;
  hysteresis: number;
  limit: number;
}

export interface Detector {
  /** undefined while the detector has too few samples to judge. */
  judge(value: number, timeMs: number, firing: boolean, limits: Limits): Judgement | undefined;
  /** Plain data to save; a detector built from it carries on where this one was. */
  save(): unknown;
}
