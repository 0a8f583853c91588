// Mean and variance of a sliding window by Welford's method, with removal: no sums of squares, so
// no catastrophic cancellation for readings like 1e6 + noise. Rebuilt from the window now and then,
// so the rounding of many additions and removals cannot drift.

export class RollingMoments {
  n = 0;
  mean = 0;
  private m2 = 0;
  private updates = 0;

  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }

  remove(x: number): void {
    if (this.n <= 1) {
      this.n = 0;
      this.mean = 0;
      this.m2 = 0;
      return;
    }
    const d = x - this.mean;
    this.n--;
    this.mean -= d / this.n;
    this.m2 -= d * (x - this.mean);
    if (this.m2 < 0) this.m2 = 0;
  }

  /** Sample variance (n - 1). */
  get variance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : 0;
  }

  /** Call after each change with the window's values: every so often the moments are recomputed. */
  settle(values: readonly number[]): void {
    if (++this.updates < 10 * Math.max(values.length, 100)) return;
    this.updates = 0;
    this.n = 0;
    this.mean = 0;
    this.m2 = 0;
    for (const v of values) this.add(v);
  }
}
