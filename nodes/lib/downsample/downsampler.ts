// One tier's work, without Node-RED: which buckets are closed (aligned to the epoch as date_bin,
// past a grace for late readings, and for a tier read from a finer one, no further than that tier
// is written), catching up from the watermark in bounded chunks, re-counting recent buckets for
// late data, and backfills. The watermark moves only after a chunk's points are durable and is
// saved at once, so a failure or a restart resumes at the first bucket not done; since a bucket's
// points are the same however often it is computed, doing one twice never double counts.

import { errorMessage } from '../settings';
import { TierMerger, TierPoint, pointFromAggregateRow, pointsToLines, rowTime, seriesKey, tagsOf } from './tier-points';
import { BUCKET, ROWS, rawAggregateSql, sourceCountSql, targetCountSql, tierRowsSql } from './tier-sql';
import type { TierSpec } from './tier-spec';
import { Backfill, StateStore, TierState, tierFingerprint } from './tier-state';

export interface TierWindow {
  start: string;
  end: string;
}

export interface TierIO {
  /** Runs the SQL with the window as $start/$end; rows go to onRow as they arrive. Rejects with an
   *  error whose `missing` is true when the table or the database does not exist. */
  query(
    database: string,
    sql: string,
    params: TierWindow,
    onRow: (row: Record<string, unknown>) => void,
  ): Promise<void>;
  /** Resolves when the lines are durable (written, or in the writer's spool); rejects when they
   *  were refused or could not be kept. */
  write(database: string, lines: string, count: number): Promise<void>;
}

export interface DownsamplerOptions {
  graceMs: number;
  /** Closed buckets re-counted against the source on every run, for late readings. */
  recountBuckets: number;
  maxBucketsPerQuery: number;
  /** Source rows one query may read (as last seen per bucket): bounds a catch-up chunk. */
  maxRowsPerQuery: number;
  maxBackfillBuckets: number;
}

export interface RunReport {
  window: { start: string; end: string } | null;
  buckets: number;
  rowsRead: number;
  pointsWritten: number;
  recountedBuckets: number;
  recomputedBuckets: number;
  backlogBuckets: number;
  queries: number;
  /** The source table or database does not exist: nothing to aggregate yet (or a wrong name). */
  sourceMissing: boolean;
  /** A tier read from a finer tier: nothing is done until that tier reports (msg.tier). */
  waitingForUpstream: boolean;
  durationMs: number;
  backfill?: { from: string; to: string; done: boolean; progress: number };
}

export interface DownsamplerEvents {
  /** After each chunk: what is done so far, for the status. */
  progress(what: { watermark?: number; backlogBuckets: number; backfill?: Backfill }): void;
}

/** A problem of the request (an absurd backfill), not of the server: not retried. */
export class TierRequestError extends Error {}

