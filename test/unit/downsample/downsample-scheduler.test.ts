// When a tier runs, on a fake clock and a fake server and writer: with the system clock at start
// and as each bucket closes; a failed run again after a doubling delay, the watermark kept; every
// message waiting answered by one run; nothing started or sent once closed, a hung run waited for
// only so long; refused points failing their run; the coarser tier told only what is written.
import should from 'should';
import type { Owner, RejectedSummary, WriterEvents, WriterState } from '../../../nodes/lib/influxdb3/durable-writer';
import {
  DownsampleHost,
  DownsampleMessage,
  DownsampleScheduleSettings,
  DownsampleScheduler,
  TierWriter,
} from '../../../nodes/lib/downsample/downsample-scheduler';
import { tierSpec } from '../../../nodes/lib/downsample/tier-spec';
import { MemoryStateStore } from '../../../nodes/lib/downsample/tier-state';
import { referenceSchema } from '../../../nodes/lib/schema/reference-schema';
import { FakeTime, settled } from '../../support/fake-time';

const MIN = 60_000;
const DAY = 1440 * MIN;
/** 10:02: the 5-minute buckets up to 10:00 are closed (60 s grace), the next closes at 10:06. */
const T0 = Date.UTC(2026, 10, 22, 10, 2);
const at = (hh: number, mm: number) => Date.UTC(2026, 10, 22, hh, mm);
const iso = (t: number) => new Date(t).toISOString();

const OPTIONS = {
  graceMs: MIN,
  recountBuckets: 2,
  maxBucketsPerQuery: 1,
  maxRowsPerQuery: 500_000,
  maxBackfillBuckets: 100,
};

function spec(over: Partial<Parameters<typeof tierSpec>[0]> = {}) {
  return tierSpec(
    {
      sourceDatabase: 'raw',
      sourceTable: 'm',
      sourceKind: 'raw',
      targetDatabase: 'five',
      targetTable: 'm5',
      bucketSeconds: 300,
      tags: 'device',
      fields: [{ field: 'v', aggregates: 'mean count' }],
      ...over,
    },
    referenceSchema(),
  );
}

/** Answers every query with one row at the window's start (so a chunk is one point and a recount
 *  finds nothing changed); can hold queries back or fail them. */
class FakeServer {
  queries = 0;
  failNext = 0;
  rows = true;
  hold?: Promise<void>;
  async querySql(
    _db: string,
    _sql: string,
    params: Record<string, unknown>,
    onRow: (row: Record<string, unknown>) => void,
  ) {
    this.queries++;
    if (this.hold) await this.hold;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('the server answered 503');
    }
    if (this.rows) onRow({ _bucket: params.start, _rows: 1, _t0: 'A', _f0_mean: 1, _f0_count: 1 });
  }
}

/** Keeps every write at once, unless told to refuse its lines first. */
class FakeWriter implements TierWriter {
  state: WriterState = 'idle';
  spooledLines = 0;
  accepted: string[] = [];
  refuseNext = 0;
  stoppedWithin?: number;
  constructor(readonly events: WriterEvents) {}
  accept(database: string, _precision: 's', text: string, _lines: number, owner: Owner): void {
    owner.hold();
    this.accepted.push(text);
    queueMicrotask(() => {
      if (this.refuseNext > 0) {
        this.refuseNext--;
        const r: RejectedSummary = {
          database,
          lines: [{ line: text.split('\n')[0], message: 'bad field' }],
          reason: '',
        };
        this.events.rejected(r);
      }
      owner.release();
    });
  }
  stop(timeoutMs: number): Promise<void> {
    this.stoppedWithin = timeoutMs;
    return Promise.resolve();
  }
}

class Host implements DownsampleHost {
  sent: DownsampleMessage[] = [];
  errors: string[] = [];
  warnings: string[] = [];
  databases: string[] = [];
  createFails = 0;
  send(msg: DownsampleMessage) {
    this.sent.push(msg);
  }
  error(message: string, msg: { payload: { error: string } }) {
    should(msg.payload.error).equal(message);
    this.errors.push(message);
  }
  warn(message: string) {
    this.warnings.push(message);
  }
  log() {}
  statusChanged() {}
  createDatabase(database: string, retention: string) {
    this.databases.push(`${database} ${retention}`);
    return this.createFails-- > 0 ? Promise.reject(new Error('unreachable')) : Promise.resolve();
  }
}

