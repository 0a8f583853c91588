import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Msg, catchNode, collect, completeNode, getNode, helper, onTab, until } from '../support/flow-helper';
import { hostileCorpus } from '../support/hostile-corpus';
import lineProtocolNode = require('../../nodes/telemetry-line-protocol/telemetry-line-protocol');
import schemaNode = require('../../nodes/telemetry-schema/telemetry-schema');

const nodes = [lineProtocolNode, schemaNode, catchNode, completeNode];
let seq = 0;
const reading = (over: object = {}) => ({
  device_id: `TEMP_${String(++seq).padStart(3, '0')}`,
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '2',
  timestamp: '2026-11-22T10:15:00.123Z',
  temperature: 25.5,
  humidity: 50,
  battery_level: 99.9,
  signal_strength: -60,
  ...over,
});
const readings = (n: number) => Array.from({ length: n }, () => reading());

function flow(props: Record<string, unknown> = {}) {
  return onTab([
    { id: 'lp', type: 'telemetry-line-protocol', wires: [['batches'], ['bad']], flushInterval: 0, ...props },
    { id: 'batches', type: 'helper' },
    { id: 'bad', type: 'helper' },
    { id: 'complete', type: 'complete', scope: ['lp'], wires: [['completed']] },
    { id: 'completed', type: 'helper' },
    { id: 'catch', type: 'catch', scope: ['lp'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ]);
}

async function setup(props: Record<string, unknown> = {}) {
  await helper.load(nodes, flow(props));
  return {
    lp: getNode('lp'),
    batches: collect(getNode('batches')),
    bad: collect(getNode('bad')),
    completed: collect(getNode('completed')),
    caught: collect(getNode('caught')),
  };
}

/** Lets queued message deliveries run (Node-RED delivers asynchronously). */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('telemetry-line-protocol node', function () {
  // Each test gets its own user directory, so lines one test leaves buffered at stop are not
  // handed over to the next.
  let userDir: string;
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-test-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('flushes at the line count and completes each input when its last line has left', async () => {
    const { lp, batches, completed } = await setup({ batchSize: 5 });
    lp.receive({ payload: readings(2), _id: 'A' });
    lp.receive({ payload: readings(2), _id: 'B' });
    await settle();
    should(batches.length).equal(0);
    should(completed.length).equal(0, 'nothing completes while its lines are buffered');
    lp.receive({ payload: readings(2), _id: 'C' });
    await until([getNode('completed')], () => completed.length === 2);
    should(batches.length).equal(1);
    should(batches[0].lineCount).equal(5);
    should(completed.map((m: Msg) => m._id)).eql(['A', 'B']);
    lp.receive({ flush: true, _id: 'F' });
    await until([getNode('completed')], () => completed.length === 4);
    should(completed.map((m: Msg) => m._id).sort()).eql(['A', 'B', 'C', 'F']);
    should(batches.length).equal(2);
    should(batches[1].lineCount).equal(1);
  });

  it('carries what the writer needs on every batch', async () => {
    const { lp, batches } = await setup({ batchSize: 3, database: 'iot-sensors' });
    lp.receive({ payload: readings(3) });
    await until([getNode('batches')], () => batches.length === 1);
    const b = batches[0];
    should(b.payload.split('\n').length).equal(3);
    should(b.bytes).equal(Buffer.byteLength(b.payload));
    should(b.precision).equal('ns');
    should(b.database).equal('iot-sensors');
    should(b.payload.split('\n')[0]).match(
      /^iot_sensors,device_id=TEMP_\d+,device_type=temperature,floor=2,location=warehouse_a temperature=25\.5,humidity=50,battery_level=99\.9,signal_strength=-60i 1795342500123000000$/,
    );
  });

  it('flushes before a batch would pass the byte limit', async () => {
    const { lp, batches } = await setup({ batchSize: 0, batchBytes: 400 });
    lp.receive({ payload: readings(10) });
    await until([getNode('batches')], () => batches.length >= 3);
    for (const b of batches) should(b.bytes <= 400).be.true(`batch of ${b.bytes} bytes`);
    lp.receive({ flush: true });
    await until([getNode('batches')], () => batches.reduce((a, b) => a + b.lineCount, 0) === 10);
  });

  it('flushes on time, counted from the first buffered line', async () => {
    const { lp, batches, completed } = await setup({ batchSize: 1000, flushInterval: 0.05 });
    lp.receive({ payload: readings(3) });
    await until([getNode('batches')], () => batches.length === 1);
    should(batches[0].lineCount).equal(3);
    await until([getNode('completed')], () => completed.length === 1);
  });

  it('keeps what is buffered when the node stops and sends it first when it starts again', async () => {
    {
      const first = await setup({ batchSize: 1000, flushInterval: 3600 });
      first.lp.receive({ payload: readings(7) });
      await settle();
      should(first.batches.length).equal(0);
      await helper.unload();
      const kept = fs.readdirSync(path.join(userDir, 'influxdb3-pipeline'));
      should(kept).eql(['line-protocol-lp.lp']);

      const again = await setup({ batchSize: 1000, flushInterval: 3600 });
      await until([getNode('batches')], () => again.batches.length === 1);
      should(again.batches[0].lineCount).equal(7);
      should(again.batches[0].precision).equal('ns');
      should(again.batches[0].payload).match(/^iot_sensors,device_id=TEMP_\d+/);
      should(fs.readdirSync(path.join(userDir, 'influxdb3-pipeline'))).eql([], 'sent once, then gone');
    }
  });

  it('reset drops the buffer and completes the dropped messages', async () => {
    const { lp, batches, completed } = await setup({ batchSize: 1000 });
    lp.receive({ payload: readings(4), _id: 'A' });
    lp.receive({ reset: true, _id: 'R' });
    await until([getNode('completed')], () => completed.length === 2);
    lp.receive({ flush: true });
    await settle();
    should(batches.length).equal(0);
  });

  it('refuses readings it cannot encode on output 2 and buffers the rest', async () => {
    const { lp, batches, bad, completed } = await setup({ batchSize: 2 });
    lp.receive({ payload: [reading(), reading({ location: 'a\nb' }), reading({ humidity: 'x' }), reading()] });
    await until([getNode('completed')], () => completed.length === 1);
    should(bad.map((m: Msg) => [m.error.code, m.error.index])).eql([
      ['invalid_characters', 1],
      ['wrong_type', 2],
    ]);
    should(batches.length).equal(1);
    should(batches[0].payload.split('\n').length).equal(2);
  });

  it('past the memory limit, reports the message through done(err) with a count, and keeps the buffer', async () => {
    const { lp, batches, caught } = await setup({ batchSize: 0, batchBytes: 0, maxBufferBytes: 2048 });
    lp.receive({ payload: readings(10), _id: 'A' });
    lp.receive({ payload: readings(10), _id: 'B' });
    await until([getNode('caught')], () => caught.length === 1);
    should(caught[0]._id).equal('B');
    should(caught[0].payload.length).equal(10, 'the Catch node gets the readings back');
    should(caught[0].error.message).match(
      /memory limit; 10 reading\(s\) of this message were not buffered \(10 so far\)/,
    );
    lp.receive({ flush: true });
    await until([getNode('batches')], () => batches.length === 1);
    should(batches[0].lineCount).equal(10, 'what was buffered before is intact');
  });

  it('refuses hostile and oversized payloads without losing the message', async () => {
    const { lp, bad, completed, caught } = await setup();
    lp.receive({ payload: '{"broken": ' });
    lp.receive({ payload: Buffer.from([0xc0, 0xaf]) });
    lp.receive({ payload: 'x'.repeat(11 * 1024 * 1024) });
    lp.receive({ payload: JSON.parse('{"__proto__": {"x": 1}, "device_type": "temperature"}') });
    await until([getNode('completed')], () => completed.length === 4);
    should(caught.length).equal(0);
    should(bad.map((m: Msg) => m.error.code)).eql(['invalid_json', 'invalid_utf8', 'payload_too_large', 'missing_key']);
  });

  it('accounts for every reading of the 10,000-payload hostile corpus exactly once: a line or a rejection', async function () {
    this.timeout(120_000);
    const { lp, batches, bad, completed, caught } = await setup({ batchSize: 5000, maxBufferBytes: 256 * 1024 * 1024 });
    const corpus = hostileCorpus(10_000, 'corpus-lp');
    const expected = corpus.reduce((a, c) => a + c.units, 0);
    corpus.forEach((c) => lp.receive({ payload: c.payload }));
    lp.receive({ flush: true });
    await until(
      [getNode('completed'), getNode('caught')],
      () => completed.length + caught.length === corpus.length + 1,
    );
    should(caught.length).equal(0, caught[0]?.error?.message);
    const lines = batches.flatMap((b: Msg) => b.payload.split('\n'));
    should(lines.length).equal(batches.reduce((a: number, b: Msg) => a + b.lineCount, 0));
    should(lines.length + bad.length).equal(expected, 'each reading leaves once, as a line or a rejection');
    should(lines.every((l: string) => /^iot_sensors,.+ -?\d+$/.test(l))).be.true(
      'every line: measurement,tags fields timestamp',
    );
    should(bad.every((m: Msg) => typeof m.error.code === 'string' && m.error.message.length > 10)).be.true();
  });
});
