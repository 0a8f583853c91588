// A clock and timers a test moves by hand (lib/node-io.ts's Clock and Timers), for lib objects
// whose waits are seconds or minutes: the timers due on the way run in time order, with now() at
// the time each was due. advance() runs them straight through; advanceSettling() lets the promise
// chains each one started finish before the next (for schedulers that await their I/O).

import type { Clock, Timers } from '../../nodes/lib/node-io';

interface Pending {
  at: number;
  fn: () => void;
  every?: number;
}

/** Lets every promise chain that is ready run to its end (all of them resolve on microtasks). */
export const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

export class FakeTime implements Clock, Timers {
  private t: number;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  setInterval(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.t + ms, fn, every: Math.max(1, ms) });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Timers not yet run or cleared. */
  get timers(): number {
    return this.pending.size;
  }

  /** How long from now each timer waits, soonest first. */
  get waits(): number[] {
    return [...this.pending.values()].map((p) => p.at - this.t).sort((a, b) => a - b);
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (let next = this.due(end); next; next = this.due(end)) this.run(next);
    this.t = end;
  }

  async advanceSettling(ms: number): Promise<void> {
    const end = this.t + ms;
    await settled();
    for (let next = this.due(end); next; next = this.due(end)) {
      this.run(next);
      await settled();
    }
    this.t = end;
  }

  private due(end: number): [number, Pending] | undefined {
    let next: [number, Pending] | undefined;
    for (const e of this.pending) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
    return next;
  }

  private run([id, p]: [number, Pending]): void {
    this.t = p.at;
    if (p.every) p.at += p.every;
    else this.pending.delete(id);
    p.fn();
  }
}
