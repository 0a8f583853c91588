// The clock and timers a scheduler in nodes/lib runs on, passed in so that a test can drive it
// with a fake clock instead of waiting for real time; the nodes give it systemTime.

export interface Clock {
  /** Epoch milliseconds, as Date.now(). */
  now(): number;
}

/** An opaque handle from setTimeout, only ever given back to clearTimeout. */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(run: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTime: Clock & Timers = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
