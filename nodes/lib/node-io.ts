// What a lib object is given by the node that runs it (the time, timers, a status line, a log) and
// the shape of what it hands back (messages, statuses), so that a test can drive it without
// Node-RED: the node passes the real ones, a test passes fakes and reads what was said.

/** The time in ms since the epoch: Date.now() in the node, a test's own clock in a test. */
export interface Clock {
  now(): number;
}

/** setTimeout and setInterval; a handle is only ever given back to clear it. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemClock: Clock = { now: () => Date.now() };

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** A node status, as Node-RED draws it. */
export interface Status {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** The node's status line (runtime/node-status.ts's ThrottledStatus). */
export interface StatusLine {
  /** Draws what make returns, now or at the next redraw; make is called only when drawn, so a
   *  hot path may call this for every message. */
  set(make: () => Status): void;
  /** Draws a status at once, dropping a pending redraw. */
  now(status: Status): void;
  /** Drops a pending redraw (the node is closing). */
  stop(): void;
}

/** The node's log; the node puts its type before each text. */
export interface Log {
  log(text: string): void;
  warn(text: string): void;
  error(text: string): void;
}

/** What a node counts for the pipeline's health metrics (lib/metrics/pipeline-metrics.ts's
 *  NodeMeter): plain numbers, so counting costs an addition. */
export interface Counts {
  messagesIn: number;
  readingsIn: number;
  readingsOut: number;
  refuse(reason: string, n?: number): void;
}

/** A message, as Node-RED passes it between nodes. */
export interface Message {
  payload?: unknown;
  topic?: string;
  _msgid?: string;
  [key: string]: unknown;
}

/** Compact counts for a status under 20 characters: 950, 12.3k, 4.1M. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}
