// When a tier runs, without Node-RED: on a message, and with the system clock when the next bucket
// closes; one run at a time, which answers every request waiting for it; after a failure, again
// with a doubling delay while the watermark stays where it was. Its points go through the node's
// durable writer, and after each run it sends the message that tells a coarser tier wired after it
// how far this one is written. On close no run starts, the one under way stops at its next chunk
// and is waited for a while, then the writer gets the rest of Node-RED's close time.

import { Owner, RejectedSummary, WriterEvents, WriterState } from '../influxdb3/durable-writer';
import type { InfluxDB3Http } from '../influxdb3/influxdb3-http';
import { retryDelayMs } from '../retry-delay';
import { errorMessage } from '../settings';
import { shownText } from '../shown-text';
import { Clock, Status, Timers, compactCount, systemClock, systemTimers } from '../node-io';
import {
  Downsampler,
  DownsamplerOptions,
  RunReport,
  TierIO,
  TierRequestError,
  TierRunError,
  instant,
} from './downsampler';
import type { TierSpec } from './tier-spec';
import type { StateStore } from './tier-state';

const LABEL = 'influxdb3-downsample';
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;
/** Close waits this long for the run under way, then this long for writes in flight (Node-RED
 *  allows 15 s in all). */
const RUN_WAIT_MS = 4000;
const CLOSE_WAIT_MS = 8000;
/** The longest setTimeout (24.8 days): a longer wait ends in a run that finds nothing closed and
 *  waits again. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface DownsampleScheduleSettings {
  spec: TierSpec;
  options: DownsamplerOptions;
  store: StateStore;
  /** system: runs as buckets close; manual: only on a message, at its msg.now. */
  clock: 'system' | 'manual';
  /** The node's InfluxDB 3 connection, which the tier queries. */
  http: Pick<InfluxDB3Http, 'querySql'>;
  /** The target database's retention: '' leaves the database to whoever creates it. */
  retention: string;
}

/** The part of DurableWriter a tier uses. */
export interface TierWriter {
  readonly state: WriterState;
  readonly spooledLines: number;
  accept(database: string, precision: 's', text: string, lines: number, owner: Owner): void;
  stop(timeoutMs: number): Promise<void>;
}

/** What the node does for the tier; every text comes whole, prefixed with the node's type. */
export interface DownsampleHost {
  send(msg: DownsampleMessage): void;
  /** A run failed that no message waits for (a scheduled one): for a catch node. */
  error(message: string, msg: { payload: { error: string } }): void;
  warn(message: string): void;
  log(message: string): void;
  /** status() has changed; the node draws it when it likes. */
  statusChanged(): void;
  /** Creates the database with this retention when it is missing (before the first run). */
  createDatabase(database: string, retention: string): Promise<void>;
}

/** What a message to the node may carry. */
export interface DownsampleInput {
  now?: unknown;
  backfill?: unknown;
  tier?: unknown;
}

/** Sent after each run. */
export type DownsampleMessage = {
  topic: 'downsampled';
  payload: RunReport;
  tier: {
    database: string;
    table: string;
    bucketSeconds: number;
    watermark: string | null;
    completeThrough: string | null;
  };
  /** With the manual clock: the time the run was made at. */
  now?: string;
  /** A finished backfill, which a coarser tier then recomputes from these points. */
  backfill?: { from: string; to: string };
};

type Done = (err?: Error) => void;

/** A run someone waits for: a message (with its done), or the schedule (without). */
interface Request {
  done?: Done;
}

export class DownsampleScheduler {
  private readonly engine: Downsampler;
  private writer?: TierWriter;
  private ready: Promise<void> = Promise.resolve();
  private closing = false;
  private targetReady = false;
  /** Requests waiting for the next run; each run answers every one of them. */
  private waiting: Request[] = [];
  private running = false;
  /** The run under way, which close waits for. */
  private run: Promise<void> = Promise.resolve();
  private failures = 0;
  private retryAt = 0;
  private lastError = '';
  /** The next run, scheduled (undefined when none is). */
  private timer: unknown;
  private manualNow: number | undefined;
  private last: RunReport | undefined;
  private refusals = 0;
  private lastRefusal = '';

