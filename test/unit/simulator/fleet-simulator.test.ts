import assert from 'node:assert/strict';
import { Emission, FaultRule, FleetSimulator, SimulatorOptions } from '../../../nodes/lib/simulator/fleet-simulator';
import { FleetSpecError, checkFleetSpec, referenceFleet } from '../../../nodes/lib/simulator/fleet-spec';

const START = Date.UTC(2026, 10, 22, 6, 0);
const HOUR = 3_600_000;

function sim(over: Partial<SimulatorOptions> = {}, fleet = referenceFleet()) {
  return new FleetSimulator(fleet, {
    seed: 'test', startMs: START, intervalMs: 5000, mode: 'spread',
    topicTemplate: 'iot/sensors/{{device_type}}/{{device_id}}', utcOffsetMinutes: 0, faults: [], ...over,
  });
}

type Reading = Record<string, unknown>;
const readings = (es: Emission[]) => es.map((e) => e.payload as Reading);
const of = (es: Emission[], id: string) => readings(es).filter((r) => typeof r === 'object' && r.device_id === id);

describe('fleet simulator', () => {
  it('builds the reference fleet: 50 temperature, 20 motion, 10 door sensors', () => {
    const s = sim();
    assert.equal(s.devices.length, 80);
    assert.deepEqual([s.devices[0].id, s.devices[49].id, s.devices[50].id, s.devices[79].id], ['TEMP_001', 'TEMP_050', 'MOTION_001', 'DOOR_010']);
    const r = readings(s.advance(START + 4999));
    assert.equal(r.length, 80, 'each device once per 5 s interval');
    assert.deepEqual(Object.keys(r[0]), ['device_id', 'device_type', 'location', 'floor', 'timestamp', 'temperature', 'humidity', 'battery_level', 'signal_strength']);
    for (const x of r) {
      assert.ok(['warehouse_a', 'warehouse_b', 'office_main'].includes(x.location as string));
      assert.ok(['1', '2', '3'].includes(x.floor as string));
    }
  });

  it('gives the same readings for the same seed and start, byte for byte, and others for another seed', () => {
    const a = JSON.stringify(sim().advance(START + HOUR / 4));
    const b = JSON.stringify(sim().advance(START + HOUR / 4));
    assert.equal(a, b);
    assert.notEqual(JSON.stringify(sim({ seed: 'other' }).advance(START + HOUR / 4)), a);
    // advancing in many small steps gives the same stream as one big step
    const stepped = sim();
    const parts: Emission[] = [];
    for (let t = START; t <= START + HOUR / 4; t += 777) parts.push(...stepped.advance(t));
    parts.push(...stepped.advance(START + HOUR / 4));
    assert.equal(JSON.stringify(parts), a);
  });

  it('catches up in slices of at most maxMessages, giving the same stream as one call', () => {
    const whole = JSON.stringify(sim({ faults: [{ kind: 'late', rate: 0.05, delayMs: 7000 }] }).advance(START + HOUR / 4));
    const s = sim({ faults: [{ kind: 'late', rate: 0.05, delayMs: 7000 }] });
    const parts: Emission[] = [];
    for (let slice = s.advance(START + HOUR / 4, 500); slice.length > 0; slice = s.advance(START + HOUR / 4, 500)) {
      assert.ok(slice.length <= 500 + 80, `slice of ${slice.length}`);
      parts.push(...slice);
    }
    assert.equal(JSON.stringify(parts), whole);
    for (const mode of ['spread', 'array'] as const) {
      const t = sim({ mode });
      assert.equal(t.readingsDueBy(START + HOUR), readings(sim({ mode }).advance(START + HOUR)).reduce((a, p) => a + (Array.isArray(p) ? p.length : 1), 0));
    }
  });

  it('spreads readings over the interval instead of sending all at once', () => {
    const es = sim().advance(START + 4999);
    const gaps = es.slice(1).map((e, i) => e.atMs - es[i].atMs);
    assert.ok(gaps.every((g) => g >= 62 && g <= 63), `gaps ${Math.min(...gaps)}..${Math.max(...gaps)}`);
    assert.equal(es[0].topic, 'iot/sensors/temperature/TEMP_001');
  });

  it('sends one array per interval in array mode', () => {
    const es = sim({ mode: 'array' }).advance(START + 10_000);
    assert.equal(es.length, 3);
    assert.equal((es[0].payload as unknown[]).length, 80);
    assert.equal(es[0].topic, 'iot/sensors');
  });

  it('runs an hour of simulated time at once with realistic values', () => {
    const s = sim();
    const r = readings(s.advance(START + HOUR - 1));
    assert.equal(r.length, 80 * 720);
    assert.equal(s.readingsSent, 57_600);
    const temps = r.filter((x) => x.device_type === 'temperature').map((x) => x.temperature as number);
    const mean = temps.reduce((a, b) => a + b, 0) / temps.length;
    const sd = Math.sqrt(temps.reduce((a, b) => a + (b - mean) ** 2, 0) / temps.length);
    assert.ok(Math.abs(mean - 25) < 0.1, `mean ${mean}`);
    assert.ok(Math.abs(sd - 2) < 0.1, `sd ${sd}`);
    const motion = r.filter((x) => x.device_type === 'motion');
    const share = motion.filter((x) => x.motion_detected === true).length / motion.length;
    assert.ok(Math.abs(share - 0.25) < 0.02, `motion share ${share}`);
    const sig = r.filter((x) => x.device_type === 'temperature').map((x) => x.signal_strength as number);
    assert.ok(sig.every((v) => Number.isInteger(v) && v >= -90 && v <= -30));
    const battery = of(s.advance(START + HOUR + 4999), 'TEMP_001')[0].battery_level as number;
    assert.ok(battery < 100 - 720 * 0.001 && battery > 100 - 721 * 0.01, `battery ${battery}`);
  });

  it('adds 3 degC between 10:00 and 18:00 local time', () => {
    const mean = (t0: number, offset: number) => {
      const r = readings(sim({ startMs: t0, utcOffsetMinutes: offset }).advance(t0 + HOUR / 2));
      const t = r.filter((x) => x.device_type === 'temperature').map((x) => x.temperature as number);
      return t.reduce((a, b) => a + b, 0) / t.length;
    };
    const night = mean(Date.UTC(2026, 10, 22, 3), 0);
    const day = mean(Date.UTC(2026, 10, 22, 12), 0);
    assert.ok(day - night > 2.7 && day - night < 3.3, `day ${day} night ${night}`);
    const dayInTokyo = mean(Date.UTC(2026, 10, 22, 3), 9 * 60);
    assert.ok(dayInTokyo - night > 2.7, 'local time follows the UTC offset');
  });

  it('changes rate from the next tick', () => {
    const s = sim();
    s.advance(START + 4999);
    s.setInterval(1000);
    assert.equal(s.advance(START + 5000 + 999).length, 80);
    assert.equal(s.ratePerSecond, 80);
  });

  describe('faults', () => {
    const faulty = (rule: FaultRule, ms = 60_000) => sim({ faults: [rule] }).advance(START + ms);
    const clean = readings(sim().advance(START + 60_000));

    it('spike: the first float field jumps by many deviations', () => {
      const es = faulty({ kind: 'spike', rate: 1, device: 'TEMP_001', magnitude: 8 });
      const spiked = of(es, 'TEMP_001');
      const normal = clean.filter((r) => r.device_id === 'TEMP_001');
      spiked.forEach((r, i) => assert.ok(Math.abs((r.temperature as number) - (normal[i].temperature as number)) > 15));
      assert.deepEqual(of(es, 'TEMP_002'), clean.filter((r) => r.device_id === 'TEMP_002'), 'other devices unchanged');
    });

    it('stuck: the device repeats its values for the duration', () => {
      const s = sim({ faults: [] });
      s.advance(START);
      s.injectFault({ kind: 'stuck', device: 'TEMP_002', durationMs: 30_000 }, START);
      const r = of(s.advance(START + 60_000), 'TEMP_002');
      const stuck = r.filter((x) => Date.parse(x.timestamp as string) < START + 30_000);
      assert.ok(stuck.length >= 5);
      assert.ok(stuck.every((x) => x.temperature === stuck[0].temperature && x.humidity === stuck[0].humidity));
      const after = r.filter((x) => Date.parse(x.timestamp as string) >= START + 30_000);
      assert.ok(after.some((x) => x.temperature !== stuck[0].temperature));
    });

    it('dropout: the device falls silent for the duration, then returns', () => {
      const s = sim();
      s.injectFault({ kind: 'dropout', device: 'DOOR_003', durationMs: 30_000 }, START);
      const r = of(s.advance(START + 60_000), 'DOOR_003');
      assert.ok(r.every((x) => Date.parse(x.timestamp as string) >= START + 30_000));
      assert.equal(r.length, 6);
    });

    it('out_of_range: an impossible value', () => {
      const r = of(faulty({ kind: 'out_of_range', rate: 1, device: 'TEMP_003' }), 'TEMP_003');
      assert.ok(r.every((x) => Math.abs(x.temperature as number) === 9999.9));
    });

    it('integral_float: floats sent as whole numbers', () => {
      const r = of(faulty({ kind: 'integral_float', rate: 1, device: 'temperature' }), 'TEMP_004');
      assert.ok(r.every((x) => Number.isInteger(x.temperature) && Number.isInteger(x.humidity)));
      assert.ok(clean.filter((x) => x.device_id === 'TEMP_004').some((x) => !Number.isInteger(x.temperature)));
    });

    it('malformed: payloads a broken device would send', () => {
      const es = faulty({ kind: 'malformed', rate: 1, device: 'MOTION_001' }, 5 * 60_000);
      const bad = es.filter((e) => e.topic.endsWith('MOTION_001'));
      assert.equal(bad.length, 60);
      const kinds = new Set(bad.map((e) => (typeof e.payload === 'string' ? (e.payload.startsWith('{') ? 'cut' : 'csv') : 'device_id' in (e.payload as object) ? 'type' : 'noid')));
      assert.deepEqual([...kinds].sort(), ['csv', 'cut', 'noid', 'type']);
      assert.ok(bad.every((e) => e.faults?.includes('malformed')));
    });

    it('duplicate: the reading is sent twice', () => {
      const es = faulty({ kind: 'duplicate', rate: 1, device: 'TEMP_005' });
      const r = of(es, 'TEMP_005');
      assert.equal(r.length, 24);
      for (let i = 0; i < r.length; i += 2) {
        assert.deepEqual(r[i], r[i + 1]);
        assert.notEqual(r[i], r[i + 1], 'two objects, not one shared');
      }
    });

    it('late: readings arrive after others, out of order', () => {
      const es = faulty({ kind: 'late', rate: 1, device: 'TEMP_006', delayMs: 20_000 });
      const idx = es.findIndex((e) => (e.payload as Reading).device_id === 'TEMP_006');
      const first = es[idx];
      assert.equal(first.atMs - Date.parse((first.payload as Reading).timestamp as string), 20_000);
      const prev = es[idx - 1].payload as Reading;
      assert.ok(Date.parse(prev.timestamp as string) > Date.parse((first.payload as Reading).timestamp as string), 'arrives after newer readings');
      assert.ok(es.every((e, i) => i === 0 || e.atMs >= es[i - 1].atMs), 'messages leave in send-time order');
    });

    it('rates apply per reading, and faults never change other devices', () => {
      const es = faulty({ kind: 'spike', rate: 0.1, device: '*' }, 10 * 60_000);
      const hit = es.filter((e) => e.faults?.includes('spike')).length;
      assert.ok(hit > 0.07 * es.length && hit < 0.13 * es.length, `${hit} of ${es.length}`);
    });
  });

  it('refuses a bad custom fleet with the path of the problem', () => {
    assert.throws(() => checkFleetSpec({ deviceTypes: [{ type: 'p', count: 2, fields: { v: { gen: 'normal', mean: 1 } } }] }),
      (e: unknown) => e instanceof FleetSpecError && /deviceTypes\[0\]\.fields\.v\.sd/.test(e.message));
    assert.throws(() => checkFleetSpec({ deviceTypes: [] }), /non-empty array/);
    assert.throws(() => checkFleetSpec({ deviceTypes: [{ type: 'p', count: -1, fields: {} }] }), /count/);
    const f = checkFleetSpec({ deviceTypes: [{ type: 'pressure', count: 3, fields: { p: { gen: 'walk', start: 1000, step: 1 } } }] });
    const r = readings(sim({}, f).advance(START + 4999));
    assert.deepEqual(r.map((x) => x.device_id), ['PRESSURE_001', 'PRESSURE_002', 'PRESSURE_003']);
  });
});
