import should from 'should';
import { compileSchema } from '../../nodes/lib/schema/compiled-schema';
import { createLineEncoder } from '../../nodes/lib/line-protocol/line-encoder';
import { referenceSchema } from '../../nodes/lib/schema/reference-schema';
import { Msg, catchNode, collect, completeNode, getNode, helper, onTab, until } from '../support/flow-helper';
import { hostileCorpus } from '../support/hostile-corpus';
import validateNode = require('../../nodes/telemetry-validate/telemetry-validate');
import schemaNode = require('../../nodes/telemetry-schema/telemetry-schema');

const nodes = [validateNode, schemaNode, catchNode, completeNode];
const reading = () => ({
  device_id: 'TEMP_001',
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '2',
  timestamp: new Date().toISOString(),
  temperature: 25.5,
  humidity: 50,
  battery_level: 99.9,
  signal_strength: -60,
});

function flow(props: Record<string, unknown> = {}, extra: object[] = []) {
  return onTab([
    { id: 'v', type: 'telemetry-validate', wires: [['ok'], ['bad']], ...props },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
    { id: 'complete', type: 'complete', scope: ['v'], wires: [['completed']] },
    { id: 'completed', type: 'helper' },
    { id: 'catch', type: 'catch', scope: ['v'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
    ...extra,
  ]);
}

describe('telemetry-validate node', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('passes a valid reading out of output 1 and completes the message', async () => {
    await helper.load(nodes, flow());
    const ok = collect(getNode('ok'));
    const completed = collect(getNode('completed'));
    getNode('v').receive({ payload: reading(), topic: 'iot/sensors/temperature/TEMP_001' });
    await until([getNode('completed')], () => completed.length === 1);
    should(ok.length).equal(1);
    should(ok[0].topic).equal('iot/sensors/temperature/TEMP_001');
    should(ok[0].payload.temperature).equal(25.5);
  });

  it('splits an array: valid ones stay an array on output 1, each rejected one leaves alone with its reason', async () => {
    await helper.load(nodes, flow());
    const ok = collect(getNode('ok'));
    const bad = collect(getNode('bad'));
    const completed = collect(getNode('completed'));
    const wrong = { ...reading(), humidity: 'wet' };
    const unknown = { ...reading(), device_type: 'laser' };
    getNode('v').receive({ payload: [reading(), wrong, reading(), unknown], topic: 't' });
    await until([getNode('completed')], () => completed.length === 1);
    should(ok.length).equal(1);
    should(ok[0].payload.length).equal(2);
    should(bad.map((m) => [m.error.code, m.error.field, m.error.index, m.topic])).eql([
      ['wrong_type', 'humidity', 1, 't'],
      ['unknown_device_type', 'device_type', 3, 't'],
    ]);
    should(bad[0].payload).eql(wrong, 'the rejected reading is untouched');
    should(bad[0].error.message).match(/humidity.*must be a number.*"wet"/);
  });

  it('parses JSON strings and Buffers, and refuses invalid UTF-8 and JSON whole', async () => {
    await helper.load(nodes, flow());
    const ok = collect(getNode('ok'));
    const bad = collect(getNode('bad'));
    const v = getNode('v');
    v.receive({ payload: JSON.stringify({ ...reading(), humidity: 50 }) });
    v.receive({ payload: Buffer.from(JSON.stringify([reading()])) });
    const invalid = Buffer.from([0x7b, 0xff, 0x7d]);
    v.receive({ payload: invalid });
    v.receive({ payload: '{"device_id": "TEMP_001",' });
    await until([getNode('ok'), getNode('bad')], () => ok.length + bad.length === 4);
    should(ok[0].payload.humidity).equal(50);
    should(Array.isArray(ok[1].payload)).be.true();
    should(bad.map((m) => m.error.code)).eql(['invalid_utf8', 'invalid_json']);
    should(bad[0].payload).equal(invalid, 'the original Buffer goes out untouched');
  });

  it('uses the selected telemetry-schema', async () => {
    const rows = [
      { deviceType: 'pressure', key: 'device_id', kind: 'tag', type: 'string' },
      { deviceType: 'pressure', key: 'device_type', kind: 'tag', type: 'string' },
      { deviceType: 'pressure', key: 'hpa', kind: 'field', type: 'float', min: 800, max: 1200, unit: 'hPa' },
    ];
    await helper.load(nodes, flow({ schema: 's' }, [{ id: 's', type: 'telemetry-schema', rows }]));
    const ok = collect(getNode('ok'));
    const bad = collect(getNode('bad'));
    getNode('v').receive({
      payload: [
        { device_type: 'pressure', device_id: 'P1', hpa: '1013' },
        { device_type: 'pressure', device_id: 'P1', hpa: 50 },
        reading(),
      ],
    });
    await until([getNode('ok'), getNode('bad')], () => ok.length === 1 && bad.length === 2);
    should(ok[0].payload[0].hpa).equal(1013);
    should(bad.map((m) => m.error.code)).eql(['out_of_range', 'unknown_device_type']);
    should(bad[0].error.message).match(/50 hPa, outside the range 800\.\.1200 hPa/);
  });

  it('reports an invalid schema through done(err) for every message', async () => {
    const rows = [{ deviceType: 'x', key: 'v', kind: 'field', type: 'float', min: 3, max: 1 }];
    await helper.load(nodes, flow({ schema: 's' }, [{ id: 's', type: 'telemetry-schema', rows }]));
    const caught = collect(getNode('caught'));
    getNode('v').receive({ payload: reading() });
    await until([getNode('caught')], () => caught.length === 1);
    should(caught[0].error.message).match(/telemetry-schema .* is invalid: row 1: min is greater than max/);
  });

  it('works from a flow saved without any of its settings (documented defaults)', async () => {
    await helper.load(
      nodes,
      onTab([
        { id: 'v', type: 'telemetry-validate', wires: [['ok'], ['bad']] },
        { id: 'ok', type: 'helper' },
        { id: 'bad', type: 'helper' },
      ]),
    );
    const ok = collect(getNode('ok'));
    getNode('v').receive({ payload: reading() });
    await until([getNode('ok')], () => ok.length === 1);
  });

  it('survives a corpus of 10,000 hostile payloads, accounting for every reading exactly once', async function () {
    this.timeout(120_000);
    await helper.load(nodes, flow({ maxPayloadBytes: 1_000_000 }));
    const corpus = hostileCorpus(10_000);
    const expected = corpus.reduce((a, c) => a + c.units, 0);
    const ok = collect(getNode('ok'));
    const bad = collect(getNode('bad'));
    const completed = collect(getNode('completed'));
    const caught = collect(getNode('caught'));
    const v = getNode('v');
    corpus.forEach((c, i) => v.receive({ payload: c.payload, _corpus: i }));
    await until([getNode('completed'), getNode('caught')], () => completed.length + caught.length === corpus.length);
    should(caught.length).equal(0, `no message may fail: ${caught[0]?.error?.message}`);

    const passed = ok.reduce((a, m) => a + (Array.isArray(m.payload) ? m.payload.length : 1), 0);
    should(passed + bad.length).equal(expected, 'each reading leaves exactly once');
    should(bad.length > 0.3 * expected && passed > 0.1 * expected).be.true(`passed ${passed}, refused ${bad.length}`);

    const codes = new Map<string, number>();
    for (const m of bad) {
      should(typeof m.error.code === 'string' && m.error.message.length > 10).be.true(JSON.stringify(m.error));
      codes.set(m.error.code, (codes.get(m.error.code) ?? 0) + 1);
      const original = corpus[m._corpus as number].payload;
      const text = typeof original === 'string' || Buffer.isBuffer(original);
      // By value: Node-RED clones every message of a send() after the first.
      if (m.error.index === undefined) should(m.payload).eql(original, 'a reading refused whole goes out as it came');
      else if (text) should(m.payload).eql(JSON.parse(String(original))[m.error.index]);
      else should(m.payload).eql((original as unknown[])[m.error.index], 'the element of the input array, untouched');
    }
    for (const code of [
      'invalid_json',
      'invalid_utf8',
      'payload_too_large',
      'too_many_readings',
      'too_deep',
      'forbidden_key',
      'too_many_keys',
      'invalid_characters',
      'not_finite',
      'wrong_type',
      'nested_value',
      'missing_key',
      'unknown_key',
      'invalid_timestamp',
      'empty_tag',
      'too_long',
      'not_an_object',
    ]) {
      should(codes.has(code)).be.true(`the corpus exercises ${code}`);
    }

    console.log(
      `      corpus: ${corpus.length} payloads, ${expected} readings: ${passed} passed, ${bad.length} refused under ${codes.size} codes`,
    );

    // Whatever passed can be written: validator and encoder agree, one line per reading.
    const encode = createLineEncoder(compileSchema(referenceSchema()));
    for (const m of ok) {
      for (const r of Array.isArray(m.payload) ? m.payload : [m.payload]) {
        const line = encode(r, Date.now());
        should(typeof line).equal('string', `${JSON.stringify(r)} -> ${JSON.stringify(line)}`);
        should(!(line as string).includes('\n')).be.true();
      }
    }
    should((Object.prototype as Msg).polluted).equal(undefined, 'no prototype was polluted');
  });
});
