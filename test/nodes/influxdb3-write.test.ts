// influxdb3-write and influxdb3-config in the real Node-RED runtime, writing to the project's
// InfluxDB 3 compatible server: readings and line protocol in, summaries and refusals out, done()
// when the lines are safe, the token kept out of everything, and the editor's test-connection call.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catchNode, collect, completeNode, getNode, helper, onTab } from '../support/flow-helper';
import { eventually } from '../support/eventually';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import configNode = require('../../nodes/influxdb3-config/influxdb3-config');
import writeNode = require('../../nodes/influxdb3-write/influxdb3-write');
import schemaNode = require('../../nodes/telemetry-schema/telemetry-schema');

const TOKEN = 'apiv3_s3cret-TOKEN-do-not-leak';
const nodes = [configNode, writeNode, schemaNode, catchNode, completeNode];
const reading = (i: number, over: object = {}) => ({
  device_id: `TEMP_${String(i).padStart(3, '0')}`,
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '2',
  timestamp: new Date(Date.UTC(2026, 10, 22, 10, 15, 0, i)).toISOString(),
  temperature: 20 + (i % 10),
  humidity: 50,
  battery_level: 99.9,
  signal_strength: -60,
  ...over,
});

describe('influxdb3-write node', function () {
  this.timeout(30_000);
  let server: InfluxDB3Server;
  let userDir: string;
  beforeEach(async () => {
    server = await startInfluxDB3({ token: TOKEN });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'write-node-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    await server.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const flow = (write: object = {}, config: object = {}) =>
    onTab([
      { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant', ...config },
      { id: 'w', type: 'influxdb3-write', server: 'cfg', wires: [['ok'], ['bad']], ...write },
      { id: 'ok', type: 'helper' },
      { id: 'bad', type: 'helper' },
      { id: 'complete', type: 'complete', scope: ['w'], wires: [['completed']] },
      { id: 'completed', type: 'helper' },
      { id: 'catch', type: 'catch', scope: ['w'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);

  async function setup(write: object = {}, token = TOKEN) {
    const statuses: unknown[] = [];
    await helper.load(nodes, flow(write), { cfg: { token } });
    const w = getNode('w');
    const original = w.status.bind(w);
    w.status = (s: unknown) => {
      statuses.push(s);
      return original(s as never);
    };
    return {
      w,
      ok: collect(getNode('ok')),
      bad: collect(getNode('bad')),
      completed: collect(getNode('completed')),
      caught: collect(getNode('caught')),
      statuses,
    };
  }

  const query = async (q: string, db = 'plant') => {
    const res = await fetch(`${server.url}/api/v3/query_sql?db=${db}&q=${encodeURIComponent(q)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return res.status === 200 ? res.json() : [];
  };

  it('writes readings and line protocol, says what it wrote, and completes each message once its lines are written', async () => {
    const t = await setup();
    t.w.receive({ payload: Array.from({ length: 50 }, (_, i) => reading(i)), _msgid: 'readings' });
    t.w.receive({
      payload:
        'iot_sensors,device_id=LP_1 temperature=21.5 1795342500000000000\niot_sensors,device_id=LP_2 temperature=22.5 1795342500000000000',
      _msgid: 'lp',
    });
    t.w.receive({
      payload: 'other,device_id=X v=1i 1795342500',
      precision: 's',
      database: 'elsewhere',
      _msgid: 'other',
    });
    await eventually(() => t.completed.length === 3, 'three messages completed');
    should(await query('SELECT count(*) AS n FROM iot_sensors')).eql([{ n: 52 }]);
    should(await query('SELECT v, time FROM other', 'elsewhere')).eql(
      [{ v: 1, time: '2026-11-22T10:15:00' }],
      'msg.database and msg.precision are used when the node names no database',
    );
    const summaries = t.ok.map((m) => m.payload);
    should(summaries.reduce((n, s) => n + s.lines, 0)).equal(53);
    should(
      summaries.every((s) => s.attempts === 1 && s.durationMs >= 0 && s.bytes > 0 && typeof s.database === 'string'),
    ).be.true();
  });

  it('with the last value cache option, gives each table it writes to a cache after its first write, holding the newest reading per series from then on', async () => {
    const t = await setup({ lastCache: true });
    const send = async (payload: unknown, n: number) => {
      t.w.receive({ payload });
      await eventually(() => t.completed.length === n, `${n} messages completed`);
    };
    const cached = async (table: string) => {
      const res = await fetch(`${server.url}/api/v3/query_sql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ db: 'plant', q: `SELECT * FROM last_cache('${table}', 'latest')` }),
      });
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>[]) : undefined;
    };
    await send([reading(1), reading(2)], 1);
    await send('other,device_id=X v=1 1795342500000000000', 2);
    await eventually(
      async () => Boolean((await cached('iot_sensors')) && (await cached('other'))),
      'both caches created',
    );
    should(await cached('other')).eql([], 'a cache holds only what was written after it was created');
    await send([reading(1, { temperature: 30, timestamp: '2026-11-22T10:16:00Z' })], 3);
    await send('other,device_id=X v=2 1795342600000000000', 4);
    should(await cached('iot_sensors')).match([
      { device_id: 'TEMP_001', temperature: 30, time: '2026-11-22T10:16:00' },
    ]);
    should(await cached('other')).eql([{ device_id: 'X', v: 2, time: '2026-11-22T10:16:40' }]);
  });

  it('without the option (as in flows from before it), creates no cache', async () => {
    const t = await setup();
    t.w.receive({ payload: [reading(1)] });
    t.w.receive({ payload: [reading(1, { timestamp: '2026-11-22T10:16:00Z' })] });
    await eventually(() => t.completed.length === 2, 'written');
    const res = await fetch(`${server.url}/api/v3/query_sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ db: 'plant', q: "SELECT * FROM last_cache('iot_sensors')" }),
    });
    should(res.status).equal(400);
    should(await res.text()).match(/could not find cache/);
  });

  it('hands back readings it cannot encode and lines the server refuses, one message each, with the reason', async () => {
    const t = await setup();
    t.w.receive({
      payload:
        'iot_sensors,device_id=A temperature=21.5 1\niot_sensors,device_id=B temperature="hot" 2\niot_sensors,device_id=C temperature=22 3',
    });
    t.w.receive({ payload: [reading(1), { device_id: 'NOPE' }] });
    await eventually(() => t.bad.length === 2 && t.completed.length === 2, 'refusals out');
    const server = t.bad.find((m) => m.topic === 'rejected')!;
    should(server.payload).equal('iot_sensors,device_id=B temperature="hot" 2');
    should(server.error.message).match(/invalid column type for column 'temperature'/);
    const encoding = t.bad.find((m) => m.topic !== 'rejected')!;
    should(encoding.payload).eql({ device_id: 'NOPE' });
    should(encoding.error.code).be.ok();
    should(await query('SELECT count(*) AS n FROM iot_sensors')).eql([{ n: 3 }]);
    should(t.caught.length).equal(0, 'refused lines are not errors for a Catch node');
  });

  const statusText = (t: { statuses: unknown[] }) => (t.statuses as { text?: string }[]).map((x) => x.text ?? '');
  const logged = (level: string) =>
    (helper.log().args as { level: number; msg: unknown }[][])
      .flat()
      .filter((e) => e?.level === ({ warn: 30, info: 40 } as Record<string, number>)[level])
      .map((e) => String(e.msg));
  const lines = (tag: string, n: number, pad = 60) =>
    Array.from(
      { length: n },
      (_, i) => `iot_sensors,batch=${tag},pad=${'x'.repeat(pad)} seq=${i}i ${1795342500000000000n + BigInt(i)}`,
    ).join('\n');

  it('stores alert events from telemetry-alert in their own table, one point per event, and refuses one InfluxDB 3 cannot store', async () => {
    const t = await setup({ alertTable: 'alert_events' });
    const event = (over: object) => ({
      event: 'firing',
      alertId: 'temperature high|TEMP_001|temperature',
      episodeId: 'temperature high|TEMP_001|temperature@2026-11-22T10:00:00.000Z',
      rule: 'temperature high',
      kind: 'threshold',
      severity: 'HIGH',
      series: 'TEMP_001',
      field: 'temperature',
      value: 36,
      threshold: 35,
      tags: { device_type: 'temperature', location: 'warehouse_a', floor: '2', rule: 'not a tag of its own' },
      startedAt: '2026-11-22T10:00:00.000Z',
      at: '2026-11-22T10:01:00.000Z',
      ...over,
    });
    t.w.receive({ payload: event({}) });
    t.w.receive({ payload: event({ event: 'resolved', value: 30, at: '2026-11-22T10:05:30.000Z' }) });
    t.w.receive({ payload: [event({ series: 'TEMP_\u2028BAD\n', at: '2026-11-22T10:06:00.000Z' }), reading(3)] });
    await eventually(() => t.completed.length === 3, 'three messages completed');
    should(
      await query(
        'SELECT time, series, rule, severity, kind, field, device_type, location, floor, event, episode, value, threshold, started_at, duration_s FROM alert_events ORDER BY time',
      ),
    ).eql([
      {
        time: '2026-11-22T10:01:00',
        series: 'TEMP_001',
        rule: 'temperature high',
        severity: 'HIGH',
        kind: 'threshold',
        field: 'temperature',
        device_type: 'temperature',
        location: 'warehouse_a',
        floor: '2',
        event: 'firing',
        episode: 'temperature high|TEMP_001|temperature@2026-11-22T10:00:00.000Z',
        value: 36,
        threshold: 35,
        started_at: '2026-11-22T10:00:00.000Z',
      },
      {
        time: '2026-11-22T10:05:30',
        series: 'TEMP_001',
        rule: 'temperature high',
        severity: 'HIGH',
        kind: 'threshold',
        field: 'temperature',
        device_type: 'temperature',
        location: 'warehouse_a',
        floor: '2',
        event: 'resolved',
        episode: 'temperature high|TEMP_001|temperature@2026-11-22T10:00:00.000Z',
        value: 30,
        threshold: 35,
        started_at: '2026-11-22T10:00:00.000Z',
        duration_s: 330,
      },
    ]);
    should(await query('SELECT count(*) AS n FROM iot_sensors')).eql([{ n: 1 }], 'the reading beside it is stored');
    should(t.bad).have.length(1);
    should(t.bad[0].error.code).equal('invalid_characters');
    should(t.bad[0].error.field).equal('series');
    should(t.bad[0].payload.series).equal('TEMP_\u2028BAD\n');
  });

  it('shows connected, then retrying with the reason and what is spooled, then connected again; logs the outage and the recovery', async function () {
    this.timeout(60_000);
    const t = await setup();
    t.w.receive({ payload: lines('a', 1) });
    await eventually(() => statusText(t).includes('connected · 1 written'), 'connected');
    await server.faults.refuseConnections(true);
    t.w.receive({ payload: lines('b', 3) });
    // The spooled record waits for its retry in the queue (3 waiting) or is being tried (0).
    await eventually(
      () =>
        statusText(t).some((s) =>
          /^retrying in \d+ s \(connect ECONNREFUSED [\d.:]+\) · [03] waiting · 3 spooled$/.test(s),
        ),
      `retrying: ${statusText(t)}`,
    );
    should(
      (t.statuses.find((x) => (x as { text?: string }).text?.startsWith('retrying')) as { fill: string }).fill,
    ).equal('yellow');
    await server.faults.refuseConnections(false);
    // An attempt may have failed just before the server came back: the next one waits its backoff
    // (at most retryMaxMs, 30 s), and the status must show that wait rather than a stale one.
    await eventually(
      () => statusText(t).at(-1) === 'connected · 4 written',
      `connected again: ${statusText(t)}`,
      35_000,
    );

    should(await query('SELECT count(*) AS n FROM iot_sensors')).eql([{ n: 4 }]);
    should(t.completed.length).equal(2, 'each message completed once: the spooled one when it was on disk');
    should(
      logged('warn').filter((m) => /cannot write to InfluxDB 3, retrying.*cannot reach 127\.0\.0\.1/.test(m)).length,
    ).equal(1, 'one warning for the outage, not one per attempt');
    should(logged('info').some((m) => /writing again after \d+ failed attempt/.test(m))).be.true();
  });

  /** 8 messages of 2,000 lines (about 230 KB each) into a 1 MB spool, the server down. The first
   *  is sent and fails before the others come, so all go to the spool in the order they came
   *  (writes in flight at once may fail in any order). */
  const fillSpool = async (t: Awaited<ReturnType<typeof setup>>) => {
    await server.faults.refuseConnections(true);
    t.w.receive({ payload: lines('m0', 2000), _msgid: 'm0' });
    await eventually(() => statusText(t).some((x) => x.startsWith('retrying')), 'the first write failed');
    for (let m = 1; m < 8; m++) t.w.receive({ payload: lines(`m${m}`, 2000), _msgid: `m${m}` });
  };

  it('with a full spool set to refuse, refuses whole messages through done(err) and writes every one it took', async () => {
    const t = await setup({ spoolMB: 1, spoolPolicy: 'reject' });
    await fillSpool(t);
    await eventually(() => t.completed.length + t.caught.length === 8, 'every message settled');
    const refused = t.caught.map((c) => c._msgid).sort();
    should(refused).eql(['m4', 'm5', 'm6', 'm7'], 'four fit in 1 MB; the newest are refused');
    should(
      t.caught.every((c) =>
        /the disk spool is full \(1048576 bytes\) and set to reject new data/.test(c.error.message),
      ),
    ).be.true();
    await server.faults.refuseConnections(false);
    const taken = 8 - refused.length;
    await eventually(
      async () => (await query('SELECT count(*) AS n FROM iot_sensors'))[0]?.n === taken * 2000,
      'the spool written',
    );
    const batches = (await query('SELECT DISTINCT batch FROM iot_sensors ORDER BY batch')).map(
      (r: { batch: string }) => r.batch,
    );
    should(batches).eql(
      Array.from({ length: 8 }, (_, m) => `m${m}`).filter((id) => !refused.includes(id)),
      'the refused messages are exactly the ones missing',
    );
  });

  it('with a full spool set to drop the oldest, keeps the newest, and counts and logs what it dropped', async () => {
    const t = await setup({ spoolMB: 1, spoolPolicy: 'drop-oldest' });
    await fillSpool(t);
    await eventually(() => t.completed.length === 8, 'every message taken');
    should(t.caught.length).equal(0);
    const drops = logged('warn').filter((m) => /dropped its oldest/.test(m));
    should(drops.length > 0).be.true('the drop is logged');
    const dropped = Number(/\((\d+) dropped since start\)/.exec(drops.at(-1)!)![1]);
    await server.faults.refuseConnections(false);
    await eventually(
      async () => (await query('SELECT count(*) AS n FROM iot_sensors'))[0]?.n === 16_000 - dropped,
      `16,000 - ${dropped} written`,
    );
    const batches = (await query('SELECT DISTINCT batch FROM iot_sensors ORDER BY batch')).map(
      (r: { batch: string }) => r.batch,
    );
    // m0 was being retried (loaded from the spool), so it is not dropped: the oldest after it are.
    should(batches).eql(['m0', 'm5', 'm6', 'm7'], 'the one being written and the newest three kept, m1-m4 dropped');
    should(dropped).equal(4 * 2000);
  });

  it('keeps the token out of the flow, status, messages and logs, and reports a wrong one to Catch', async () => {
    const t = await setup({}, `${TOKEN}-wrong`);
    t.w.receive({ payload: 'm v=1 1' });
    await eventually(() => t.caught.length === 1 && t.bad.length === 1, 'refused');
    const everything = JSON.stringify({
      flow: flow(),
      statuses: t.statuses,
      ok: t.ok,
      bad: t.bad,
      caught: t.caught,
      log: helper.log().args,
    });
    should(!everything.includes(TOKEN)).be.true('the token appears nowhere');
    should(t.caught[0].error.message).match(/401/);
    await eventually(
      () =>
        (t.statuses as { fill?: string; text?: string }[]).some(
          (x) => x.fill === 'red' && x.text === 'error · 0 written',
        ),
      'a red error status',
    );
  });

  it("answers the editor's test connection with the version, never with the token", async () => {
    await helper.load(nodes, flow(), { cfg: { token: TOKEN } });
    let res = await helper
      .request()
      .post('/influxdb3-pipeline/test-connection')
      .send({ url: server.url, id: 'cfg', token: '__PWRD__' });
    should(res.body.ok).equal(true, JSON.stringify(res.body));
    should(res.body.version).equal('3.10.1');
    res = await helper.request().post('/influxdb3-pipeline/test-connection').send({ url: server.url, token: 'not-it' });
    should(res.body.ok).equal(false);
    should(res.body.error).match(/refused the token/);
    res = await helper.request().post('/influxdb3-pipeline/test-connection').send({ url: 'ftp://x' });
    should(res.body.error).match(/http:\/\/ or https:\/\//);
    should(!JSON.stringify(res.body).includes(TOKEN)).be.true();
  });
});
