// Rate of change: |x - previous| per second between consecutive readings of a series, by the
// readings' timestamps. A reading not later than the previous one is not judged.

import type { Detector, Judgement, Limits } from './detector';

interface SavedPrevious {
  value?: number;
  time?: number;
}

export class RateOfChangeDetector implements Detector {
  private value: number | undefined;
  private time = 0;

  constructor(saved?: SavedPrevious) {
    if (saved && typeof saved.value === 'number' && typeof saved.time === 'number') {
      this.value = saved.value;
      this.time = saved.time;
    }
  }

  judge(x: number, t: number, _firing: boolean, limits: Limits): Judgement | undefined {
    const prev = this.value;
    const dt = (t - this.time) / 1000;
    if (prev !== undefined && dt <= 0) return undefined;
    this.value = x;
    this.time = t;
    if (prev === undefined) return undefined;
    const rate = Math.abs(x - prev) / dt;
    return { breach: rate > limits.limit, score: rate, threshold: limits.limit };
  }

  save(): SavedPrevious {
    return { value: this.value, time: this.time };
  }
}
