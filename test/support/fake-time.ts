// A clock and timers that move only when a test says so (the Clock & Timers of nodes/lib/timers.ts):
// a scheduler's hours pass in milliseconds, and the test sees which timers it set and when.

import type { Clock, TimerHandle, Timers } from '../../nodes/lib/timers';

/** Lets every promise chain that is ready run to its end (all of them resolve on microtasks). */
export const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

export class FakeTime implements Clock, Timers {
  private seq = 0;
  private readonly timers = new Map<number, { at: number; run: () => void }>();

  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  setTimeout(run: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), run });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** How long from now each timer set waits, soonest first. */
  get pending(): number[] {
    return [...this.timers.values()].map((x) => x.at - this.t).sort((a, b) => a - b);
  }

  /** Moves the clock on by `ms`, running each timer at its time, in order, and letting what it
   *  started settle before the next. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settled();
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].run();
      await settled();
    }
    this.t = end;
  }
}
