// InfluxDB 3's last value cache for the tables a writer writes to: the newest row of each series,
// held in memory by the server and read with `SELECT … FROM last_cache('table', 'latest')`, much
// cheaper than scanning the table for the newest row per device. A cache can only be created on a
// table that exists, and a table exists only after its first write, so each table's cache is
// created after a write to its database succeeded, once; a 409 (it exists) is as good. The cache
// starts empty: it holds what is written after it was created (influxdb3_cache/src/last_cache).
// Creating it never holds up or loses a write: a failure is a warning. A table not there yet is
// tried after later writes, spaced out (after 1, 2, 4, 8 ... successful writes), so a table whose
// lines the server always refuses costs a few requests, not one per write.

import type { InfluxDB3Http } from './influxdb3-http';
import { QueryFailure } from './influxdb3-http';

/** The name the pack gives its caches, so a query can name it: last_cache('table', 'latest'). */
export const LAST_CACHE_NAME = 'latest';

export interface LastCacheEvents {
  warn(message: string): void;
  info?(message: string): void;
}

/** When a waiting table is tried again: at the count of successful writes nextTry, then spacing
 *  writes later, spacing doubling. */
interface NextTry {
  nextTry: number;
  spacing: number;
}

export class LastValueCaches {
  /** Database -> tables written to, their cache not created yet, each with its next try: the
   *  count of successful writes to the database at which it is tried again. */
  private readonly waiting = new Map<string, Map<string, NextTry>>();
  /** Database -> successful writes to it so far. */
  private readonly writes = new Map<string, number>();
  /** `database\0table` of tables done with: created, found, or given up on. */
  private readonly settled = new Set<string>();
  /** Databases with a successful write since their waiting tables were last tried. */
  private readonly written = new Set<string>();
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly http: Pick<InfluxDB3Http, 'createLastCache'>,
    private readonly events: LastCacheEvents,
  ) {}

  /** The tables of lines about to be written: a table not seen before waits for a write. Only the
   *  measurement of each line is read; a known table costs a set lookup. */
  sawLines(database: string, payload: string): void {
    let waiting = this.waiting.get(database);
    let last = '';
    for (let start = 0; start < payload.length;) {
      let end = payload.indexOf('\n', start);
      if (end < 0) end = payload.length;
      // Most payloads are one table: a line of the table before is passed over without a copy.
      const after = payload[start + last.length];
      if (last && (after === ',' || after === ' ') && payload.startsWith(last, start)) {
        start = end + 1;
        continue;
      }
      const table = measurementOf(payload, start, end);
      start = end + 1;
      if (!table || table === last) continue;
      last = table;
      if (waiting?.has(table) || this.settled.has(`${database}\0${table}`)) continue;
      if (!waiting) this.waiting.set(database, (waiting = new Map<string, NextTry>()));
      waiting.set(table, { nextTry: 0, spacing: 1 });
    }
  }

  /** A write to `database` succeeded: its waiting tables get their cache. Resolves when tried. */
  wrote(database: string): Promise<void> {
    if (!this.waiting.get(database)?.size || this.stopped) return this.running ?? Promise.resolve();
    this.writes.set(database, (this.writes.get(database) ?? 0) + 1);
    this.written.add(database);
    this.running ??= this.createWaiting().finally(() => (this.running = undefined));
    return this.running;
  }

  /** No more requests (the node closes): one under way ends on its own. */
  stop(): void {
    this.stopped = true;
  }

  private async createWaiting(): Promise<void> {
    for (const database of this.written) {
      this.written.delete(database);
      const writes = this.writes.get(database) ?? 0;
      for (const [table, next] of [...(this.waiting.get(database) ?? [])]) {
        if (this.stopped) return;
        if (writes < next.nextTry) continue;
        // Tried again after twice as many writes as the last time, should it still not be there.
        next.nextTry = writes + next.spacing;
        next.spacing *= 2;
        await this.create(database, table);
      }
    }
  }

  private async create(database: string, table: string): Promise<void> {
    let outcome: 'created' | 'exists' | 'no-table';
    try {
      outcome = await this.http.createLastCache(database, table, LAST_CACHE_NAME);
    } catch (e) {
      const failure = e as QueryFailure;
      // The server is away or busy: the next successful write tries again.
      if (failure instanceof QueryFailure && failure.retryable) return;
      this.events.warn(
        `no last value cache for table "${table}" in "${database}": ${failure.message} (readings are written all the same)`,
      );
      return this.settle(database, table);
    }
    // The write that succeeded held other tables: this one is tried after a later write.
    if (outcome === 'no-table') return;
    if (outcome === 'created')
      this.events.info?.(`created the last value cache "${LAST_CACHE_NAME}" of table "${table}" in "${database}"`);
    this.settle(database, table);
  }

  private settle(database: string, table: string): void {
    this.waiting.get(database)?.delete(table);
    this.settled.add(`${database}\0${table}`);
  }
}

/** A line's measurement (escaped commas and spaces taken as text), or '' for a blank line or a
 *  comment. */
function measurementOf(text: string, start: number, end: number): string {
  while (start < end && (text[start] === ' ' || text[start] === '\t' || text[start] === '\r')) start++;
  if (start >= end || text[start] === '#') return '';
  let i = start;
  let escaped = false;
  while (i < end && text[i] !== ',' && text[i] !== ' ') {
    if (text[i] === '\\') {
      escaped = true;
      i++;
    }
    i++;
  }
  const name = text.slice(start, Math.min(i, end));
  return escaped ? name.replace(/\\([, \\])/g, '$1') : name;
}
