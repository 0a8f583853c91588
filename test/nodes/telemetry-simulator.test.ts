import should from 'should';
import { Msg, catchNode, collect, getNode, helper, onTab, until } from '../support/flow-helper';
import simulatorNode = require('../../nodes/telemetry-simulator/telemetry-simulator');
import validateNode = require('../../nodes/telemetry-validate/telemetry-validate');

const START = '2026-11-22T06:00:00Z';

function flow(props: Record<string, unknown> = {}) {
  return onTab([
    {
      id: 'sim',
      type: 'telemetry-simulator',
      clock: 'manual',
      autoStart: false,
      startTime: START,
      seed: 's1',
      utcOffset: '0',
      wires: [['out']],
      ...props,
    },
    { id: 'out', type: 'helper' },
    { id: 'catch', type: 'catch', scope: ['sim'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ]);
}

describe('telemetry-simulator node', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('runs an hour of simulated time on the manual clock, every reading with its topic', async () => {
    await helper.load([simulatorNode, catchNode], flow());
    const out = collect(getNode('out'));
    getNode('sim').receive({ payload: { command: 'advance', ms: 3_600_000 - 1 } });
    await until([getNode('out')], () => out.length === 57_600);
    should(out[0].topic).equal('iot/sensors/temperature/TEMP_001');
    should(out[0].payload.timestamp).equal('2026-11-22T06:00:00.000Z');
    should(out[57_599].payload.timestamp).equal('2026-11-22T06:59:59.937Z');
  });

  it('replays from a start time given with advance: the same readings each time, whatever came before', async () => {
    await helper.load([simulatorNode, catchNode], flow({ mode: 'array' }));
    const out = collect(getNode('out'));
    const replay = { command: 'advance', startTime: '2026-11-19T00:00:00Z', ms: 60_000 - 1 };
    getNode('sim').receive({ payload: replay });
    await until([getNode('out')], () => out.length === 12);
    getNode('sim').receive({ payload: { command: 'advance', ms: 60_000 } });
    await until([getNode('out')], () => out.length === 24);
    getNode('sim').receive({ payload: replay });
    await until([getNode('out')], () => out.length === 36);
    should(out[0].payload[0].timestamp).equal('2026-11-19T00:00:00.000Z');
    should(out[12].payload[0].timestamp).equal('2026-11-19T00:01:00.000Z');
    should(out.slice(24).map((m) => m.payload)).eql(out.slice(0, 12).map((m) => m.payload));
  });
  it('gives the same readings for the same seed and start', async () => {
    const run = async () => {
      await helper.load([simulatorNode, catchNode], flow());
      const out = collect(getNode('out'));
      getNode('sim').receive({ payload: { command: 'advance', ms: 60_000 } });
      await until([getNode('out')], () => out.length >= 961);
      await helper.unload();
      return JSON.stringify(out.map((m: Msg) => [m.topic, m.payload]));
    };
    should(await run()).equal(await run());
  });

  it('takes start, pause, resume, stop and rate commands; real-time readings flow', async () => {
    await helper.load([simulatorNode, catchNode], flow({ clock: 'real', startTime: '', intervalSec: 0.5 }));
    const out = collect(getNode('out'));
    const sim = getNode('sim');
    sim.receive({ payload: 'start' });
    await until([getNode('out')], () => out.length >= 80);
    sim.receive({ payload: 'pause' });
    sim.receive({ payload: { command: 'rate', intervalSec: 0.25 } });
    sim.receive({ payload: 'resume' });
    const before = out.length;
    await until([getNode('out')], () => out.length >= before + 160);
    sim.receive({ payload: 'stop' });
    const ts = out.map((m: Msg) => Date.parse(m.payload.timestamp));
    should(ts.every((t, i) => i === 0 || t >= ts[i - 1])).be.true('in time order');
  });

  it('injects a fault into one device on demand', async () => {
    await helper.load([simulatorNode, catchNode], flow());
    const out = collect(getNode('out'));
    const sim = getNode('sim');
    sim.receive({ payload: { command: 'advance', ms: 0 } });
    sim.receive({ payload: { command: 'fault', kind: 'dropout', device: 'TEMP_007', durationSec: 30 } });
    sim.receive({ payload: { command: 'fault', kind: 'spike', device: 'TEMP_008' } });
    sim.receive({ payload: { command: 'advance', ms: 60_000 } });
    await until([getNode('out')], () => out.length >= 950);
    const t7 = out.filter((m: Msg) => m.payload.device_id === 'TEMP_007').map((m: Msg) => m.payload.timestamp);
    should(t7.every((t: string) => Date.parse(t) >= Date.parse(START) + 30_000)).be.true(
      `TEMP_007 silent for 30 s: ${t7[0]}`,
    );
    const spiked = out.filter((m: Msg) => m.simulatedFaults?.includes('spike'));
    should(spiked.length).equal(1);
    should(spiked[0].payload.device_id).equal('TEMP_008');
  });

  it('reports bad commands and bad settings through done(err) and status', async () => {
    await helper.load([simulatorNode, catchNode], flow());
    const caught = collect(getNode('caught'));
    const sim = getNode('sim');
    sim.receive({ payload: 'explode' });
    sim.receive({ payload: { command: 'advance', ms: 1 } });
    sim.receive({ payload: { command: 'fault', kind: 'meteor', device: 'TEMP_001' } });
    sim.receive({ payload: { command: 'fault', kind: 'spike', device: 'NOPE_1' } });
    sim.receive({ payload: { command: 'rate', intervalSec: -1 } });
    sim.receive({ payload: { command: 'advance', ms: 365 * 86_400_000 } });
    await until([getNode('caught')], () => caught.length === 5);
    const messages = caught.map((m: Msg) => m.error.message as string);
    [
      /unknown command; send msg.payload "start"/,
      /fault kind must be one of spike, stuck/,
      /no device matches "NOPE_1"/,
      /intervalSec must be a number at least 0\.001/,
      /would make 504576000 readings at once; the limit is 2000000: advance in smaller steps/,
    ].forEach((re, i) => should(messages[i]).match(re));
    await helper.unload();
    await helper.load([simulatorNode, catchNode], flow({ fleet: '{"deviceTypes": []}' }));
    const caught2 = collect(getNode('caught'));
    getNode('sim').receive({ payload: 'start' });
    await until([getNode('caught')], () => caught2.length === 1);
    should(caught2[0].error.message).match(/deviceTypes: must be a non-empty array/);
  });

  it('feeds the validator with zero configuration: the reference fleet passes the reference schema', async () => {
    await helper.load(
      [simulatorNode, validateNode, catchNode],
      onTab([
        { id: 'sim', type: 'telemetry-simulator', clock: 'manual', autoStart: false, wires: [['v']] },
        { id: 'v', type: 'telemetry-validate', wires: [['ok'], ['bad']] },
        { id: 'ok', type: 'helper' },
        { id: 'bad', type: 'helper' },
      ]),
    );
    const ok = collect(getNode('ok'));
    const bad = collect(getNode('bad'));
    getNode('sim').receive({ payload: { command: 'advance', ms: 4999 } });
    await until([getNode('ok'), getNode('bad')], () => ok.length + bad.length === 80);
    should(bad.length).equal(0, bad[0]?.error?.message);
  });
});
