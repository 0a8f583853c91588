// influxdb3-downsample in the real Node-RED runtime against the project's InfluxDB 3 compatible
// server, on the manual clock: a simulated day of the reference fleet through a 5-minute tier and an
// hourly tier chained after it (and one from raw), with Node-RED stopped for two simulated hours;
// failing queries and writes; retention; and what it does with bad messages and settings.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Msg, catchNode, collect, completeNode, getNode, helper, onTab, until } from '../support/flow-helper';
import { eventually } from '../support/eventually';
import { FLEET_FIELD_SETTINGS, FleetDay } from '../support/fleet-day';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { httpFor, rowsOf, shouldMatch, tierRows, writeLines } from '../support/tier-fixtures';
import type { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';
import configNode = require('../../nodes/influxdb3-config/influxdb3-config');
import downsampleNode = require('../../nodes/influxdb3-downsample/influxdb3-downsample');
import writeNode = require('../../nodes/influxdb3-write/influxdb3-write');

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const nodes = [configNode, downsampleNode, writeNode, catchNode, completeNode];

describe('influxdb3-downsample node', function () {
  this.timeout(240_000);
  let server: InfluxDB3Server;
  let http: InfluxDB3Http;
  let userDir: string;
  beforeEach(async () => {
    server = await startInfluxDB3({ walFlushMs: 0 });
    http = httpFor(server.url);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'downsample-node-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    http.close();
    await server.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const tier = (over: object) => ({
    type: 'influxdb3-downsample',
    server: 'cfg',
    clock: 'manual',
    sourceDatabase: 'iot-sensors',
    sourceTable: 'iot_sensors',
    fields: FLEET_FIELD_SETTINGS,
    ...over,
  });

  const dayFlow = () =>
    onTab([
      { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'iot-sensors' },
      tier({
        id: 'ds5',
        targetDatabase: 'iot-sensors-5min',
        targetTable: 'iot_sensors_5min',
        wires: [['out5', 'ds60']],
      }),
      tier({
        id: 'ds60',
        sourceKind: 'tier',
        sourceDatabase: 'iot-sensors-5min',
        sourceTable: 'iot_sensors_5min',
        targetDatabase: 'iot-sensors-1hour',
        targetTable: 'iot_sensors_1hour',
        bucket: 1,
        bucketUnit: 'h',
        wires: [['out60']],
      }),
      tier({
        id: 'ds60raw',
        targetDatabase: 'iot-sensors-1hour',
        targetTable: 'from_raw',
        bucket: 1,
        bucketUnit: 'h',
        wires: [['out60raw']],
      }),
      { id: 'out5', type: 'helper' },
      { id: 'out60', type: 'helper' },
      { id: 'out60raw', type: 'helper' },
      { id: 'catch', type: 'catch', uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);

  async function loadDay() {
    await helper.load(nodes, dayFlow());
    return {
      out5: collect(getNode('out5')),
      out60: collect(getNode('out60')),
      out60raw: collect(getNode('out60raw')),
      caught: collect(getNode('caught')),
    };
  }

  it('downsamples a simulated day exactly, the hourly tier chained or from raw, caught up after 2 hours stopped', async () => {
    const start = Math.floor(Date.now() / DAY) * DAY - DAY;
    const day = new FleetDay(start);
    let flow = await loadDay();
    const reports: Msg[] = [];
    const tick = async (h: number) => {
      await day.writeUntil(http, 'iot-sensors', start + h * HOUR - 1);
      const [n5, n60, nraw] = [flow.out5.length, flow.out60.length, flow.out60raw.length];
      const now = start + h * HOUR + 61_000;
      getNode('ds5').receive({ now });
      getNode('ds60raw').receive({ now });
      await until([getNode('out5'), getNode('out60'), getNode('out60raw'), getNode('caught')], () => {
        if (flow.caught.length > 0) throw new Error(`a run failed: ${flow.caught[0].error.message}`);
        return flow.out5.length > n5 && flow.out60.length > n60 && flow.out60raw.length > nraw;
      });
      reports.push(flow.out5[flow.out5.length - 1]);
    };
    for (let h = 1; h <= 10; h++) await tick(h);
    // Node-RED stops; the fleet goes on for two hours; Node-RED starts again.
    await helper.unload();
    await day.writeUntil(http, 'iot-sensors', start + 12 * HOUR - 1);
    flow = await loadDay();
    for (let h = 12; h <= 24; h++) await tick(h);

    const afterRestart = reports[10].payload;
    should(afterRestart.buckets).equal(24, 'the two hours missed, caught up at once');
    should(afterRestart.window).eql({
      start: new Date(start + 10 * HOUR).toISOString(),
      end: new Date(start + 12 * HOUR).toISOString(),
    });
    should(reports[10].tier).match({ database: 'iot-sensors-5min', bucketSeconds: 300 });
    should(day.readings).equal(80 * 17_280, 'a day of 80 devices every 5 s');
    const five = await tierRows(http, 'iot-sensors-5min', 'iot_sensors_5min', 'device_id');
    should(five.size).equal(80 * 288);
    should(shouldMatch(five, day.fiveMinutes.rows())).above(80 * 288 * 5);
    const want = day.hours.rows();
    should(want.size).equal(80 * 24);
    shouldMatch(await tierRows(http, 'iot-sensors-1hour', 'iot_sensors_1hour', 'device_id'), want);
    shouldMatch(await tierRows(http, 'iot-sensors-1hour', 'from_raw', 'device_id'), want);
    const state = JSON.parse(fs.readFileSync(path.join(userDir, 'influxdb3-pipeline', 'downsample-ds5.json'), 'utf8'));
    should(state.state.watermark).equal(start + DAY);
  });

  const smallFlow = (over: object = {}) =>
    onTab([
      { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'raw' },
      tier({
        id: 'ds',
        sourceDatabase: 'raw',
        sourceTable: 'm',
        targetDatabase: 'five',
        targetTable: 'm5',
        tags: 'device',
        fields: [{ field: 'v', aggregates: ['mean', 'count'] }],
        wires: [['out']],
        ...over,
      }),
      { id: 'out', type: 'helper' },
      { id: 'complete', type: 'complete', scope: ['ds'], wires: [['completed']] },
      { id: 'completed', type: 'helper' },
      { id: 'catch', type: 'catch', scope: ['ds'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);

  async function loadSmall(over: object = {}) {
    await helper.load(nodes, smallFlow(over));
    const ds = getNode('ds');
    const statuses: { text?: string; fill?: string }[] = [];
    const original = ds.status.bind(ds);
    ds.status = (s: unknown) => {
      statuses.push(s as never);
      return original(s as never);
    };
    return {
      ds,
      out: collect(getNode('out')),
      completed: collect(getNode('completed')),
      caught: collect(getNode('caught')),
      statuses,
    };
  }

  const logged = (level: number) =>
    (helper.log().args as { level: number; msg: unknown }[][])
      .flat()
      .filter((e) => e?.level === level)
      .map((e) => String(e.msg));

  const T0 = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  /** One reading of v = i per device every 10 s for `hours` hours. */
  const rawLines = (hours: number) => {
    const lines: string[] = [];
    for (let t = T0; t < T0 + hours * HOUR; t += 10_000)
      for (const d of ['A', 'B']) lines.push(`m,device=${d} v=${(t - T0) / 10_000} ${t}`);
    return lines.join('\n');
  };

  it('retries failing queries and writes (503) until the window is done; the watermark never passes lost points', async () => {
    await writeLines(http, 'raw', rawLines(2), 'ms');
    const f = await loadSmall();
    const stateFile = path.join(userDir, 'influxdb3-pipeline', 'downsample-ds.json');
    f.ds.receive({ now: T0 + HOUR + MIN });
    await eventually(() => f.completed.length === 1);
    should(f.out[0].payload).match({ buckets: 12, pointsWritten: 24 }); // a first start takes the last hour

    // Queries fail 3 times: the run is retried with a backoff (1, 2, 4 s); the watermark stays.
    server.faults.failNextQueries(3);
    f.ds.receive({ now: T0 + 2 * HOUR + MIN, topic: 'after the outage' });
    await eventually(() => f.caught.length === 1);
    should(f.caught[0].error.message).match(/the server answered 503: query failed on purpose/);
    should(f.caught[0].error.message).match(/SQL:\nSELECT date_bin\(INTERVAL '300 seconds', time\)/);
    should(JSON.parse(fs.readFileSync(stateFile, 'utf8')).state.watermark).equal(T0 + HOUR);
    await eventually(() => f.statuses.some((s) => /^retrying in \d+ s \(the server answered 503/.test(s.text ?? '')));
    await eventually(() => f.out.length === 2, 'the retried run', 20_000);
    should(f.out[1].payload.buckets).equal(12);
    should(JSON.parse(fs.readFileSync(stateFile, 'utf8')).state.watermark).equal(T0 + 2 * HOUR);

    // Writes fail: the points go to the writer's spool (durable), then to the database.
    await writeLines(http, 'raw', rawLines(3), 'ms');
    server.faults.failNextWrites(4);
    f.ds.receive({ now: T0 + 3 * HOUR + MIN });
    await eventually(() => f.out.length === 3, 'the run whose writes fail', 20_000);
    should(f.out[2].tier.completeThrough).equal(new Date(T0 + 2 * HOUR).toISOString(), 'spooled, not yet written');
    await eventually(
      async () => (await rowsOf(http, 'five', 'SELECT count(*) AS n FROM m5'))[0]?.n === 2 * 36,
      'the spooled points written',
      20_000,
    );
    const rows = await rowsOf(http, 'five', 'SELECT * FROM m5 ORDER BY time, device');
    for (const r of rows) {
      const b = (Date.parse(`${String(r.time)}Z`) - T0) / 10_000;
      should(r).match({ v_count: 30, sample_count: 30, v_mean: b + 14.5 });
    }
  });

  it('stops a run under way within the close time and finishes it after the restart, each bucket once', async () => {
    await writeLines(http, 'raw', rawLines(4), 'ms');
    const f = await loadSmall({ bucketsPerQuery: 1, recountMinutes: 240 });
    server.faults.delayResponses(150);
    // The first run takes the recount horizon: 4 hours, 48 chunks of one bucket, each ~300 ms.
    f.ds.receive({ now: T0 + 4 * HOUR + MIN });
    await eventually(() => f.statuses.some((st) => /^done to /.test(st.text ?? '')), 'a few chunks done');
    const closing = Date.now();
    await helper.unload();
    should(Date.now() - closing).below(15_000, "within Node-RED's close time");
    server.faults.delayResponses(0);
    const stateFile = path.join(userDir, 'influxdb3-pipeline', 'downsample-ds.json');
    const stopped = JSON.parse(fs.readFileSync(stateFile, 'utf8')).state.watermark as number;
    should(stopped)
      .be.above(T0)
      .and.below(T0 + 4 * HOUR);
    const g = await loadSmall({ bucketsPerQuery: 1, recountMinutes: 240 });
    g.ds.receive({ now: T0 + 4 * HOUR + MIN });
    await eventually(() => g.completed.length === 1, 'the rest of the run', 30_000);
    should(g.out[0].payload.window.start).equal(new Date(stopped).toISOString());
    const rows = await rowsOf(http, 'five', 'SELECT * FROM m5 ORDER BY time, device');
    should(rows).have.length(2 * 48);
    for (const r of rows) {
      const b = (Date.parse(`${String(r.time)}Z`) - T0) / 10_000;
      should(r).match({ v_count: 30, sample_count: 30, v_mean: b + 14.5 });
    }
  });

  it('creates the target database with its retention, and warns about an existing one instead of changing it', async () => {
    await http.createDatabase('five', '30d');
    await writeLines(http, 'raw', rawLines(1), 'ms');
    const f = await loadSmall({ retention: '90d' });
    f.ds.receive({ now: T0 + HOUR + MIN });
    await eventually(() => f.completed.length === 1);
    should(logged(30).join('\n')).match(
      /the database "five" already exists with retention 30d, not 90d: it is left as it is/,
    );
    await helper.unload();

    const g = await loadSmall({ retention: '90d', targetDatabase: 'fresh' });
    g.ds.receive({ now: T0 + HOUR + MIN });
    await eventually(() => g.completed.length === 1);
    const retention = await rowsOf(
      http,
      '_internal',
      'SELECT database_name, retention_period_ns FROM system.databases WHERE database_name = $db',
      { db: 'fresh' },
    );
    should(retention).eql([{ database_name: 'fresh', retention_period_ns: 90 * 86400 * 1e9 }]);
  });

  it('influxdb3-write creates its database with the retention before the first write', async () => {
    await helper.load(nodes, [
      { id: 'tab', type: 'tab' },
      { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'iot-sensors' },
      { id: 'w', z: 'tab', type: 'influxdb3-write', server: 'cfg', retention: '7d', wires: [[], []] },
    ]);
    getNode('w').receive({ payload: `m v=1 ${Date.now()}000000` });
    await eventually(
      async () => (await rowsOf(http, 'iot-sensors', 'SELECT count(*) AS n FROM m').catch(() => []))[0]?.n === 1,
      'the reading written',
    );
    const retention = await rowsOf(
      http,
      '_internal',
      "SELECT retention_period_ns FROM system.databases WHERE database_name = 'iot-sensors'",
    );
    should(retention).eql([{ retention_period_ns: 7 * 86400 * 1e9 }]);
  });

  it('refuses bad messages with a reason and keeps its watermark', async () => {
    await writeLines(http, 'raw', rawLines(1), 'ms');
    const f = await loadSmall({ backfillDays: 1 });
    f.ds.receive({ now: T0 + HOUR + MIN });
    await eventually(() => f.completed.length === 1);
    const bad: [Msg, RegExp][] = [
      [{ backfill: 'yesterday' }, /msg.backfill must be \{from, to\}/],
      [{ backfill: { from: 'soon', to: T0 } }, /msg.backfill.from must be a time/],
      [{ backfill: { from: T0, to: T0 - HOUR } }, /must be before msg.backfill.to/],
      [{ backfill: { from: T0 - 3 * DAY, to: T0 } }, /spans 864 buckets, more than the 288/],
      [{ now: T0 }, /is before the last one/],
      [{ now: { toString: 'x' } }, /msg.now must be a time/],
      [{ tier: { database: 'elsewhere', table: 'x', completeThrough: 'nonsense' } }, /./],
    ];
    for (const [msg] of bad) f.ds.receive(msg);
    await eventually(() => f.caught.length >= bad.length - 1);
    for (let i = 0; i < bad.length - 1; i++) should(f.caught[i].error.message).match(bad[i][1]);
    should(
      JSON.parse(fs.readFileSync(path.join(userDir, 'influxdb3-pipeline', 'downsample-ds.json'), 'utf8')).state
        .watermark,
    ).equal(T0 + HOUR);
  });

  it('refuses settings it cannot run with a reason, in the status and the log', async () => {
    const cases: [object, RegExp][] = [
      [
        { sourceKind: 'tier', fields: [{ field: 'v', aggregates: ['mean', 'p95'] }] },
        /p95 cannot be computed exactly from a finer tier/,
      ],
      [{ fields: [{ field: 'v', aggregates: ['median'] }] }, /"median" is not an aggregate/],
      [{ bucket: 0 }, /Bucket must be a whole number at least 1/],
      [{ retention: '7 parsecs' }, /Retention "7 parsecs" is not a duration/],
      [{ targetDatabase: 'raw', targetTable: 'm' }, /the target table is the source table/],
    ];
    for (const [over, why] of cases) {
      const f = await loadSmall({ ...over, clock: 'system' });
      should(logged(20).some((m) => why.test(m))).be.true(`logged: ${why}`);
      f.ds.receive({});
      await eventually(() => f.caught.length === 1, 'the refusal of a message');
      should(f.caught[0].error.message).match(why);
      await helper.unload();
    }
  });
});
