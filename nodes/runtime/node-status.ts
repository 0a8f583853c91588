// Node status that stays cheap under load: redrawn at most twice a second, with counts short
// enough for Node-RED's status line.

import type { Node } from 'node-red';

type Status = Parameters<Node['status']>[0];

/** Node status that is redrawn at most every interval, however many messages pass. The status is
 *  given as a function and only computed when it is drawn. */
export class ThrottledStatus {
  private timer: NodeJS.Timeout | undefined;
  private pending: (() => Status) | undefined;

  constructor(
    private readonly node: Node,
    private readonly intervalMs = 500,
  ) {}

  set(make: () => Status): void {
    this.pending = make;
    if (this.timer) return;
    this.pending = undefined;
    this.node.status(make());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending !== undefined) this.set(this.pending);
    }, this.intervalMs);
  }

  /** Shows a status now and stops any pending redraw (errors, close). */
  now(status: Status): void {
    this.stop();
    this.node.status(status);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}
