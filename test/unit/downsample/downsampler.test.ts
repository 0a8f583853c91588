// A tier against the test server, on irregular readings with missing values, an integer and a
// boolean field: every aggregate equals the one worked out here from the readings; a tier chained
// from a finer one equals the same tier computed from raw; buckets are aligned and closed; a chunk
// bound, a restart, late readings and backfills behave as the node's help says.
import should from 'should';
import { Downsampler, DownsamplerOptions, TierRequestError } from '../../../nodes/lib/downsample/downsampler';
import { TierSpec, tierSpec } from '../../../nodes/lib/downsample/tier-spec';
import { MemoryStateStore } from '../../../nodes/lib/downsample/tier-state';
import type { InfluxDB3Http } from '../../../nodes/lib/influxdb3/influxdb3-http';
import { escapeKeyOrTagValue, escapeMeasurement } from '../../../nodes/lib/line-protocol/lp-escape';
import { referenceSchema } from '../../../nodes/lib/schema/reference-schema';
import { InfluxDB3Server, startInfluxDB3 } from '../../support/influxdb3/server';
import {
  ExpectedTier,
  aggregatesOf,
  directIO,
  relativeError,
  httpFor,
  rowsOf,
  shouldMatch,
  tierRows as storedTier,
  writeLines,
} from '../../support/tier-fixtures';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
const OPTIONS: DownsamplerOptions = {
  graceMs: MIN,
  recountBuckets: 12,
  maxBucketsPerQuery: 288,
  maxRowsPerQuery: 500_000,
  maxBackfillBuckets: 10_000,
};
const FIELDS = [
  { field: 'temp', aggregates: 'mean min max sum count first last stddev' },
  { field: 'level', aggregates: 'mean min max stddev' },
  { field: 'open', aggregates: 'mean sum' },
];

interface Reading {
  time: number;
  device: string;
  site: string;
  temp?: number;
  level?: number;
  open?: boolean;
}

/** Three devices for three hours, at irregular times, some values missing. */
function readings(): Reading[] {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: Reading[] = [];
  for (const [device, site, step] of [
    ['A', 'north', 7_000],
    ['B', 'south', 13_000],
    ['C', 'north', 41_000],
  ] as const) {
    for (let t = T0 + Math.floor(rnd() * step); t < T0 + 3 * HOUR; t += step + Math.floor(rnd() * 3000)) {
      const r: Reading = { time: t, device, site };
      if (rnd() > 0.1) r.temp = Math.round((20 + rnd() * 10) * 1000) / 1000;
      if (rnd() > 0.2) r.level = Math.floor(rnd() * 100);
      if (rnd() > 0.3) r.open = rnd() > 0.5;
      if (r.temp !== undefined || r.level !== undefined || r.open !== undefined) out.push(r);
    }
  }
  return out;
}

function lineOf(r: Reading, table = 'm'): string {
  const fields = [
    r.temp !== undefined ? `temp=${r.temp}` : '',
    r.level !== undefined ? `level=${r.level}i` : '',
    r.open !== undefined ? `open=${r.open}` : '',
  ].filter(Boolean);
  return `${table},device=${r.device},site=${r.site} ${fields.join(',')} ${r.time}`;
}

function spec(over: Partial<Parameters<typeof tierSpec>[0]> = {}): TierSpec {
  return tierSpec(
    {
      sourceDatabase: 'raw',
      sourceTable: 'm',
      sourceKind: 'raw',
      targetDatabase: 'five',
      targetTable: 'm5',
      bucketSeconds: 300,
      tags: 'device, site',
      fields: FIELDS,
      ...over,
    },
    referenceSchema(),
  );
}

/** Expected rows of a tier of `bucketMs`, from the readings, keyed by time|device. */
function expected(rs: Reading[], bucketMs: number) {
  const tier = new ExpectedTier(bucketMs, [
    { field: 'temp', aggregates: ['mean', 'min', 'max', 'sum', 'first', 'last', 'stddev'] },
    { field: 'level', aggregates: ['mean', 'min', 'max', 'stddev'] },
    { field: 'open', aggregates: ['mean', 'sum'] },
  ]);
  for (const r of [...rs].sort((x, y) => x.time - y.time))
    tier.add(r.time, r.device, { temp: r.temp, level: r.level, open: r.open });
  return tier.rows();
}

const tierRows = (http: InfluxDB3Http, db: string, table: string) => storedTier(http, db, table, 'device');