  constructor(
    private readonly settings: DownsampleScheduleSettings,
    private readonly host: DownsampleHost,
    private readonly time: Clock & Timers = { ...systemClock, ...systemTimers },
  ) {
    const io: TierIO = {
      query: (db, sql, params, onRow) => settings.http.querySql(db, sql, { ...params }, onRow),
      write: (db, text, count) => this.write(db, text, count),
    };
    this.engine = new Downsampler(settings.spec, io, settings.options, settings.store, {
      progress: () => host.statusChanged(),
    });
  }

  /** Takes the writer once its spool is open; with the system clock, the first run starts then.
   *  The promise rejects when the writer could not be opened (every message is then refused). */
  start(opening: Promise<TierWriter>): Promise<void> {
    this.ready = opening.then((w) => {
      this.writer = w;
      if (this.settings.clock === 'system') this.trigger({});
      else this.host.statusChanged();
    });
    return this.ready;
  }

  /** A message: msg.now (manual clock), msg.tier (the progress of the finer tier this one reads),
   *  msg.backfill; then a run, after which `done` is called. A bad message is refused at once. */
  input(msg: DownsampleInput, done: Done): void {
    try {
      this.take(msg);
    } catch (e) {
      return done(new Error(`${LABEL}: ${errorMessage(e)}`));
    }
    this.ready.then(
      () => this.trigger({ done }),
      (e) => done(new Error(`${LABEL}: the disk spool could not be opened: ${errorMessage(e)}`)),
    );
  }

  /** For the durable writer the node opens and hands to start(). */
  writerEvents(): WriterEvents {
    return {
      written: () => undefined,
      rejected: (r) => this.refused(r),
      warn: (m) => this.host.warn(`${LABEL}: ${m}`),
      info: (m) => this.host.log(`${LABEL}: ${m}`),
      changed: () => this.writerChanged(),
    };
  }

  /** Starts no further run, stops the one under way and waits for it (a while), then stops the
   *  writer; anything not recorded is computed again after the restart. */
  close(): Promise<void> {
    this.closing = true;
    this.clearTimer();
    this.engine.stop();
    let waiting: unknown;
    const runEnded = Promise.race([
      this.run.catch(() => undefined),
      new Promise((r) => (waiting = this.time.setTimeout(() => r(undefined), RUN_WAIT_MS))),
    ]).then(() => this.time.clearTimeout(waiting)); // a timer left behind would hold the process
    return Promise.all([this.ready, runEnded]).then(() => this.writer?.stop(CLOSE_WAIT_MS));
  }

  /** Buckets due and not yet aggregated. */
  get backlog(): number {
    return this.engine.backlogBuckets(this.tierNow() ?? this.time.now());
  }

  /** The end of the last bucket aggregated (ms), if any. */
  get watermarkMs(): number | undefined {
    return this.engine.state.watermark;
  }

  status(): Status {
    const e = this.engine;
    const writer = this.writer;
    if (!writer) return { fill: 'grey', shape: 'ring', text: 'starting' };
    const backlog = e.backlogBuckets(this.tierNow() ?? this.time.now());
    const done = e.state.watermark === undefined ? 'nothing yet' : `done to ${shortTime(e.state.watermark)}`;
    const bf = e.state.backfill;
    const backfill = bf ? ` · backfill ${Math.floor(((bf.next - bf.from) / (bf.to - bf.from)) * 100)}%` : '';
    if (this.failures > 0) {
      const inSeconds = Math.max(0, Math.ceil((this.retryAt - this.time.now()) / 1000));
      return { fill: 'yellow', shape: 'ring', text: `retrying in ${inSeconds} s (${brief(this.lastError)}) · ${done}` };
    }
    if (this.last?.waitingForUpstream)
      return { fill: 'yellow', shape: 'ring', text: 'waiting for the finer tier (wire its output to this node)' };
    if (this.last?.sourceMissing)
      return { fill: 'yellow', shape: 'dot', text: `no source table ${e.spec.source.table} yet · ${done}` };
    const spooled = writer.spooledLines > 0 ? ` · ${compactCount(writer.spooledLines)} spooled` : '';
    return {
      fill: this.running || backlog > 0 ? 'blue' : 'green',
      shape: 'dot',
      text: `${done}${backlog > 0 ? ` · backlog ${compactCount(backlog)}` : ''}${backfill}${spooled}`,
    };
  }

