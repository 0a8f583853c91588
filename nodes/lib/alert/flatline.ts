// Flatline: a value that has not changed (within epsilon of where the run began) for N readings or
// for a duration, by the readings' timestamps: a stuck sensor repeats its last value.

import type { Detector, Judgement } from './detector';
import { RULE_DEFAULTS, RuleSpec } from './rules';

interface SavedRun {
  value?: number;
  since?: number;
  count?: number;
}

export class FlatlineDetector implements Detector {
  private value: number | undefined;
  private since = 0;
  private count = 0;

  constructor(
    private readonly rule: RuleSpec,
    saved?: SavedRun,
  ) {
    if (
      saved &&
      typeof saved.value === 'number' &&
      typeof saved.since === 'number' &&
      typeof saved.count === 'number'
    ) {
      this.value = saved.value;
      this.since = saved.since;
      this.count = saved.count;
    }
  }

  judge(x: number, t: number): Judgement {
    const epsilon = this.rule.epsilon ?? RULE_DEFAULTS.epsilon;
    if (this.value === undefined || Math.abs(x - this.value) > epsilon) {
      this.value = x;
      this.since = t;
      this.count = 1;
    } else {
      this.count++;
    }
    const byCount = this.rule.readings !== undefined && this.count >= this.rule.readings;
    const byTime = this.rule.seconds !== undefined && t - this.since >= this.rule.seconds * 1000;
    return { breach: byCount || byTime, score: this.count, threshold: this.rule.readings };
  }

  save(): SavedRun {
    return { value: this.value, since: this.since, count: this.count };
  }
}
