// A clock and timers a test moves by hand (lib/node-io.ts's Clock and Timers), for lib objects
// whose waits are seconds or minutes: advance() runs every timer due on the way, in time order,
// with now() at the time each was due.

import type { Clock, Timers } from '../../nodes/lib/node-io';

interface Pending {
  at: number;
  fn: () => void;
  every?: number;
}

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
    this.pending.set(id, { at: this.t + ms, fn });
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

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, Pending] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      const [id, p] = next;
      this.t = p.at;
      if (p.every) p.at += p.every;
      else this.pending.delete(id);
      p.fn();
    }
    this.t = end;
  }
}
