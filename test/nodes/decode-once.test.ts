// Decode once: a payload the pack's first node parsed reaches the next ones as readings, so the
// JSON text of a message is parsed once however many of the pack's nodes it passes.

import should from 'should';
import { collect, getNode, helper, onTab, until } from '../support/flow-helper';
import lineProtocolNode = require('../../nodes/telemetry-line-protocol/telemetry-line-protocol');
import validateNode = require('../../nodes/telemetry-validate/telemetry-validate');

const reading = (i: number) => ({
  device_id: `TEMP_${String(i).padStart(3, '0')}`,
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '2',
  timestamp: '2026-11-22T10:15:00.123Z',
  temperature: 25.5,
  humidity: 50,
  battery_level: 99.9,
  signal_strength: -60,
});

describe('decode once: validate -> line protocol', function () {
  beforeEach((done) => {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  it('parses the JSON text of a message once, and hands the readings on as they were parsed', async () => {
    await helper.load(
      [validateNode, lineProtocolNode],
      onTab([
        { id: 'v', type: 'telemetry-validate', wires: [['lp', 'validated'], []] },
        { id: 'validated', type: 'helper' },
        { id: 'lp', type: 'telemetry-line-protocol', batchSize: 1, flushInterval: 0, wires: [['batches'], []] },
        { id: 'batches', type: 'helper' },
      ]),
    );
    const validated = collect(getNode('validated'));
    const batches = collect(getNode('batches'));
    const parse = JSON.parse;
    let parsed = 0;
    JSON.parse = function (this: unknown, ...args: Parameters<typeof JSON.parse>) {
      parsed++;
      return parse.apply(this, args) as unknown;
    } as typeof JSON.parse;
    try {
      for (let i = 1; i <= 20; i++) getNode('v').receive({ payload: Buffer.from(JSON.stringify(reading(i))) });
      await until([getNode('batches')], () => batches.length === 20);
    } finally {
      JSON.parse = parse;
    }
    should(parsed).equal(20);
    should(validated[0].payload).eql(reading(1));
    should(batches[0].payload).match(/^iot_sensors,/);
  });
});
