// A status line and a log that keep what a lib object said (lib/node-io.ts's StatusLine and Log),
// for tests that drive it without Node-RED.

import type { Log, Status, StatusLine } from '../../nodes/lib/node-io';

/** Draws every status at once (no throttling), so a test reads the latest. */
export class RecordingStatus implements StatusLine {
  shown: Status[] = [];
  stopped = false;
  set(make: () => Status): void {
    this.shown.push(make());
  }
  now(s: Status): void {
    this.shown.push(s);
  }
  stop(): void {
    this.stopped = true;
  }
  get last(): Status | undefined {
    return this.shown.at(-1);
  }
  get text(): string | undefined {
    return this.last?.text;
  }
}

/** Each text said, as "log ...", "warn ..." or "error ...". */
export function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (t) => lines.push(`log ${t}`),
    warn: (t) => lines.push(`warn ${t}`),
    error: (t) => lines.push(`error ${t}`),
  };
}