  /** The time a run is made at: the system's, or the last msg.now with the manual clock. */
  private tierNow(): number | undefined {
    return this.settings.clock === 'manual' ? this.manualNow : this.time.now();
  }

  private take(m: DownsampleInput): void {
    if (m.now !== undefined) {
      if (this.settings.clock !== 'manual')
        throw new Error('msg.now sets the time of a run only when the Clock is "manual" (set in the node)');
      const t = instant(m.now, 'msg.now');
      if (this.manualNow !== undefined && t < this.manualNow)
        throw new Error(
          `msg.now (${new Date(t).toISOString()}) is before the last one (${new Date(this.manualNow).toISOString()}): a clock does not go back`,
        );
      this.manualNow = t;
    }
    const fromFinerTier = this.takeUpstream(m.tier);
    if (m.backfill !== undefined) {
      const b: unknown = m.backfill;
      if (!b || typeof b !== 'object')
        throw new Error('msg.backfill must be {from, to}: times as epoch ms or ISO 8601 text');
      const { from, to } = b as { from?: unknown; to?: unknown };
      try {
        this.engine.requestBackfill(from, to, this.tierNow() ?? this.time.now());
      } catch (e) {
        // The finer tier's backfill is passed on as it finishes: one this tier cannot take now
        // (no closed hour in it, its own backfill still running) is not the sender's mistake.
        if (!fromFinerTier || !(e instanceof TierRequestError)) throw e;
        this.host.warn(`${LABEL}: the finer tier's backfill is not taken: ${errorMessage(e)}`);
      }
    }
  }

  /** msg.tier from the finer tier this one reads: how far it is written. True when it is that tier. */
  private takeUpstream(value: unknown): boolean {
    const tier = value as { completeThrough?: unknown; database?: unknown; table?: unknown } | undefined;
    const source = this.engine.spec.source;
    if (!tier || typeof tier !== 'object' || source.kind !== 'tier') return false;
    if (tier.database !== source.database || tier.table !== source.table) {
      this.host.warn(
        `${LABEL}: the tier wired in front writes ${String(tier.database)}/${String(tier.table)}, but this node reads ${source.database}/${source.table}: its progress is not used`,
      );
      return false;
    }
    if (tier.completeThrough !== null && tier.completeThrough !== undefined)
      this.engine.upstreamComplete(instant(tier.completeThrough, 'msg.tier.completeThrough'));
    return true;
  }

  private trigger(request: Request): void {
    if (this.closing) return request.done?.();
    this.waiting.push(request);
    if (!this.running) this.run = this.runNow();
  }

  /** Runs for every request waiting; on a failure, again after a backoff (the watermark stays). */
  private async runNow(): Promise<void> {
    if (this.closing) return;
    this.clearTimer();
    this.running = true;
    const requests = this.waiting;
    this.waiting = [];
    const now = this.tierNow();
    this.host.statusChanged();
    let retryIn: number | undefined;
    try {
      if (now === undefined) throw new TierRequestError('the clock is manual: send msg.now (a time) to run');
      if (!this.targetReady) {
        const { retention, spec } = this.settings;
        if (retention) await this.host.createDatabase(spec.target.database, retention);
        this.targetReady = true;
      }
      const report = await this.engine.run(now);
      this.last = report;
      this.failures = 0;
      this.lastError = '';
      this.writerChanged();
      for (const r of requests) r.done?.();
      this.host.send(this.message(report, now));
    } catch (e) {
      const err = describeFailure(e);
      for (const r of requests) r.done?.(err);
      if (!this.closing && requests.every((r) => !r.done))
        this.host.error(err.message, { payload: { error: err.message } });
      // A bad request fails the same way every time: only a failure of the server is retried.
      if (!(e instanceof TierRequestError)) {
        this.failures++;
        this.lastError = errorMessage(e);
        retryIn = retryDelayMs(this.failures, RETRY_FIRST_MS, RETRY_MAX_MS);
        this.retryAt = this.time.now() + retryIn;
      }
    }
    this.running = false;
    if (this.closing) return;
    if (this.waiting.length > 0 && retryIn === undefined) {
      this.run = this.runNow();
      return;
    }
    this.schedule(retryIn);
    this.host.statusChanged();
  }

