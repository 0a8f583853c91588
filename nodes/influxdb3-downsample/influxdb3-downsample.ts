// influxdb3-downsample: one tier of aggregates (5 minutes from raw, 1 hour from 5 minutes, ...),
// aligned, closed, caught up and never double counted. The tier's work is lib/downsample/
// downsampler.ts; here are its clock (the system's, or msg.now), its retries, its state file, the
// shared durable writer its points go through, and the message it sends after each run, which
// also tells a coarser tier wired after it how far this one is written.

import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { Downsampler, RunReport, TierIO, TierRequestError, TierRunError, instant } from '../lib/downsample/downsampler';
import { FieldSetting, TierSpec, tierSpec } from '../lib/downsample/tier-spec';
import { TierStateFile, tierFingerprint } from '../lib/downsample/tier-state';
import { parseRetention } from '../lib/influxdb3/database-retention';
import { DurableWriter, Owner, WRITER_DEFAULTS } from '../lib/influxdb3/durable-writer';
import type { InfluxDB3Http } from '../lib/influxdb3/influxdb3-http';
import { CONFIG_VERSION, errorMessage, numberSetting, oneOf, withDefaults } from '../lib/settings';
import { InfluxDB3ConfigNode, influxdb3ServerFor } from '../runtime/influxdb3-config-node';
import { createDatabase, openDurableWriter } from '../runtime/durable-writer-node';
import { retryDelayMs } from '../lib/retry-delay';
import { shownText } from '../lib/shown-text';
import type { Done, Send } from '../runtime/input-callbacks';
import { compactCount, ThrottledStatus } from '../runtime/node-status';
import { schemaFor } from '../runtime/schema-config-node';
import { nodeStatePath } from '../runtime/state-path';

interface DownsampleSettings {
  name: string;
  version: number;
  server: string;
  schema: string;
  sourceDatabase: string;
  sourceTable: string;
  sourceKind: 'raw' | 'tier';
  targetDatabase: string;
  targetTable: string;
  bucket: number | string;
  bucketUnit: 's' | 'min' | 'h' | 'd';
  tags: string;
  fields: FieldSetting[];
  grace: number | string;
  recountMinutes: number | string;
  bucketsPerQuery: number | string;
  rowsPerQuery: number | string;
  backfillDays: number | string;
  retention: string;
  clock: 'system' | 'manual';
  spoolMB: number | string;
}

const DEFAULTS: DownsampleSettings = {
  name: '',
  version: CONFIG_VERSION,
  server: '',
  schema: '',
  sourceDatabase: 'iot-sensors',
  sourceTable: 'iot_sensors',
  sourceKind: 'raw',
  targetDatabase: 'iot-sensors-5min',
  targetTable: 'iot_sensors_5min',
  bucket: 5,
  bucketUnit: 'min',
  tags: '',
  fields: [
    { field: 'temperature', aggregates: ['mean', 'min', 'max'] },
    { field: 'humidity', aggregates: ['mean'] },
    { field: 'battery_level', aggregates: ['mean'] },
  ],
  grace: 60,
  recountMinutes: 60,
  bucketsPerQuery: 288,
  rowsPerQuery: 500_000,
  backfillDays: 31,
  retention: '',
  clock: 'system',
  spoolMB: 256,
};

const UNIT_SECONDS = { s: 1, min: 60, h: 3600, d: 86400 } as const;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;
/** Close waits this long for the run under way, then this long for writes in flight (Node-RED
 *  allows 15 s in all). */
const RUN_WAIT_MS = 4000;
const CLOSE_WAIT_MS = 8000;

interface Request {
  msg?: NodeMessageInFlow;
  send?: Send;
  done?: Done;
}