describe('downsampler (a tier against the test server)', function () {
  this.timeout(60_000);
  let server: InfluxDB3Server;
  let http: InfluxDB3Http;
  const data = readings();

  beforeEach(async () => {
    server = await startInfluxDB3({ walFlushMs: 0 });
    http = httpFor(server.url);
    await writeLines(http, 'raw', data.map((r) => lineOf(r)).join('\n'), 'ms');
  });
  afterEach(async () => {
    http.close();
    await server.stop();
  });

  it('computes every closed bucket exactly, and a chained hourly tier equals the hourly tier from raw', async () => {
    const five = new Downsampler(spec(), directIO(http), OPTIONS, new MemoryStateStore());
    five.state.watermark = T0;
    const report = await five.run(T0 + 3 * HOUR + MIN + 1);
    should(report.buckets).equal(36);
    should(report.pointsWritten).equal(expected(data, 5 * MIN).size);
    should(shouldMatch(await tierRows(http, 'five', 'm5'), expected(data, 5 * MIN))).above(500);

    const hourFromFive = new Downsampler(
      spec({
        sourceDatabase: 'five',
        sourceTable: 'm5',
        sourceKind: 'tier',
        targetDatabase: 'hour',
        targetTable: 'm60',
        bucketSeconds: 3600,
      }),
      directIO(http),
      OPTIONS,
      new MemoryStateStore(),
    );
    hourFromFive.state.watermark = T0;
    should(await hourFromFive.run(T0 + 3 * HOUR + MIN + 1)).match({ waitingForUpstream: true, buckets: 0 });
    // The 5-minute tier reports how far it is written (msg.tier.completeThrough): 2 h 55 min.
    hourFromFive.upstreamComplete(T0 + 2 * HOUR + 55 * MIN);
    should(await hourFromFive.run(T0 + 3 * HOUR + MIN + 1)).match({ buckets: 2 }, 'only hours written below');
    hourFromFive.upstreamComplete(T0 + 3 * HOUR);
    await hourFromFive.run(T0 + 3 * HOUR + MIN + 1);
    const hourFromRaw = new Downsampler(
      spec({ targetDatabase: 'hour', targetTable: 'm60raw', bucketSeconds: 3600 }),
      directIO(http),
      OPTIONS,
      new MemoryStateStore(),
    );
    hourFromRaw.state.watermark = T0;
    await hourFromRaw.run(T0 + 3 * HOUR + MIN + 1);
    const want = expected(data, HOUR);
    should(want.size).equal(9);
    shouldMatch(await tierRows(http, 'hour', 'm60'), want);
    shouldMatch(await tierRows(http, 'hour', 'm60raw'), want);
  });

  it('aggregates only closed buckets, after the grace, in chunks no larger than the bound', async () => {
    const io = directIO(http);
    const tier = new Downsampler(spec(), io, { ...OPTIONS, maxBucketsPerQuery: 5 }, new MemoryStateStore());
    tier.state.watermark = T0;
    // 10:07:30 + 59 s of grace: the bucket ending at +10 min is still open.
    should((await tier.run(T0 + 10 * MIN + 59_000)).buckets).equal(1);
    should(tier.state.watermark).equal(T0 + 5 * MIN);
    await tier.run(T0 + 10 * MIN + 60_000);
    should(tier.state.watermark).equal(T0 + 10 * MIN);
    const r = await tier.run(T0 + 2 * HOUR + MIN);
    should(r.buckets).equal(22);
    should(r.queries).belowOrEqual(Math.ceil(22 / 5) + 2, 'chunks of at most 5 buckets, plus the recount');
    should(tier.state.watermark).equal(T0 + 2 * HOUR);
    const stored = await tierRows(http, 'five', 'm5');
    should(Math.max(...[...stored.keys()].map((k) => Number(k.split('|')[0])))).equal(T0 + 2 * HOUR - 5 * MIN);
  });

  it('stops at the last chunk whose points were kept when a write fails, while the next query runs', async () => {
    const io = directIO(http);
    let writes = 0;
    const failing = {
      query: (...args: Parameters<typeof io.query>) => io.query(...args),
      write: async (db: string, text: string, count: number) => {
        if (++writes === 3) throw new Error('the disk spool is full');
        await io.write(db, text, count);
      },
    };
    const store = new MemoryStateStore();
    const tier = new Downsampler(spec(), failing, { ...OPTIONS, maxBucketsPerQuery: 4 }, store);
    tier.state.watermark = T0;
    await should(tier.run(T0 + 3 * HOUR + MIN)).be.rejectedWith(
      /the points of .* were not kept: the disk spool is full/,
    );
    should(store.state!.watermark).equal(T0 + 2 * 4 * 5 * MIN, 'two chunks of 4 buckets kept');
    const again = await new Downsampler(spec(), directIO(http), OPTIONS, store).run(T0 + 3 * HOUR + MIN);
    should(again.buckets).equal(36 - 8);
    shouldMatch(await tierRows(http, 'five', 'm5'), expected(data, 5 * MIN));
  });

  it('continues from a saved watermark (a restart) without a bucket missing or doubled', async () => {
    const store = new MemoryStateStore();
    const first = new Downsampler(spec(), directIO(http), OPTIONS, store);
    first.state.watermark = T0;
    await first.run(T0 + HOUR + MIN);
    const second = new Downsampler(spec(), directIO(http), OPTIONS, store);
    should(second.state.watermark).equal(T0 + HOUR);
    await second.run(T0 + 3 * HOUR + MIN);
    shouldMatch(await tierRows(http, 'five', 'm5'), expected(data, 5 * MIN));
  });

  it('recounts recent buckets: late readings change exactly their buckets, later ones wait for a backfill', async () => {
    const tier = new Downsampler(spec(), directIO(http), OPTIONS, new MemoryStateStore());
    tier.state.watermark = T0;
    await tier.run(T0 + 3 * HOUR + MIN);
    const before = await tierRows(http, 'five', 'm5');
    // Late readings: one inside the recount horizon (the last hour), one before it.
    const inside: Reading = { time: T0 + 2 * HOUR + 31 * MIN + 1234, device: 'B', site: 'south', temp: 99.5 };
    const outside: Reading = { time: T0 + 30 * MIN + 17, device: 'A', site: 'north', temp: -40 };
    await writeLines(http, 'raw', [lineOf(inside), lineOf(outside)].join('\n'), 'ms');
    const r = await tier.run(T0 + 3 * HOUR + 5 * MIN + MIN);
    should(r.recountedBuckets).equal(11);
    should(r.recomputedBuckets).equal(1);
    const after = await tierRows(http, 'five', 'm5');
    const changed = [...after.keys()].filter((k) => JSON.stringify(after.get(k)) !== JSON.stringify(before.get(k)));
    should(changed).eql([`${T0 + 2 * HOUR + 30 * MIN}|B`]);
    should(after.get(`${T0 + 30 * MIN}|A`)).eql(before.get(`${T0 + 30 * MIN}|A`), 'outside the horizon: not seen');

    tier.requestBackfill(new Date(T0).toISOString(), T0 + HOUR, T0 + 3 * HOUR + 6 * MIN);
    const bf = await tier.run(T0 + 3 * HOUR + 6 * MIN);
    should(bf.backfill).match({ done: true, from: new Date(T0).toISOString() });
    shouldMatch(await tierRows(http, 'five', 'm5'), expected([...data, inside, outside], 5 * MIN));
  });

  it('waits without an error while its source table does not exist yet, recounts included', async () => {
    const hourly = new Downsampler(
      spec({
        sourceDatabase: 'five',
        sourceTable: 'not_yet',
        sourceKind: 'tier',
        targetTable: 'h',
        bucketSeconds: 3600,
      }),
      directIO(http),
      { ...OPTIONS, recountBuckets: 1 },
      new MemoryStateStore(),
    );
    hourly.upstreamComplete(T0 + 2 * HOUR + MIN);
    const first = await hourly.run(T0 + 2 * HOUR + MIN);
    should(first).match({ buckets: 1, sourceMissing: true, pointsWritten: 0 });
    const second = await hourly.run(T0 + 2 * HOUR + 2 * MIN);
    should(second).match({ buckets: 0, recountedBuckets: 1, sourceMissing: true });
  });

  it('pools an hourly deviation from 5-minute buckets of one reading each, whose deviation column was never written', async () => {
    const values = Array.from({ length: 12 }, (_, i) => 20 + ((i * 7) % 5));
    await writeLines(
      http,
      'raw',
      values.map((v, i) => `one,device=S temp=${v} ${T0 + i * 5 * MIN + 1000}`).join('\n'),
      'ms',
    );
    const fields = [{ field: 'temp', aggregates: 'mean stddev' }];
    const five = new Downsampler(
      spec({ sourceTable: 'one', targetTable: 'one5', tags: 'device', fields }),
      directIO(http),
      OPTIONS,
      new MemoryStateStore(),
    );
    five.state.watermark = T0;
    await five.run(T0 + HOUR + MIN);
    const hour = new Downsampler(
      spec({
        sourceDatabase: 'five',
        sourceTable: 'one5',
        sourceKind: 'tier',
        targetDatabase: 'hour',
        targetTable: 'one60',
        tags: 'device',
        fields,
        bucketSeconds: 3600,
      }),
      directIO(http),
      OPTIONS,
      new MemoryStateStore(),
    );
    hour.state.watermark = T0;
    hour.upstreamComplete(T0 + HOUR);
    await hour.run(T0 + HOUR + MIN);
    const [row] = await rowsOf(http, 'hour', 'SELECT * FROM one60');
    const a = aggregatesOf(values);
    should(row.temp_count).equal(12);
    should(relativeError(row.temp_mean as number, a.mean)).belowOrEqual(1e-12);
    should(relativeError(row.temp_stddev as number, a.stddev!)).belowOrEqual(1e-12);
  });

  it('computes approximate percentiles from raw readings', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `pct,device=P v=${100 - i} ${T0 + i * 2000}`);
    await writeLines(http, 'raw', lines.join('\n'), 'ms');
    const tier = new Downsampler(
      spec({
        sourceTable: 'pct',
        targetTable: 'pct5',
        tags: 'device',
        fields: [{ field: 'v', aggregates: 'p50 p95 p99.9' }],
      }),
      directIO(http),
      OPTIONS,
      new MemoryStateStore(),
    );
    tier.state.watermark = T0;
    await tier.run(T0 + 5 * MIN + MIN);
    const [row] = await rowsOf(http, 'five', 'SELECT * FROM pct5');
    should(row.v_count).equal(100);
    should(row.v_p50).be.within(48, 53);
    should(row.v_p95).be.within(93, 97);
    should(row.v_p99_9).be.within(99, 100);
  });

  it('treats table, tag and field names with quotes, spaces, semicolons and SQL as names only', async () => {
    const table = `m"; DROP TABLE victim; --`;
    const tag = `dev ice' OR '1'='1`;
    const field = `t,e"m p);--`;
    const target = `out "x"; SELECT 1`;
    const lines = [`victim,k=v keep=1 ${T0}`];
    const values = [3.5, 4.25, 10, -1];
    values.forEach((v, i) =>
      lines.push(
        `${escapeMeasurement(table)},${escapeKeyOrTagValue(tag)}=${escapeKeyOrTagValue(`a"b;c`)} ${escapeKeyOrTagValue(field)}=${v} ${T0 + i * 1000}`,
      ),
    );
    await writeLines(http, 'raw', lines.join('\n'), 'ms');
    const hostile = new Downsampler(
      spec({ sourceTable: table, targetTable: target, tags: tag, fields: [{ field, aggregates: 'mean max count' }] }),
      directIO(http),
      OPTIONS,
      new MemoryStateStore(),
    );
    hostile.state.watermark = T0;
    const r = await hostile.run(T0 + 5 * MIN + MIN);
    should(r.pointsWritten).equal(1);
    const rows = await rowsOf(http, 'five', `SELECT * FROM "${target.replace(/"/g, '""')}"`);
    should(rows).have.length(1);
    should(rows[0]).match({
      [tag]: 'a"b;c',
      [`${field}_mean`]: 4.1875,
      [`${field}_max`]: 10,
      [`${field}_count`]: 4,
      sample_count: 4,
    });
    should(await rowsOf(http, 'raw', 'SELECT keep FROM victim')).eql([{ keep: 1 }]);
  });

  it('refuses an absurd backfill with a reason', () => {
    const tier = new Downsampler(
      spec(),
      directIO(http),
      { ...OPTIONS, maxBackfillBuckets: 100 },
      new MemoryStateStore(),
    );
    const now = T0 + 3 * HOUR;
    const refused = (from: unknown, to: unknown, why: RegExp) =>
      should(() => tier.requestBackfill(from, to, now))
        .throw(TierRequestError)
        .and.throw(why);
    refused('yesterday', T0, /msg.backfill.from must be a time/);
    refused(T0 + HOUR, T0, /must be before/);
    refused(T0 - 30 * HOUR, T0, /spans 360 buckets, more than the 100/);
    refused(now + HOUR, now + 2 * HOUR, /no closed bucket/);
    refused({ $gt: 1 }, T0, /must be a time/);
  });
});