function tier(over: Partial<DownsampleScheduleSettings> = {}, start = T0) {
  const time = new FakeTime(start);
  const server = new FakeServer();
  const store = new MemoryStateStore();
  const host = new Host();
  const settings = { spec: spec(), options: OPTIONS, store, http: server, retention: '', clock: 'system', ...over };
  const scheduler = new DownsampleScheduler(settings as DownsampleScheduleSettings, host, time);
  const writer = new FakeWriter(scheduler.writerEvents());
  /** Hands the writer over (the spool is open) and lets what that starts settle. */
  const open = async () => {
    await scheduler.start(Promise.resolve(writer));
    await settled();
  };
  /** What each message's done was called with, in order. */
  const answers: string[] = [];
  const send = (msg: object, name: string) =>
    scheduler.input(msg, (err) => answers.push(err ? `${name}: ${err.message}` : `${name}: done`));
  return { time, server, store, host, scheduler, writer, open, answers, send };
}

describe('downsample scheduler', () => {
  it('with the system clock runs at start, then as each bucket closes after the grace', async () => {
    const t = tier();
    should(t.scheduler.status().text).equal('starting');
    await t.open();
    should(t.host.sent).have.length(1);
    should(t.host.sent[0].payload.window).eql({ start: iso(at(9, 50)), end: iso(at(10, 0)) });
    should(t.time.waits).eql([4 * MIN + 50], 'at 10:06:00.050, when 10:00-10:05 has closed');

    await t.time.advanceSettling(4 * MIN + 49);
    should(t.host.sent).have.length(1);
    await t.time.advanceSettling(1);
    should(t.host.sent).have.length(2);
    const m = t.host.sent[1];
    should(m.payload.window).eql({ start: iso(at(10, 0)), end: iso(at(10, 5)) });
    should(m).match({
      topic: 'downsampled',
      tier: { database: 'five', table: 'm5', bucketSeconds: 300, watermark: iso(at(10, 5)) },
    });
    should(m.tier.completeThrough).equal(iso(at(10, 5)), 'the writer had written everything');
    should(m).not.have.property('now');
    should(t.time.waits).eql([5 * MIN], 'one timer: the next bucket');
    should(t.scheduler.status()).eql({ fill: 'green', shape: 'dot', text: 'done to 2026-11-22 10:05' });
  });

  it('waits at most the longest setTimeout for a bucket that closes months ahead', async () => {
    const b = 100 * DAY;
    const t = tier({ spec: spec({ bucketSeconds: b / 1000 }) }, Math.floor(T0 / b) * b + 2 * MIN);
    await t.open();
    should(t.time.waits).eql([2 ** 31 - 1]);
    await t.time.advanceSettling(2 ** 31 - 1);
    should(t.host.sent).have.length(2, 'a run that found nothing closed');
    should(t.host.sent[1].payload.buckets).equal(0);
  });

  it('runs a failed run again after 1, 2, 4 ... 60 s while the watermark stays, then waits for the next bucket', async () => {
    const t = tier();
    await t.open();
    t.server.failNext = 8;
    await t.time.advanceSettling(4 * MIN + 50);
    should(t.host.errors).have.length(1);
    should(t.host.errors[0]).match(
      /^influxdb3-downsample: the query of 2026-11-22T10:00:00.000Z to 2026-11-22T10:05:00.000Z failed: the server answered 503\nSQL:\nSELECT /,
    );
    should(t.scheduler.status()).eql({
      fill: 'yellow',
      shape: 'ring',
      text: 'retrying in 1 s (the server answered 503) · done to 2026-11-22 10:00',
    });
    const delays = [t.time.waits];
    for (let i = 0; i < 7; i++) {
      await t.time.advanceSettling(t.time.waits[0]);
      delays.push(t.time.waits);
    }
    should(delays).eql([[1000], [2000], [4000], [8000], [16_000], [32_000], [60_000], [60_000]]);
    should(t.host.errors).have.length(8);
    should(t.host.sent).have.length(1);
    should(t.store.state?.watermark).equal(at(10, 0));

    await t.time.advanceSettling(60_000);
    should(t.host.sent).have.length(2);
    should(t.host.sent[1].payload.window).eql({ start: iso(at(10, 0)), end: iso(at(10, 5)) });
    should(t.store.state?.watermark).equal(at(10, 5));
    // 10:06:00.050 + 183 s of retries: the next bucket closes at 10:11:00.050.
    should(t.time.waits).eql([5 * MIN - 183_000]);
    await t.time.advanceSettling(t.time.waits[0]);
    should(t.host.sent).have.length(3);
    should(t.time.waits).eql([5 * MIN], 'the delay starts again from 1 s after a success');
  });

  it('answers every message that came during a run with one run after it, at the latest msg.now', async () => {
    const t = tier({ clock: 'manual' });
    await t.open();
    should(t.host.sent).have.length(0);
    let release = () => {};
    t.server.hold = new Promise<void>((r) => (release = r));
    t.send({ now: at(10, 2) }, 'a');
    await settled();
    t.send({ now: at(10, 12) }, 'b');
    t.send({ now: at(10, 22) }, 'c');
    await settled();
    should(t.answers).eql([]);
    t.server.hold = undefined;
    release();
    await t.time.advanceSettling(0);
    should(t.answers).eql(['a: done', 'b: done', 'c: done']);
    should(t.host.sent.map((m) => m.now)).eql([iso(at(10, 2)), iso(at(10, 22))]);
    should(t.host.sent[1].payload.window).eql({ start: iso(at(10, 0)), end: iso(at(10, 20)) });
    should(t.time.waits).eql([], 'the manual clock runs only on messages');
  });

  it('refuses a message it cannot take, and does not retry a run the request made impossible', async () => {
    const t = tier({ clock: 'manual' });
    await t.open();
    t.send({}, 'no time yet');
    await settled();
    t.send({ now: at(10, 2) }, 'a time');
    t.send({ now: at(10, 1) }, 'going back');
    t.send({ backfill: 'yesterday' }, 'a word');
    await t.time.advanceSettling(0);
    should(t.answers).eql([
      'no time yet: influxdb3-downsample: the clock is manual: send msg.now (a time) to run',
      'going back: influxdb3-downsample: msg.now (2026-11-22T10:01:00.000Z) is before the last one (2026-11-22T10:02:00.000Z): a clock does not go back',
      'a word: influxdb3-downsample: msg.backfill must be {from, to}: times as epoch ms or ISO 8601 text',
      'a time: done',
    ]);
    should(t.host.errors).eql([], 'each failure went to its message');
    should(t.time.waits).eql([]);

    const s = tier();
    await s.open();
    s.send({ now: at(10, 2) }, 'system');
    should(s.answers).eql([
      'system: influxdb3-downsample: msg.now sets the time of a run only when the Clock is "manual" (set in the node)',
    ]);
  });

  it('takes the progress of the finer tier it reads, and passes over a backfill from it that it cannot take', async () => {
    const t = tier({
      clock: 'manual',
      spec: spec({
        sourceKind: 'tier',
        sourceDatabase: 'five',
        sourceTable: 'm5',
        targetDatabase: 'hour',
        targetTable: 'm1h',
        bucketSeconds: 3600,
      }),
    });
    t.server.rows = false;
    await t.open();
    t.send({ now: at(10, 2) }, 'alone');
    await t.time.advanceSettling(0);
    should(t.host.sent[0].payload.waitingForUpstream).be.true();
    should(t.scheduler.status().text).equal('waiting for the finer tier (wire its output to this node)');

    t.send({ tier: { database: 'elsewhere', table: 'x', completeThrough: iso(at(10, 0)) } }, 'another tier');
    const backfill = { from: at(10, 30), to: at(10, 40) };
    t.send({ tier: { database: 'five', table: 'm5', completeThrough: iso(at(10, 0)) }, backfill }, 'the finer tier');
    t.send({ backfill }, 'a person');
    await t.time.advanceSettling(0);
    should(t.host.warnings).eql([
      'influxdb3-downsample: the tier wired in front writes elsewhere/x, but this node reads five/m5: its progress is not used',
      "influxdb3-downsample: the finer tier's backfill is not taken: no closed bucket between 2026-11-22T10:30:00.000Z and 2026-11-22T10:40:00.000Z: buckets close 60 s after their end and when the finer tier is written",
    ]);
    should(t.answers[1]).match(/^a person: influxdb3-downsample: no closed bucket between/);
    should(t.answers.filter((_, i) => i !== 1)).eql(['alone: done', 'another tier: done', 'the finer tier: done']);
    should(t.store.state?.upstreamThrough).equal(at(10, 0));
    should(t.host.sent[t.host.sent.length - 1].payload.waitingForUpstream).be.false();
  });

  it('fails a run whose points the server refused, says why, and computes them again', async () => {
    const t = tier();
    t.writer.refuseNext = 1;
    await t.open();
    should(t.host.warnings).eql([
      `influxdb3-downsample: InfluxDB 3 refused 1 point(s) of the tier: bad field (${t.writer.accepted[0]})`,
    ]);
    should(t.writer.accepted[0]).endWith(` ${at(9, 50) / 1000}`);
    should(t.host.errors[0]).match(
      /the points of 2026-11-22T09:50:00.000Z to .* were not kept: InfluxDB 3 refused 1 point/,
    );
    should(t.host.sent).have.length(0);
    should(t.store.state?.watermark).equal(at(9, 50));
    should(t.time.waits).eql([1000]);
    await t.time.advanceSettling(1000);
    should(t.host.sent).have.length(1);
    should(t.host.sent[0].payload.window).eql({ start: iso(at(9, 50)), end: iso(at(10, 0)) });
  });

  it('tells the coarser tier how far it is written only once nothing is left spooled', async () => {
    const t = tier();
    t.writer.state = 'retrying';
    t.writer.spooledLines = 3;
    await t.open();
    should(t.host.sent[0].tier).match({ watermark: iso(at(10, 0)), completeThrough: null });
    should(t.scheduler.status().text).equal('done to 2026-11-22 10:00 · 3 spooled');
    t.writer.state = 'idle';
    t.writer.events.changed();
    should(t.store.state?.writtenThrough).equal(undefined, 'idle, but the spool still holds points');
    t.writer.state = 'writing';
    t.writer.spooledLines = 0;
    t.writer.events.changed();
    should(t.store.state?.writtenThrough).equal(undefined, 'points still in flight');
    t.writer.state = 'idle';
    t.writer.events.changed();
    should(t.store.state?.writtenThrough).equal(at(10, 0));
    await t.time.advanceSettling(4 * MIN + 50);
    should(t.host.sent[1].tier.completeThrough).equal(iso(at(10, 5)));
  });

  it('creates the target database before the first run, again after that failed, and not after', async () => {
    const t = tier({ retention: '30d' });
    t.host.createFails = 1;
    await t.open();
    should(t.host.errors).eql(['influxdb3-downsample: unreachable']);
    should(t.time.waits).eql([1000]);
    await t.time.advanceSettling(1000);
    should(t.host.sent).have.length(1);
    await t.time.advanceSettling(5 * MIN);
    should(t.host.sent).have.length(2);
    should(t.host.databases).eql(['five 30d', 'five 30d']);
  });

  it('on close starts nothing more, sends nothing, and stops the writer after the run under way', async () => {
    const t = tier();
    await t.open();
    should(t.time.waits).eql([4 * MIN + 50]);
    const queries = t.server.queries;
    await t.scheduler.close();
    should(t.writer.stoppedWithin).equal(8000);
    t.send({}, 'late');
    await t.time.advanceSettling(DAY);
    should(t.answers).eql(['late: done'], 'answered, not run');
    should(t.server.queries).equal(queries);
    should(t.host.sent).have.length(1);
  });

  it('stops a run under way at its next chunk, without a message, an error or a retry', async () => {
    const t = tier();
    let release = () => {};
    t.server.hold = new Promise<void>((r) => (release = r));
    await t.open();
    const closed = t.scheduler.close();
    t.server.hold = undefined;
    release();
    await closed;
    should(t.writer.accepted).eql([], 'no write accepted once closing');
    should(t.writer.stoppedWithin).equal(8000);
    await t.time.advanceSettling(DAY);
    should(t.host.sent).eql([]);
    should(t.host.errors).eql([]);
    should(t.server.queries).equal(1);
  });

  it('waits at most 4 s on close for a run that hangs', async () => {
    const t = tier();
    t.server.hold = new Promise<void>(() => {});
    await t.open();
    let closed = false;
    void t.scheduler.close().then(() => (closed = true));
    await t.time.advanceSettling(3999);
    should(closed).be.false();
    should(t.writer.stoppedWithin).be.undefined();
    await t.time.advanceSettling(1);
    should(closed).be.true();
    should(t.writer.stoppedWithin).equal(8000);
  });
});
