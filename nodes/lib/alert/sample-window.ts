// The samples a statistical rule judges against: the last N readings, or those of the last T
// seconds (by the readings' own timestamps), in arrival order.

export interface SavedWindow {
  values: number[];
  times: number[];
}

export class SampleWindow {
  readonly values: number[];
  readonly times: number[];

  constructor(
    private readonly maxCount: number,
    private readonly maxAgeMs: number | undefined,
    saved?: SavedWindow,
  ) {
    const ok =
      saved && Array.isArray(saved.values) && Array.isArray(saved.times) && saved.values.length === saved.times.length;
    this.values = ok ? saved.values.filter((v) => typeof v === 'number').slice(-maxCount) : [];
    this.times =
      ok && this.values.length === saved.values.length ? saved.times.slice(-maxCount) : this.values.map(() => 0);
  }

  get length(): number {
    return this.values.length;
  }

  /** Drops samples older than the time window before `nowMs`; calls `removed` for each. */
  expire(nowMs: number, removed: (v: number) => void): void {
    if (this.maxAgeMs === undefined) return;
    while (this.times.length > 0 && this.times[0] <= nowMs - this.maxAgeMs) {
      this.times.shift();
      removed(this.values.shift()!);
    }
  }

  /** Adds a sample; calls `removed` for the oldest when the count is full. */
  push(v: number, t: number, removed: (v: number) => void): void {
    this.values.push(v);
    this.times.push(t);
    if (this.values.length > this.maxCount) {
      this.times.shift();
      removed(this.values.shift()!);
    }
  }

  save(): SavedWindow {
    return { values: [...this.values], times: [...this.times] };
  }
}
