import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import should from 'should';
import { Msg, catchNode, collect, completeNode, getNode, helper, onTab, until } from '../support/flow-helper';
import { hostileCorpus } from '../support/hostile-corpus';
import alertNode = require('../../nodes/telemetry-alert/telemetry-alert');

const nodes = [alertNode, catchNode, completeNode];
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const reading = (device: string, sec: number, temperature: number) => ({
  device_id: device,
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '2',
  timestamp: new Date(T0 + sec * 1000).toISOString(),
  temperature,
});

const HIGH = {
  name: 'hot',
  kind: 'threshold',
  field: 'temperature',
  op: 'above',
  threshold: 35,
  hysteresis: 1,
  severity: 'HIGH',
};

function flow(props: Record<string, unknown> = {}) {
  return onTab([
    { id: 'a', type: 'telemetry-alert', rules: [HIGH], clock: 'readings', wires: [['events'], ['scored']], ...props },
    { id: 'events', type: 'helper' },
    { id: 'scored', type: 'helper' },
    { id: 'complete', type: 'complete', scope: ['a'], wires: [['completed']] },
    { id: 'completed', type: 'helper' },
    { id: 'catch', type: 'catch', scope: ['a'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ]);
}

describe('telemetry-alert node', function () {
  let userDir: string;
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-node-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** Sends messages one by one, each after the previous one completed. */
  async function send(payloads: unknown[], msgProps: Record<string, unknown> = {}): Promise<void> {
    const completed = collect(getNode('completed'));
    const caught = collect(getNode('caught'));
    for (const [i, payload] of payloads.entries()) {
      getNode('a').receive({ payload, ...msgProps });
      await until([getNode('completed'), getNode('caught')], () => completed.length + caught.length > i);
    }
  }

  it('sends firing and resolved events on output 1 and every reading with its scores on output 2', async () => {
    await helper.load(
      nodes,
      flow({
        rules: [HIGH, { name: 'temperature anomaly', kind: 'zscore', field: 'temperature', limit: 3, minSamples: 5 }],
      }),
    );
    const events = collect(getNode('events'));
    const scored = collect(getNode('scored'));
    const values = [30, 31, 30, 31, 30, 31, 40, 41, 33, 30];
    await send(values.map((v, i) => reading('TEMP_001', i * 5, v)));
    should(events.map((m) => `${m.payload.rule}:${m.payload.event}`)).eql([
      'hot:firing',
      'temperature anomaly:firing',
      'hot:resolved', // 33 is back below 35 - 1; still an anomaly against a window of 30s and 31s
      'temperature anomaly:resolved',
    ]);
    should(events[0].topic).equal('hot|TEMP_001|temperature');
    should(events[0].payload).match({
      series: 'TEMP_001',
      value: 40,
      threshold: 35,
      severity: 'HIGH',
      tags: { device_type: 'temperature', location: 'warehouse_a', floor: '2' },
      startedAt: new Date(T0 + 30_000).toISOString(),
    });
    should(events[2].payload.episodeId).equal(events[0].payload.episodeId);
    should(scored.length).equal(values.length);
    should(scored[0].payload).not.have.property('temperature_anomaly_score');
    should(scored[6].payload.temperature_anomaly_score > 3).be.true();
    should(scored[6].alert).match({ readings: 1, events: 2, judged: 2, untracked: 0 });
  });

  it('ends a payload that holds no readings in done(err), and loses nothing of 10,000 hostile readings', async () => {
    await helper.load(nodes, flow());
    const caught = collect(getNode('caught'));
    const scored = collect(getNode('scored'));
    await send(['not json', Buffer.from([0x7b, 0xff, 0x7d])]);
    should(caught.map((m: Msg) => m.error.message)).match([
      /holds no readings: .*not valid JSON/,
      /holds no readings: .*UTF-8/,
    ]);

    const corpus = hostileCorpus(2000, 'alert-corpus').filter(
      (c) => Array.isArray(c.payload) || (c.payload !== null && typeof c.payload === 'object'),
    );
    const all = corpus.flatMap((c) => (Array.isArray(c.payload) ? c.payload : [c.payload])).slice(0, 10_000);
    while (all.length < 10_000) all.push({ device_id: { nested: true }, temperature: NaN });
    const before = scored.length;
    await send([all.slice(0, 5000), all.slice(5000)]);
    const summaries = scored.slice(before).map((m) => m.alert);
    should(summaries.reduce((n, s) => n + s.readings, 0)).equal(10_000);
    // Each reading is judged by the one rule, or skipped with a reason, exactly once.
    const skipped = summaries.reduce(
      (n, s) => n + Object.values(s.skipped as Record<string, number>).reduce((a, b) => a + b, 0),
      0,
    );
    const judged = summaries.reduce((n, s) => n + s.judged, 0);
    should(judged + skipped).equal(10_000);
    should(skipped > 1000).be.true(`${skipped} skipped`);
    const reasons = Object.assign({}, ...summaries.map((s) => s.skipped)) as Record<string, number>;
    should(
      Object.keys(reasons).every((r) =>
        ['not_a_reading', 'no_series', 'bad_timestamp', 'missing', 'not_a_number', 'not_finite'].includes(r),
      ),
    ).be.true(JSON.stringify(reasons));
  });

  it('reads a threshold from flow context at every message, so it changes without a deploy', async () => {
    await helper.load(nodes, flow({ rules: [{ ...HIGH, threshold: { type: 'flow', value: 'hotAbove' } }] }));
    const events = collect(getNode('events'));
    const caught = collect(getNode('caught'));
    const a = getNode('a') as unknown as { context(): { flow: { set(k: string, v: unknown): void } } };
    a.context().flow.set('hotAbove', 50);
    await send([reading('TEMP_001', 0, 40)]);
    should(events).eql([]);
    a.context().flow.set('hotAbove', 30);
    await send([reading('TEMP_001', 5, 40)]);
    should(events.map((m) => m.payload.threshold)).eql([30]);
    a.context().flow.set('hotAbove', 'hot');
    await send([reading('TEMP_001', 10, 40)]);
    should(caught).eql([]);
  });

  it('skips a rule while its env threshold is not set, and says why, instead of judging against 0', async () => {
    delete process.env.ALERT_TEST_UNSET;
    await helper.load(nodes, flow({ rules: [{ ...HIGH, threshold: { type: 'env', value: 'ALERT_TEST_UNSET' } }] }));
    const events = collect(getNode('events'));
    const scored = collect(getNode('scored'));
    await send([reading('TEMP_001', 0, 40)]);
    should(events).eql([]);
    should(scored[0].alert.skipped).eql({ bad_setting: 1 });
  });

  it('starts afresh with a warning when its saved state is damaged', async () => {
    const dir = path.join(userDir, 'influxdb3-pipeline');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'alert-a.json'), '{"version":1,"series":[{"key":"TEMP_001","alerts":{"hot":');
    fs.writeFileSync(
      path.join(dir, 'alert-a.open.json'),
      '{"version":1,"alerts":[{"series":"TEMP_001","rule":"hot","lifecycle":{"state":"firing","episode":"x","startedAt":"soon"}}]}',
    );
    await helper.load(nodes, flow());
    const events = collect(getNode('events'));
    await send([reading('TEMP_001', 0, 40)]);
    should(events.map((m) => m.payload.event)).eql(['firing']);
  });

  it('keeps an open episode across a restart: no second firing, and the resolved carries the same episode id', async () => {
    await helper.load(nodes, flow());
    let events = collect(getNode('events'));
    await send([reading('TEMP_001', 0, 40), reading('TEMP_001', 5, 41)]);
    should(events.map((m) => m.payload.event)).eql(['firing']);
    const episode = events[0].payload.episodeId;
    should(fs.existsSync(path.join(userDir, 'influxdb3-pipeline', 'alert-a.open.json'))).be.true();
    await helper.unload();

    await helper.load(nodes, flow());
    events = collect(getNode('events'));
    await send([reading('TEMP_001', 10, 42), reading('TEMP_001', 15, 30)]);
    should(events.map((m) => m.payload.event)).eql(['resolved']);
    should(events[0].payload.episodeId).equal(episode);
  });

  it('fires a dead-man alert on its own timer when a device falls silent', async () => {
    await helper.load(
      nodes,
      flow({ rules: [{ name: 'silent', kind: 'deadman', seconds: 1 }], clock: 'system', checkSec: 0.1 }),
    );
    const events = collect(getNode('events'));
    await send([{ device_id: 'DOOR_001', temperature: 1 }]);
    await until([getNode('events')], () => events.length === 1);
    should(events[0].payload).match({ event: 'firing', series: 'DOOR_001', rule: 'silent', kind: 'deadman' });
    await send([{ device_id: 'DOOR_001' }]);
    should(events.map((m) => m.payload.event)).eql(['firing', 'resolved']);
  });

  it('tracks at most Max series: readings of a new series that finds no place (none silent a minute) are counted as untracked, and warned once', async () => {
    await helper.load(nodes, flow({ maxSeries: 2 }));
    const scored = collect(getNode('scored'));
    const a = getNode('a') as unknown as { warn: (m: string) => void };
    const warnings: string[] = [];
    const warn = a.warn.bind(a);
    a.warn = (m: string) => (warnings.push(m), warn(m));
    await send([
      [reading('TEMP_001', 0, 20), reading('TEMP_002', 0, 20), reading('TEMP_003', 0, 40)],
      [reading('TEMP_004', 5, 40)],
    ]);
    should(scored.map((m) => m.alert.untracked)).eql([1, 1]);
    should(warnings.filter((w) => /2 series tracked, none silent long enough/.test(w)).length).equal(1);
  });

  it('refuses rules that cannot work at deploy, with the reason', async () => {
    await helper.load(nodes, flow({ rules: [{ kind: 'threshold', field: 'temperature' }] }));
    const caught = collect(getNode('caught'));
    await send([reading('TEMP_001', 0, 40)]);
    should(caught[0].error.message).match(/set threshold/);
  });
});
