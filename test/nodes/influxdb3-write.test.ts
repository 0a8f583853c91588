// influxdb3-write and influxdb3-config in the real Node-RED runtime, writing to the project's
// InfluxDB 3 compatible server: readings and line protocol in, summaries and refusals out, done()
// when the lines are safe, the token kept out of everything, and the editor's test-connection call.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catchNode, collect, completeNode, getNode, helper, onTab } from '../support/flow-helper';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import configNode = require('../../nodes/influxdb3-config');
import writeNode = require('../../nodes/influxdb3-write');
import schemaNode = require('../../nodes/telemetry-schema');

const TOKEN = 'apiv3_s3cret-TOKEN-do-not-leak';
const nodes = [configNode, writeNode, schemaNode, catchNode, completeNode];
const reading = (i: number, over: object = {}) => ({
  device_id: `TEMP_${String(i).padStart(3, '0')}`, device_type: 'temperature', location: 'warehouse_a', floor: '2',
  timestamp: new Date(Date.UTC(2026, 10, 22, 10, 15, 0, i)).toISOString(), temperature: 20 + (i % 10), humidity: 50, battery_level: 99.9, signal_strength: -60, ...over,
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
    return { w, ok: collect(getNode('ok')), bad: collect(getNode('bad')), completed: collect(getNode('completed')), caught: collect(getNode('caught')), statuses };
  }

  const query = async (q: string, db = 'plant') => {
    const res = await fetch(`${server.url}/api/v3/query_sql?db=${db}&q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return res.status === 200 ? res.json() : [];
  };
  const until = async (ok: () => boolean | Promise<boolean>, what: string) => {
    for (let i = 0; i < 400; i++) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out: ${what}`);
  };

  it('writes readings and line protocol, says what it wrote, and completes each message once its lines are written', async () => {
    const t = await setup();
    t.w.receive({ payload: Array.from({ length: 50 }, (_, i) => reading(i)), _msgid: 'readings' });
    t.w.receive({ payload: 'iot_sensors,device_id=LP_1 temperature=21.5 1795342500000000000\niot_sensors,device_id=LP_2 temperature=22.5 1795342500000000000', _msgid: 'lp' });
    t.w.receive({ payload: 'other,device_id=X v=1i 1795342500', precision: 's', database: 'elsewhere', _msgid: 'other' });
    await until(() => t.completed.length === 3, 'three messages completed');
    assert.deepEqual(await query('SELECT count(*) AS n FROM iot_sensors'), [{ n: 52 }]);
    assert.deepEqual(await query('SELECT v, time FROM other', 'elsewhere'), [{ v: 1, time: '2026-11-22T10:15:00' }], 'msg.database and msg.precision are used when the node names no database');
    const summaries = t.ok.map((m) => m.payload);
    assert.equal(summaries.reduce((n, s) => n + s.lines, 0), 53);
    assert.ok(summaries.every((s) => s.attempts === 1 && s.durationMs >= 0 && s.bytes > 0 && typeof s.database === 'string'));
  });

  it('hands back readings it cannot encode and lines the server refuses, one message each, with the reason', async () => {
    const t = await setup();
    t.w.receive({ payload: 'iot_sensors,device_id=A temperature=21.5 1\niot_sensors,device_id=B temperature="hot" 2\niot_sensors,device_id=C temperature=22 3' });
    t.w.receive({ payload: [reading(1), { device_id: 'NOPE' }] });
    await until(() => t.bad.length === 2 && t.completed.length === 2, 'refusals out');
    const server = t.bad.find((m) => m.topic === 'rejected')!;
    assert.equal(server.payload, 'iot_sensors,device_id=B temperature="hot" 2');
    assert.match(server.error.message, /invalid column type for column 'temperature'/);
    const encoding = t.bad.find((m) => m.topic !== 'rejected')!;
    assert.deepEqual(encoding.payload, { device_id: 'NOPE' });
    assert.ok(encoding.error.code);
    assert.deepEqual(await query('SELECT count(*) AS n FROM iot_sensors'), [{ n: 3 }]);
    assert.equal(t.caught.length, 0, 'refused lines are not errors for a Catch node');
  });

  it('keeps the token out of the flow, status, messages and logs, and reports a wrong one to Catch', async () => {
    const t = await setup({}, `${TOKEN}-wrong`);
    t.w.receive({ payload: 'm v=1 1' });
    await until(() => t.caught.length === 1 && t.bad.length === 1, 'refused');
    const everything = JSON.stringify({ flow: flow(), statuses: t.statuses, ok: t.ok, bad: t.bad, caught: t.caught, log: helper.log().args });
    assert.ok(!everything.includes(TOKEN), 'the token appears nowhere');
    assert.match(t.caught[0].error.message, /401/);
  });

  it('answers the editor\'s test connection with the version, never with the token', async () => {
    await helper.load(nodes, flow(), { cfg: { token: TOKEN } });
    let res = await helper.request().post('/influxdb3-pipeline/test-connection').send({ url: server.url, id: 'cfg', token: '__PWRD__' });
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.equal(res.body.version, '3.10.1');
    res = await helper.request().post('/influxdb3-pipeline/test-connection').send({ url: server.url, token: 'not-it' });
    assert.equal(res.body.ok, false);
    assert.match(res.body.error, /refused the token/);
    res = await helper.request().post('/influxdb3-pipeline/test-connection').send({ url: 'ftp://x' });
    assert.match(res.body.error, /http:\/\/ or https:\/\//);
    assert.ok(!JSON.stringify(res.body).includes(TOKEN));
  });
});