export = function (RED: NodeAPI) {
  function InfluxDB3Downsample(this: Node, raw: NodeDef & Partial<DownsampleSettings>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    let setupError: string | undefined;
    let config: InfluxDB3ConfigNode | undefined;
    let http: InfluxDB3Http | undefined;
    let writer: DurableWriter | undefined;
    let engine: Downsampler | undefined;
    let spec: TierSpec | undefined;
    let c = DEFAULTS;
    let retention = '';
    let targetReady = false;
    let ready: Promise<void> = Promise.resolve();
    let closing = false;

    /** Requests waiting for the next run; each run answers every one of them. */
    let waiting: Request[] = [];
    let running = false;
    let failures = 0;
    let retryAt = 0;
    let lastError = '';
    let timer: NodeJS.Timeout | undefined;
    let manualNow: number | undefined;
    let last: RunReport | undefined;
    let refusals = 0;
    let lastRefusal = '';
    /** The run under way, which close waits for. */
    let run: Promise<void> = Promise.resolve();
    let graceMs = 0;

    try {
      c = withDefaults(raw, DEFAULTS);
      config = influxdb3ServerFor(RED, c.server);
      const unit = oneOf(c.bucketUnit, ['s', 'min', 'h', 'd'] as const, 'Bucket unit');
      const bucket = numberSetting(c.bucket, 'Bucket', { min: 1, integer: true });
      spec = tierSpec(
        {
          sourceDatabase: String(c.sourceDatabase).trim() || config.database,
          sourceTable: c.sourceTable,
          sourceKind: c.sourceKind,
          targetDatabase: c.targetDatabase,
          targetTable: c.targetTable,
          bucketSeconds: bucket * UNIT_SECONDS[unit],
          tags: c.tags,
          fields: c.fields,
        },
        schemaFor(RED, c.schema),
      );
      oneOf(c.clock, ['system', 'manual'] as const, 'Clock');
      retention = String(c.retention ?? '').trim();
      parseRetention(retention);
      const bucketMs = spec.bucketMs;
      graceMs = numberSetting(c.grace, 'Grace (s)', { min: 0, max: 86400 }) * 1000;
      const options = {
        graceMs,
        recountBuckets: Math.ceil(
          (numberSetting(c.recountMinutes, 'Recount (minutes)', { min: 0, max: 7 * 1440 }) * 60_000) / bucketMs,
        ),
        maxBucketsPerQuery: numberSetting(c.bucketsPerQuery, 'Buckets per query', {
          min: 1,
          max: 100_000,
          integer: true,
        }),
        maxRowsPerQuery: numberSetting(c.rowsPerQuery, 'Rows per query', { min: 1000, integer: true }),
        maxBackfillBuckets: Math.floor(
          (numberSetting(c.backfillDays, 'Longest backfill (days)', { min: 1, max: 3660 }) * 86_400_000) / bucketMs,
        ),
      };
      const spoolBytes = numberSetting(c.spoolMB, 'Spool limit (MB)', { min: 1 }) * 1024 * 1024;
      const stateFile = `${nodeStatePath(RED, 'downsample', node.id)}.json`;
      const store = new TierStateFile(stateFile, tierFingerprint(spec), (m) => node.warn(`influxdb3-downsample: ${m}`));
      http = config.acquireHttp();
      const io: TierIO = {
        query: (db, sql, params, onRow) => http!.querySql(db, sql, { ...params }, onRow),
        write: (db, text, count) =>
          new Promise((resolve, reject) => {
            if (closing) return reject(new Error('the node is stopping'));
            // The writer reports refused lines apart from the write they came in: any refusal while
            // this write was out fails it (a chunk failed wrongly is only computed again).
            const refusalsBefore = refusals;
            writer!.accept(
              db,
              's',
              text,
              count,
              new Owner((err) =>
                err ? reject(err) : refusals !== refusalsBefore ? reject(new Error(lastRefusal)) : resolve(),
              ),
            );
          }),
      };
      engine = new Downsampler(spec, io, options, store, { progress: showStatus });
      ready = openDurableWriter(
        node,
        'influxdb3-downsample',
        http,
        nodeStatePath(RED, 'downsample-spool', node.id),
        { maxBytes: spoolBytes, policy: 'reject' },
        { ...WRITER_DEFAULTS, maxInFlight: 4 },
        {
          written: () => undefined,
          rejected: (r) => {
            const first = r.lines[0];
            refusals++;
            lastRefusal = `InfluxDB 3 refused ${r.lines.length} point(s) of the tier: ${first?.message ?? r.reason}${first ? ` (${shownText(first.line, 200)})` : ''}`;
            node.warn(`influxdb3-downsample: ${lastRefusal}`);
          },
          warn: (m) => node.warn(`influxdb3-downsample: ${m}`),
          info: (m) => node.log(`influxdb3-downsample: ${m}`),
          changed: noteAllWritten,
        },
      ).then((w) => {
        writer = w;
        if (c.clock === 'system') trigger({});
        else showStatus();
      });
      ready.catch((e) => fail(`influxdb3-downsample: cannot open the disk spool: ${errorMessage(e)}`));
    } catch (e) {
      fail(`influxdb3-downsample: ${errorMessage(e)}`);
    }

    /** Tells the tier when every point handed to the writer is written, not only spooled. */
    function noteAllWritten() {
      if (writer && engine && writer.state === 'idle' && writer.spooledLines === 0) engine.allWritten();
    }

    function fail(message: string) {
      setupError = message;
      node.error(message);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    function showStatus() {
      status.set(() => {
        const e = engine;
        if (!e || !writer) return { fill: 'grey', shape: 'ring', text: 'starting' };
        const now = clockNow() ?? Date.now();
        const backlog = e.backlogBuckets(now);
        const done = e.state.watermark === undefined ? 'nothing yet' : `done to ${shortTime(e.state.watermark)}`;
        const bf = e.state.backfill;
        const backfill = bf ? ` · backfill ${Math.floor(((bf.next - bf.from) / (bf.to - bf.from)) * 100)}%` : '';
        if (failures > 0)
          return {
            fill: 'yellow',
            shape: 'ring',
            text: `retrying in ${Math.max(0, Math.ceil((retryAt - Date.now()) / 1000))} s (${brief(lastError)}) · ${done}`,
          };
        if (last?.waitingForUpstream)
          return { fill: 'yellow', shape: 'ring', text: 'waiting for the finer tier (wire its output to this node)' };
        if (last?.sourceMissing)
          return { fill: 'yellow', shape: 'dot', text: `no source table ${spec!.source.table} yet · ${done}` };
        const spooled = writer.spooledLines > 0 ? ` · ${compactCount(writer.spooledLines)} spooled` : '';
        return {
          fill: running || backlog > 0 ? 'blue' : 'green',
          shape: 'dot',
          text: `${done}${backlog > 0 ? ` · backlog ${compactCount(backlog)}` : ''}${backfill}${spooled}`,
        };
      });
    }

    /** The time a run is made at: the system's, or the last msg.now with the manual clock. */
    function clockNow(): number | undefined {
      return c.clock === 'manual' ? manualNow : Date.now();
    }

    function trigger(request: Request) {
      if (closing) return request.done?.();
      waiting.push(request);
      if (!running) run = runNow();
    }

    /** Runs for every request waiting; on a failure, again after a backoff (the watermark stays). */
    async function runNow(): Promise<void> {
      if (!engine || closing) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      running = true;
      const requests = waiting;
      waiting = [];
      const now = clockNow();
      showStatus();
      let retryIn: number | undefined;
      try {
        if (now === undefined) throw new TierRequestError('the clock is manual: send msg.now (a time) to run');
        if (!targetReady) await prepareTarget();
        const report = await engine.run(now);
        last = report;
        failures = 0;
        lastError = '';
        noteAllWritten();
        for (const r of requests) r.done?.();
        node.send(outputMessage(report, now));
      } catch (e) {
        const err = describeFailure(e);
        for (const r of requests) r.done?.(err);
        if (!closing && requests.every((r) => !r.done)) node.error(err.message, { payload: { error: err.message } });
        if (!(e instanceof TierRequestError)) {
          failures++;
          lastError = errorMessage(e);
          retryIn = retryDelayMs(failures, RETRY_FIRST_MS, RETRY_MAX_MS);
          retryAt = Date.now() + retryIn;
        }
      }
      running = false;
      if (closing) return;
      if (waiting.length > 0 && retryIn === undefined) {
        run = runNow();
        return;
      }
      schedule(retryIn);
      showStatus();
    }

    /** The next run: a retry after a failure; with the system clock, when the next bucket closes. */
    function schedule(delayMs?: number) {
      if (!engine) return;
      if (delayMs === undefined) {
        if (c.clock !== 'system') return;
        const b = engine.spec.bucketMs;
        const now = Date.now();
        delayMs = Math.floor((now - graceMs) / b) * b + b + graceMs - now + 50;
      }
      // setTimeout takes at most 2^31 - 1 ms (24.8 days): a longer wait ends in a run that finds
      // nothing closed and waits again.
      timer = setTimeout(
        () => {
          timer = undefined;
          trigger({});
        },
        Math.min(delayMs, 2 ** 31 - 1),
      );
    }

    async function prepareTarget() {
      if (retention) await createDatabase(node, 'influxdb3-downsample', http!, spec!.target.database, retention);
      targetReady = true;
    }

    function describeFailure(e: unknown): Error {
      if (e instanceof TierRunError && e.sql) return new Error(`influxdb3-downsample: ${e.message}\nSQL:\n${e.sql}`);
      return new Error(`influxdb3-downsample: ${errorMessage(e)}`);
    }

    function outputMessage(report: RunReport, now: number): NodeMessage {
      const e = engine!;
      const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
      const out: NodeMessage & Record<string, unknown> = {
        topic: 'downsampled',
        payload: report,
        tier: {
          database: e.spec.target.database,
          table: e.spec.target.table,
          bucketSeconds: e.spec.bucketMs / 1000,
          watermark: iso(e.state.watermark),
          completeThrough: iso(e.state.writtenThrough),
        },
      };
      if (c.clock === 'manual') out.now = new Date(now).toISOString();
      // A finished backfill goes on to a coarser tier wired after this one, which then recomputes
      // the same span from these points.
      if (report.backfill?.done) out.backfill = { from: report.backfill.from, to: report.backfill.to };
      return out;
    }

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      if (setupError || !engine) return done(new Error(setupError || 'influxdb3-downsample: not set up'));
      const m = msg as NodeMessageInFlow & { now?: unknown; backfill?: unknown; tier?: unknown };
      try {
        if (m.now !== undefined) {
          if (c.clock !== 'manual')
            throw new Error('msg.now sets the time of a run only when the Clock is "manual" (set in the node)');
          const t = instant(m.now, 'msg.now');
          if (manualNow !== undefined && t < manualNow)
            throw new Error(
              `msg.now (${new Date(t).toISOString()}) is before the last one (${new Date(manualNow).toISOString()}): a clock does not go back`,
            );
          manualNow = t;
        }
        const tier = m.tier as { completeThrough?: unknown; database?: unknown; table?: unknown } | undefined;
        let fromFinerTier = false;
        if (tier && typeof tier === 'object' && engine.spec.source.kind === 'tier') {
          if (tier.database === engine.spec.source.database && tier.table === engine.spec.source.table) {
            fromFinerTier = true;
            if (tier.completeThrough !== null && tier.completeThrough !== undefined)
              engine.upstreamComplete(instant(tier.completeThrough, 'msg.tier.completeThrough'));
          } else
            node.warn(
              `influxdb3-downsample: the tier wired in front writes ${String(tier.database)}/${String(tier.table)}, but this node reads ${engine.spec.source.database}/${engine.spec.source.table}: its progress is not used`,
            );
        }
        if (m.backfill !== undefined) {
          const b: unknown = m.backfill;
          if (!b || typeof b !== 'object')
            throw new Error('msg.backfill must be {from, to}: times as epoch ms or ISO 8601 text');
          const { from, to } = b as { from?: unknown; to?: unknown };
          try {
            engine.requestBackfill(from, to, clockNow() ?? Date.now());
          } catch (e) {
            // The finer tier's backfill is passed on as it finishes: one this tier cannot take now
            // (no closed hour in it, its own backfill still running) is not the sender's mistake.
            if (!fromFinerTier || !(e instanceof TierRequestError)) throw e;
            node.warn(`influxdb3-downsample: the finer tier's backfill is not taken: ${errorMessage(e)}`);
          }
        }
      } catch (e) {
        return done(new Error(`influxdb3-downsample: ${errorMessage(e)}`));
      }
      ready.then(
        () => trigger({ msg, send, done }),
        (e) => done(new Error(`influxdb3-downsample: the disk spool could not be opened: ${errorMessage(e)}`)),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      if (timer) clearTimeout(timer);
      // The run under way starts no further chunk and saves no more state; what it wrote is kept
      // by the writer below, and anything not recorded is computed again after the restart.
      engine?.stop();
      const finish = () => {
        if (http) config?.releaseHttp();
        done();
      };
      const runEnded = Promise.race([run.catch(() => undefined), new Promise((r) => setTimeout(r, RUN_WAIT_MS))]);
      Promise.all([ready, runEnded])
        .then(() => writer?.stop(CLOSE_WAIT_MS))
        .then(finish, (e) => {
          node.error(`influxdb3-downsample: while stopping: ${errorMessage(e)}`);
          finish();
        });
    });
  }

  function shortTime(t: number): string {
    return new Date(t)
      .toISOString()
      .replace('T', ' ')
      .replace(/:00\.000Z$/, '')
      .replace(/\.000Z$/, '');
  }

  function brief(reason: string): string {
    const b = reason.replace(/^the query of \S+ to \S+ failed: /, '');
    return shownText(b, 60);
  }

  RED.nodes.registerType('influxdb3-downsample', InfluxDB3Downsample);
};