/** Where a run failed, with the SQL that failed when it was a query. */
export class TierRunError extends Error {
  constructor(
    message: string,
    readonly sql?: string,
    /** The table or database does not exist (yet). */
    readonly missing = false,
  ) {
    super(message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Chunks written at once (each waits for the server's WAL flush); also the most held in memory. */
const WRITES_AHEAD = 4;

export class Downsampler {
  state: TierState;
  private rowsPerBucket = 0;
  private stopped = false;
  private readonly fingerprint: string;

  constructor(
    readonly spec: TierSpec,
    private readonly io: TierIO,
    private readonly options: DownsamplerOptions,
    private readonly store: StateStore,
    private readonly events: DownsamplerEvents = { progress: () => undefined },
  ) {
    this.fingerprint = tierFingerprint(spec);
    this.state = store.load() ?? { tier: this.fingerprint };
  }

  private floor(t: number): number {
    return Math.floor(t / this.spec.bucketMs) * this.spec.bucketMs;
  }

  /** The end of the last bucket that may be aggregated at `now`. */
  closedUntil(now: number): number {
    const until = this.floor(now - this.options.graceMs);
    return this.spec.source.kind === 'tier' && this.state.upstreamThrough !== undefined
      ? Math.min(until, this.floor(this.state.upstreamThrough))
      : until;
  }

  /** A tier read from a finer one has not heard how far that one is written (msg.tier). */
  get waitingForUpstream(): boolean {
    return this.spec.source.kind === 'tier' && this.state.upstreamThrough === undefined;
  }

  /** No more state is saved and no further chunk is started (the node is closing). */
  stop(): void {
    this.stopped = true;
  }

  backlogBuckets(now: number): number {
    const wm = this.state.watermark;
    return wm === undefined ? 0 : Math.max(0, (this.closedUntil(now) - wm) / this.spec.bucketMs);
  }

  /** The finer tier this one reads is complete through `through` (its points are written). */
  upstreamComplete(through: number): void {
    if (!Number.isFinite(through)) return;
    if (this.state.upstreamThrough === undefined || through > this.state.upstreamThrough) {
      this.state.upstreamThrough = through;
      this.save();
    }
  }

  /** Every point accepted so far has been written (not only spooled): a coarser tier may read
   *  everything before the watermark. */
  allWritten(): void {
    if (this.state.watermark !== undefined && this.state.writtenThrough !== this.state.watermark) {
      this.state.writtenThrough = this.state.watermark;
      this.save();
    }
  }

  /** Checks and records a backfill of [from, to), done by the following runs. */
  requestBackfill(fromValue: unknown, toValue: unknown, now: number): Backfill {
    const from = instant(fromValue, 'msg.backfill.from');
    const to = instant(toValue, 'msg.backfill.to');
    if (from >= to)
      throw new TierRequestError(`msg.backfill.from (${iso(from)}) must be before msg.backfill.to (${iso(to)})`);
    const start = this.floor(from);
    const limit = this.closedUntil(now);
    const end = Math.min(Math.ceil(to / this.spec.bucketMs) * this.spec.bucketMs, limit);
    if (start >= end)
      throw new TierRequestError(
        `no closed bucket between ${iso(from)} and ${iso(to)}: buckets close ${this.options.graceMs / 1000} s after their end${this.spec.source.kind === 'tier' ? ' and when the finer tier is written' : ''}`,
      );
    const buckets = (end - start) / this.spec.bucketMs;
    if (buckets > this.options.maxBackfillBuckets)
      throw new TierRequestError(
        `the backfill spans ${buckets} buckets, more than the ${this.options.maxBackfillBuckets} this node allows (Longest backfill): send it in parts or raise the setting`,
      );
    if (this.state.backfill)
      throw new TierRequestError(
        `a backfill of ${iso(this.state.backfill.from)} to ${iso(this.state.backfill.to)} is still running: wait for it to finish`,
      );
    this.state.backfill = { from: start, to: end, next: start };
    this.save();
    return this.state.backfill;
  }

  /** Aggregates every closed bucket after the watermark, re-counts the recent ones, then goes on
   *  with a backfill. Throws TierRunError; what was done before the failure stays done. */
  async run(now: number): Promise<RunReport> {
    const started = Date.now();
    const r: RunReport = {
      window: null,
      buckets: 0,
      rowsRead: 0,
      pointsWritten: 0,
      recountedBuckets: 0,
      recomputedBuckets: 0,
      backlogBuckets: 0,
      queries: 0,
      sourceMissing: false,
      waitingForUpstream: false,
      durationMs: 0,
    };
    const b = this.spec.bucketMs;
    if (this.waitingForUpstream) {
      r.waitingForUpstream = true;
      return r;
    }
    const limit = this.closedUntil(now);
    // A first start takes the recount horizon, not all history (msg.backfill reaches further back).
    if (this.state.watermark === undefined) {
      this.state.watermark = limit - this.options.recountBuckets * b;
      this.save();
    }
    const before = this.state.watermark;
    if (before < limit) r.window = { start: iso(before), end: iso(limit) };
    await this.chunked(before, limit, r, (from, to) => {
      this.state.watermark = to;
      this.save();
      r.buckets += (to - from) / b;
      this.progress(now);
    });
    // Late readings: buckets done before this run, inside the horizon, whose counts changed.
    const recountFrom = this.state.watermark - this.options.recountBuckets * b;
    const recountTo = Math.min(before, this.state.watermark);
    if (recountTo > recountFrom) {
      const changed = await this.changedBuckets(recountFrom, recountTo, r);
      r.recountedBuckets = (recountTo - recountFrom) / b;
      for (const [from, to] of ranges(changed, b))
        await this.chunked(from, to, r, (s, e) => (r.recomputedBuckets += (e - s) / b));
    }
    const bf = this.state.backfill;
    if (bf) {
      await this.chunked(bf.next, bf.to, r, (_, e) => {
        bf.next = e;
        this.save();
        this.progress(now);
      });
      r.backfill = { from: iso(bf.from), to: iso(bf.to), done: true, progress: 1 };
      this.state.backfill = undefined;
      this.save();
    }
    r.backlogBuckets = this.backlogBuckets(now);
    r.durationMs = Date.now() - started;
    return r;
  }

  private progress(now: number): void {
    this.events.progress({
      watermark: this.state.watermark,
      backlogBuckets: this.backlogBuckets(now),
      backfill: this.state.backfill,
    });
  }

  private save(): void {
    if (this.stopped) return;
    this.store.save(this.state);
  }

  /** Buckets per query: the setting, fewer when the source holds many rows per bucket. */
  private chunkBuckets(): number {
    const byRows = this.rowsPerBucket > 0 ? Math.floor(this.options.maxRowsPerQuery / this.rowsPerBucket) : 12;
    return Math.max(1, Math.min(this.options.maxBucketsPerQuery, byRows));
  }

  /** Aggregates [from, to) chunk by chunk. InfluxDB 3 answers a write only after its WAL flush
   *  (about 1 s), so the next chunks are queried while earlier ones are written, up to
   *  WRITES_AHEAD chunks held at once. `durable` is called for each chunk, in order, once it and
   *  every chunk before it are kept; after a failure, for the chunks before the failed one only. */
  private async chunked(
    from: number,
    to: number,
    r: RunReport,
    durable: (from: number, to: number) => void,
  ): Promise<void> {
    let kept: Promise<void> = Promise.resolve();
    const writing: Promise<void>[] = [];
    try {
      for (let start = from; start < to;) {
        if (this.stopped) throw new TierRunError('the node is stopping: the rest is done when it starts again');
        const s = start;
        const e = Math.min(to, s + this.chunkBuckets() * this.spec.bucketMs);
        const lines = await this.aggregate(s, e, r);
        while (writing.length >= WRITES_AHEAD) await writing.shift();
        kept = Promise.all([kept, this.keep(lines, s, e, r)]).then(() => durable(s, e));
        // Handled here and awaited below: a failed write must not be an unhandled rejection
        // while the next chunk's query runs.
        kept.catch(() => undefined);
        writing.push(kept);
        start = e;
      }
    } finally {
      await kept;
    }
  }

  /** The points of [from, to) as line protocol. */
  private async aggregate(from: number, to: number, r: RunReport): Promise<{ text: string; lines: number }> {
    const { spec } = this;
    const window = { start: iso(from), end: iso(to) };
    let rows = 0;
    const merger = spec.source.kind === 'tier' ? new TierMerger(spec) : undefined;
    const aggregated: TierPoint[] = [];
    // No source table yet: nothing to aggregate (readings that come later are recounted).
    const found = merger
      ? await this.queryIfExists(spec.source.database, tierRowsSql(spec), window, (row) => merger.add(row))
      : await this.queryIfExists(spec.source.database, rawAggregateSql(spec), window, (row) => {
          const p = pointFromAggregateRow(spec, row);
          rows += p.rows;
          aggregated.push(p);
        });
    if (!found) r.sourceMissing = true;
    if (merger) rows = merger.rowsRead;
    const points = merger ? merger.points() : aggregated;
    r.queries++;
    r.rowsRead += rows;
    this.rowsPerBucket = Math.max(1, rows / ((to - from) / spec.bucketMs));
    return pointsToLines(spec, points);
  }

  /** Makes a chunk's points durable. */
  private async keep(chunk: { text: string; lines: number }, from: number, to: number, r: RunReport): Promise<void> {
    if (chunk.lines === 0) return;
    try {
      await this.io.write(this.spec.target.database, chunk.text, chunk.lines);
    } catch (e) {
      throw new TierRunError(`the points of ${iso(from)} to ${iso(to)} were not kept: ${errorMessage(e)}`);
    }
    r.pointsWritten += chunk.lines;
  }

  /** Bucket starts in [from, to) whose count of source readings differs from the tier's. */
  private async changedBuckets(from: number, to: number, r: RunReport): Promise<number[]> {
    const { spec } = this;
    const window = { start: iso(from), end: iso(to) };
    const key = (row: Record<string, unknown>) => {
      const time = rowTime(row[BUCKET]);
      return { time, key: seriesKey(time, tagsOf(spec, row)) };
    };
    const source = new Map<string, { time: number; n: number }>();
    const found = await this.queryIfExists(spec.source.database, sourceCountSql(spec), window, (row) => {
      const k = key(row);
      source.set(k.key, { time: k.time, n: Number(row[ROWS]) });
    });
    if (!found) r.sourceMissing = true;
    const stored = new Map<string, number>();
    await this.queryIfExists(spec.target.database, targetCountSql(spec), window, (row) => {
      stored.set(key(row).key, Number(row[ROWS]));
    });
    r.queries += 2;
    const changed = new Set<number>();
    for (const [k, { time, n }] of source) if (stored.get(k) !== n) changed.add(time);
    return [...changed].sort((a, b) => a - b);
  }

  /** Runs the query; false when its table or database does not exist (no rows, not an error). */
  private async queryIfExists(
    database: string,
    sql: string,
    window: TierWindow,
    onRow: (row: Record<string, unknown>) => void,
  ): Promise<boolean> {
    try {
      await this.query(database, sql, window, onRow);
      return true;
    } catch (e) {
      if (e instanceof TierRunError && e.missing) return false;
      throw e;
    }
  }

  private async query(
    database: string,
    sql: string,
    window: TierWindow,
    onRow: (row: Record<string, unknown>) => void,
  ): Promise<void> {
    try {
      await this.io.query(database, sql, window, onRow);
    } catch (e) {
      throw new TierRunError(
        `the query of ${window.start} to ${window.end} failed: ${errorMessage(e)}`,
        sql,
        (e as { missing?: unknown }).missing === true,
      );
    }
  }
}

/** Contiguous [from, to) ranges of sorted bucket starts. */
function ranges(starts: number[], bucketMs: number): [number, number][] {
  const out: [number, number][] = [];
  for (const s of starts) {
    const last = out[out.length - 1];
    if (last && last[1] === s) last[1] = s + bucketMs;
    else out.push([s, s + bucketMs]);
  }
  return out;
}

/** A time from a message: epoch milliseconds, a Date, or ISO 8601 text with a zone. */
export function instant(v: unknown, what: string): number {
  const t =
    v instanceof Date
      ? v.getTime()
      : typeof v === 'number'
        ? v
        : typeof v === 'string' && /^\d{4}-\d\d-\d\d(T[\d:.]+(Z|[+-]\d\d:?\d\d))?$/.test(v.trim())
          ? Date.parse(v.trim())
          : NaN;
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15)
    throw new TierRequestError(
      `${what} must be a time: epoch milliseconds or ISO 8601 text such as "2026-11-22T10:00:00Z", got ${JSON.stringify(v) ?? String(v)}`,
    );
  return t;
}