  /** The next run: a retry after a failure; with the system clock, when the next bucket closes. */
  private schedule(delayMs?: number): void {
    if (delayMs === undefined) {
      if (this.settings.clock !== 'system') return;
      const b = this.engine.spec.bucketMs;
      const grace = this.settings.options.graceMs;
      const now = this.time.now();
      delayMs = Math.floor((now - grace) / b) * b + b + grace - now + 50;
    }
    this.timer = this.time.setTimeout(
      () => {
        this.timer = undefined;
        this.trigger({});
      },
      Math.min(delayMs, LONGEST_TIMER_MS),
    );
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.time.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The writer refused lines: any write out at the time fails (see write). */
  private refused(r: RejectedSummary): void {
    const first = r.lines[0];
    this.refusals++;
    this.lastRefusal = `InfluxDB 3 refused ${r.lines.length} point(s) of the tier: ${first?.message ?? r.reason}${first ? ` (${shownText(first.line, 200)})` : ''}`;
    this.host.warn(`${LABEL}: ${this.lastRefusal}`);
  }

  /** Tells the tier when every point handed to the writer is written, not only spooled: a coarser
   *  tier may then read up to the watermark. */
  private writerChanged(): void {
    const w = this.writer;
    if (w && w.state === 'idle' && w.spooledLines === 0) this.engine.allWritten();
  }

  /** TierIO.write: resolves once the writer holds the lines durable (written or spooled). */
  private write(database: string, text: string, count: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closing) return reject(new Error('the node is stopping'));
      // The writer reports refused lines apart from the write they came in: any refusal while
      // this write was out fails it (a chunk failed wrongly is only computed again).
      const refusalsBefore = this.refusals;
      this.writer!.accept(
        database,
        's',
        text,
        count,
        new Owner((err) =>
          err ? reject(err) : this.refusals !== refusalsBefore ? reject(new Error(this.lastRefusal)) : resolve(),
        ),
      );
    });
  }

  private message(report: RunReport, now: number): DownsampleMessage {
    const { spec, state } = this.engine;
    const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
    const out: DownsampleMessage = {
      topic: 'downsampled',
      payload: report,
      tier: {
        database: spec.target.database,
        table: spec.target.table,
        bucketSeconds: spec.bucketMs / 1000,
        watermark: iso(state.watermark),
        completeThrough: iso(state.writtenThrough),
      },
    };
    if (this.settings.clock === 'manual') out.now = new Date(now).toISOString();
    if (report.backfill?.done) out.backfill = { from: report.backfill.from, to: report.backfill.to };
    return out;
  }
}

function describeFailure(e: unknown): Error {
  if (e instanceof TierRunError && e.sql) return new Error(`${LABEL}: ${e.message}\nSQL:\n${e.sql}`);
  return new Error(`${LABEL}: ${errorMessage(e)}`);
}

function shortTime(t: number): string {
  return new Date(t)
    .toISOString()
    .replace('T', ' ')
    .replace(/:00\.000Z$/, '')
    .replace(/\.000Z$/, '');
}

/** A failure short enough for the status line. */
function brief(reason: string): string {
  return shownText(reason.replace(/^the query of \S+ to \S+ failed: /, ''), 60);
}
