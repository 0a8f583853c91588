// How long to wait before trying again: the first delay, doubled after each failure, capped. Every
// retry of the pack (writes, database creation, downsample runs, alert mail) waits by this.

/** The delay before retry number `attempt` (1 for the first retry): firstMs, 2 x firstMs, ... maxMs. */
export function retryDelayMs(attempt: number, firstMs: number, maxMs: number): number {
  const doublings = Math.min(Math.max(0, Math.floor(attempt) - 1), 30);
  return Math.min(maxMs, firstMs * 2 ** doublings);
}
