// Threshold: above, below, or outside a band. While an alert fires, the value must come back past
// the clear level (the threshold moved back by the hysteresis) to clear, so a value hovering at
// the threshold does not fire and resolve with every reading.

import type { Detector, Judgement, Limits } from './detector';
import type { RuleSpec } from './rules';

export class ThresholdDetector implements Detector {
  constructor(private readonly rule: RuleSpec) {}

  judge(x: number, _t: number, firing: boolean, l: Limits): Judgement {
    const h = firing ? l.hysteresis : 0;
    switch (this.rule.op) {
      case 'below':
        return { breach: x < l.threshold + h, threshold: l.threshold };
      case 'outside': {
        const breach = x < l.low + h || x > l.high - h;
        return { breach, threshold: x < (l.low + l.high) / 2 ? l.low : l.high };
      }
      default:
        return { breach: x > l.threshold - h, threshold: l.threshold };
    }
  }

  save(): undefined {
    return undefined;
  }
}
