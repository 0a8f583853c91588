// Robust z-score (Iglewicz and Hoaglin): modified z = 0.6745 (x - median) / MAD, MAD the median of
// the absolute deviations from the median. A spike cannot move the median or the MAD the way it
// moves a mean and a standard deviation.
//
// MAD is zero when more than half the window holds the same value (a quantised or idle sensor).
// Then the spread falls back to the mean absolute deviation, scaled to match a normal sd
// (z = (x - median) / (1.253314 * MeanAD)); when every sample is the same, any other value is
// infinitely far off and the same value scores 0.

import type { Detector, Judgement, Limits } from './detector';
import { RULE_DEFAULTS, RuleSpec, escalate } from './rules';
import { SampleWindow, SavedWindow } from './sample-window';
import { BaselineGate, secondsToMs, zScore } from './zscore';

export class RobustZScoreDetector implements Detector {
  private readonly window: SampleWindow;
  /** The window's values in ascending order. */
  private readonly sorted: number[];
  private readonly minSamples: number;
  private readonly gate: BaselineGate;
  private readonly removed = (v: number) => this.sorted.splice(lowerBound(this.sorted, v), 1);

  constructor(
    private readonly rule: RuleSpec,
    saved?: SavedWindow,
  ) {
    this.window = new SampleWindow(rule.window ?? RULE_DEFAULTS.window, secondsToMs(rule.windowSec), saved);
    this.sorted = [...this.window.values].sort((a, b) => a - b);
    this.minSamples = rule.minSamples ?? RULE_DEFAULTS.minSamples.robust_zscore;
    this.gate = new BaselineGate(rule, this.minSamples);
  }

  judge(x: number, t: number, _firing: boolean, limits: Limits): Judgement | undefined {
    this.window.expire(t, this.removed);
    let verdict: Judgement | undefined;
    if (this.sorted.length >= this.minSamples) {
      const z = modifiedZ(this.sorted, x);
      const breach = Math.abs(z) > limits.limit;
      verdict = { breach, score: z, threshold: limits.limit, severity: escalate(this.rule, z) };
    }
    if (this.gate.joins(verdict?.breach === true)) {
      this.window.push(x, t, this.removed);
      this.sorted.splice(lowerBound(this.sorted, x), 0, x);
    }
    return verdict;
  }

  save(): unknown {
    return this.window.save();
  }
}

/** The modified z-score of x against the samples (sorted ascending, at least one). */
export function modifiedZ(sorted: readonly number[], x: number): number {
  const med = median(sorted);
  const mad = medianAbsoluteDeviation(sorted, med);
  if (mad > 0) return (0.6745 * (x - med)) / mad;
  let sum = 0;
  for (const v of sorted) sum += Math.abs(v - med);
  return zScore(x, med, 1.253314 * (sum / sorted.length));
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median of |v - med| in O(n): the deviations grow outwards from the median on both sides, so
 *  merging the two runs yields them in order. */
export function medianAbsoluteDeviation(sorted: readonly number[], med: number): number {
  const n = sorted.length;
  let right = lowerBound(sorted, med);
  let left = right - 1;
  const want = n >> 1; // index of the (upper) middle deviation
  let prev = 0;
  for (let k = 0; k <= want; k++) {
    const dl = left >= 0 ? med - sorted[left] : Infinity;
    const dr = right < n ? sorted[right] - med : Infinity;
    const d = dl <= dr ? dl : dr;
    if (dl <= dr) left--;
    else right++;
    if (k === want) return n % 2 === 1 ? d : (prev + d) / 2;
    prev = d;
  }
  return 0;
}

function lowerBound(sorted: readonly number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
