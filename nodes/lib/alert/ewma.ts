// EWMA control chart: z_t = lambda x_t + (1 - lambda) z_{t-1}, started at the baseline mean mu, with
// the exact limits mu +/- L sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2t))), which are
// narrow for the first points and widen towards their asymptote. mu and sigma are estimated from
// the first minSamples readings (the chart's phase I) and then held, as a control chart does.

import type { Detector, Judgement, Limits } from './detector';
import { RollingMoments } from './rolling-moments';
import { RULE_DEFAULTS, RuleSpec } from './rules';

interface SavedEwma {
  baseline: number[];
  mu?: number;
  sigma?: number;
  z?: number;
  t?: number;
}

export class EwmaDetector implements Detector {
  private readonly lambda: number;
  private readonly minSamples: number;
  private baseline: number[] = [];
  private mu: number | undefined;
  private sigma = 0;
  private z = 0;
  private t = 0;

  constructor(rule: RuleSpec, saved?: SavedEwma) {
    this.lambda = rule.lambda ?? RULE_DEFAULTS.lambda;
    this.minSamples = rule.minSamples ?? RULE_DEFAULTS.minSamples.ewma;
    if (saved && typeof saved.mu === 'number' && typeof saved.sigma === 'number') {
      this.mu = saved.mu;
      this.sigma = saved.sigma;
      this.z = typeof saved.z === 'number' ? saved.z : saved.mu;
      this.t = typeof saved.t === 'number' ? saved.t : 0;
    } else if (saved && Array.isArray(saved.baseline)) {
      this.baseline = saved.baseline.filter((v) => typeof v === 'number');
    }
  }

  judge(x: number, _t: number, _firing: boolean, limits: Limits): Judgement | undefined {
    if (this.mu === undefined) {
      this.baseline.push(x);
      if (this.baseline.length >= this.minSamples) {
        const m = new RollingMoments();
        for (const v of this.baseline) m.add(v);
        this.mu = m.mean;
        this.sigma = Math.sqrt(m.variance);
        this.z = this.mu;
        this.baseline = [];
      }
      return undefined;
    }
    this.t++;
    const l = this.lambda;
    this.z = l * x + (1 - l) * this.z;
    const width = this.sigma * Math.sqrt((l / (2 - l)) * (1 - Math.pow(1 - l, 2 * this.t)));
    const score =
      width > 0 ? (this.z - this.mu) / width : this.z === this.mu ? 0 : Math.sign(this.z - this.mu) * Infinity;
    return { breach: Math.abs(score) > limits.limit, score, threshold: limits.limit };
  }

  save(): SavedEwma {
    return this.mu === undefined
      ? { baseline: [...this.baseline] }
      : { baseline: [], mu: this.mu, sigma: this.sigma, z: this.z, t: this.t };
  }
}
