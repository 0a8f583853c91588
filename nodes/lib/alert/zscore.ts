// z-score against a rolling window: z = (x - mean) / sd, mean and sd by Welford over the window.
// Readings judged anomalous stay out of the baseline unless the rule says otherwise, so one spike
// does not widen the band that should catch the next; but a run of minSamples anomalies in a row
// joins it, so a lasting change of level (or a first change after a constant stretch, which scores
// infinitely far off) becomes the new normal instead of an alert that never resolves.

import type { Detector, Judgement, Limits } from './detector';
import { RollingMoments } from './rolling-moments';
import { RULE_DEFAULTS, RuleSpec, escalate } from './rules';
import { SampleWindow, SavedWindow } from './sample-window';

export class ZScoreDetector implements Detector {
  private readonly window: SampleWindow;
  private readonly moments = new RollingMoments();
  private readonly minSamples: number;
  private readonly gate: BaselineGate;
  private readonly removed = (v: number) => this.moments.remove(v);

  constructor(
    private readonly rule: RuleSpec,
    saved?: SavedWindow,
  ) {
    this.window = new SampleWindow(rule.window ?? RULE_DEFAULTS.window, secondsToMs(rule.windowSec), saved);
    for (const v of this.window.values) this.moments.add(v);
    this.minSamples = rule.minSamples ?? RULE_DEFAULTS.minSamples.zscore;
    this.gate = new BaselineGate(rule, this.minSamples);
  }

  judge(x: number, t: number, _firing: boolean, limits: Limits): Judgement | undefined {
    this.window.expire(t, this.removed);
    let verdict: Judgement | undefined;
    if (this.moments.n >= this.minSamples) {
      const z = zScore(x, this.moments.mean, Math.sqrt(this.moments.variance));
      const breach = Math.abs(z) > limits.limit;
      verdict = { breach, score: z, threshold: limits.limit, severity: escalate(this.rule, z) };
    }
    if (this.gate.joins(verdict?.breach === true)) {
      this.window.push(x, t, this.removed);
      this.moments.add(x);
      this.moments.settle(this.window.values);
    }
    return verdict;
  }

  save(): unknown {
    return this.window.save();
  }
}

/** A window with no spread judges any other value infinitely far off, the same value as 0. */
export function zScore(x: number, center: number, spread: number): number {
  if (spread > 0) return (x - center) / spread;
  return x === center ? 0 : x > center ? Infinity : -Infinity;
}

/** Whether a judged reading joins the baseline: normal ones do, anomalous ones when the rule lets
 *  them or when they have come minSamples times in a row. */
export class BaselineGate {
  private run = 0;

  constructor(
    private readonly rule: RuleSpec,
    private readonly minSamples: number,
  ) {}

  joins(anomalous: boolean): boolean {
    if (!anomalous) {
      this.run = 0;
      return true;
    }
    return this.rule.includeAnomalies === true || ++this.run >= this.minSamples;
  }
}

export function secondsToMs(s: number | undefined): number | undefined {
  return s === undefined ? undefined : s * 1000;
}
