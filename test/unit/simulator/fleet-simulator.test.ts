import should from 'should';
import { Emission, FaultRule, FleetSimulator, SimulatorOptions } from '../../../nodes/lib/simulator/fleet-simulator';
import { FleetSpecError, checkFleetSpec, referenceFleet } from '../../../nodes/lib/simulator/fleet-spec';

const START = Date.UTC(2026, 10, 22, 6, 0);
const HOUR = 3_600_000;

function sim(over: Partial<SimulatorOptions> = {}, fleet = referenceFleet()) {
  return new FleetSimulator(fleet, {
    seed: 'test',
    startMs: START,
    intervalMs: 5000,
    mode: 'spread',
    topicTemplate: 'iot/sensors/{{device_type}}/{{device_id}}',
    utcOffsetMinutes: 0,
    faults: [],
    ...over,
  });
}

type Reading = Record<string, unknown>;
const readings = (es: Emission[]) => es.map((e) => e.payload as Reading);
const of = (es: Emission[], id: string) => readings(es).filter((r) => typeof r === 'object' && r.device_id === id);

describe('fleet simulator', () => {
  it('builds the reference fleet: 50 temperature, 20 motion, 10 door sensors', () => {
    const s = sim();
    should(s.devices.length).equal(80);
    should([s.devices[0].id, s.devices[49].id, s.devices[50].id, s.devices[79].id]).eql([
      'TEMP_001',
      'TEMP_050',
      'MOTION_001',
      'DOOR_010',
    ]);
    const r = readings(s.advance(START + 4999));
    should(r.length).equal(80, 'each device once per 5 s interval');
    should(Object.keys(r[0])).eql([
      'device_id',
      'device_type',
      'location',
      'floor',
      'timestamp',
      'temperature',
      'humidity',
      'battery_level',
      'signal_strength',
    ]);
    for (const x of r) {
      should(['warehouse_a', 'warehouse_b', 'office_main'].includes(x.location as string)).be.true();
      should(['1', '2', '3'].includes(x.floor as string)).be.true();
    }
  });

  it('gives the same readings for the same seed and start, byte for byte, and others for another seed', () => {
    const a = JSON.stringify(sim().advance(START + HOUR / 4));
    const b = JSON.stringify(sim().advance(START + HOUR / 4));
    should(a).equal(b);
    should(JSON.stringify(sim({ seed: 'other' }).advance(START + HOUR / 4))).not.equal(a);
    // advancing in many small steps gives the same stream as one big step
    const stepped = sim();
    const parts: Emission[] = [];
    for (let t = START; t <= START + HOUR / 4; t += 777) parts.push(...stepped.advance(t));
    parts.push(...stepped.advance(START + HOUR / 4));
    should(JSON.stringify(parts)).equal(a);
  });

  it('catches up in slices of at most maxMessages, giving the same stream as one call', () => {
    const whole = JSON.stringify(
      sim({ faults: [{ kind: 'late', rate: 0.05, delayMs: 7000 }] }).advance(START + HOUR / 4),
    );
    const s = sim({ faults: [{ kind: 'late', rate: 0.05, delayMs: 7000 }] });
    const parts: Emission[] = [];
    for (let slice = s.advance(START + HOUR / 4, 500); slice.length > 0; slice = s.advance(START + HOUR / 4, 500)) {
      should(slice.length <= 500 + 80).be.true(`slice of ${slice.length}`);
      parts.push(...slice);
    }
    should(JSON.stringify(parts)).equal(whole);
    for (const mode of ['spread', 'array'] as const) {
      const t = sim({ mode });
      should(t.readingsDueBy(START + HOUR)).equal(
        readings(sim({ mode }).advance(START + HOUR)).reduce((a, p) => a + (Array.isArray(p) ? p.length : 1), 0),
      );
    }
  });

  it('spreads readings over the interval instead of sending all at once', () => {
    const es = sim().advance(START + 4999);
    const gaps = es.slice(1).map((e, i) => e.atMs - es[i].atMs);
    should(gaps.every((g) => g >= 62 && g <= 63)).be.true(`gaps ${Math.min(...gaps)}..${Math.max(...gaps)}`);
    should(es[0].topic).equal('iot/sensors/temperature/TEMP_001');
  });

  it('sends one array per interval in array mode', () => {
    const es = sim({ mode: 'array' }).advance(START + 10_000);
    should(es.length).equal(3);
    should((es[0].payload as unknown[]).length).equal(80);
    should(es[0].topic).equal('iot/sensors');
  });

  it('runs an hour of simulated time at once with realistic values', () => {
    const s = sim();
    const r = readings(s.advance(START + HOUR - 1));
    should(r.length).equal(80 * 720);
    should(s.readingsSent).equal(57_600);
    const temps = r.filter((x) => x.device_type === 'temperature').map((x) => x.temperature as number);
    const mean = temps.reduce((a, b) => a + b, 0) / temps.length;
    const sd = Math.sqrt(temps.reduce((a, b) => a + (b - mean) ** 2, 0) / temps.length);
    should(Math.abs(mean - 25) < 0.1).be.true(`mean ${mean}`);
    should(Math.abs(sd - 2) < 0.1).be.true(`sd ${sd}`);
    const motion = r.filter((x) => x.device_type === 'motion');
    const share = motion.filter((x) => x.motion_detected === true).length / motion.length;
    should(Math.abs(share - 0.25) < 0.02).be.true(`motion share ${share}`);
    const sig = r.filter((x) => x.device_type === 'temperature').map((x) => x.signal_strength as number);
    should(sig.every((v) => Number.isInteger(v) && v >= -90 && v <= -30)).be.true();
    const battery = of(s.advance(START + HOUR + 4999), 'TEMP_001')[0].battery_level as number;
    should(battery < 100 - 720 * 0.001 && battery > 100 - 721 * 0.01).be.true(`battery ${battery}`);
  });

  it('adds 3 degC between 10:00 and 18:00 local time', () => {
    const mean = (t0: number, offset: number) => {
      const r = readings(sim({ startMs: t0, utcOffsetMinutes: offset }).advance(t0 + HOUR / 2));
      const t = r.filter((x) => x.device_type === 'temperature').map((x) => x.temperature as number);
      return t.reduce((a, b) => a + b, 0) / t.length;
    };
    const night = mean(Date.UTC(2026, 10, 22, 3), 0);
    const day = mean(Date.UTC(2026, 10, 22, 12), 0);
    should(day - night > 2.7 && day - night < 3.3).be.true(`day ${day} night ${night}`);
    const dayInTokyo = mean(Date.UTC(2026, 10, 22, 3), 9 * 60);
    should(dayInTokyo - night > 2.7).be.true('local time follows the UTC offset');
  });

  it('changes rate from the next tick', () => {
    const s = sim();
    s.advance(START + 4999);
    s.setInterval(1000);
    should(s.advance(START + 5000 + 999).length).equal(80);
    should(s.ratePerSecond).equal(80);
  });

  describe('faults', () => {
    const faulty = (rule: FaultRule, ms = 60_000) => sim({ faults: [rule] }).advance(START + ms);
    const clean = readings(sim().advance(START + 60_000));

    it('spike: the first float field jumps by many deviations', () => {
      const es = faulty({ kind: 'spike', rate: 1, device: 'TEMP_001', magnitude: 8 });
      const spiked = of(es, 'TEMP_001');
      const normal = clean.filter((r) => r.device_id === 'TEMP_001');
      spiked.forEach((r, i) =>
        should(Math.abs((r.temperature as number) - (normal[i].temperature as number)) > 15).be.true(),
      );
      should(of(es, 'TEMP_002')).eql(
        clean.filter((r) => r.device_id === 'TEMP_002'),
        'other devices unchanged',
      );
    });

    it('stuck: the device repeats its values for the duration', () => {
      const s = sim({ faults: [] });
      s.advance(START);
      s.injectFault({ kind: 'stuck', device: 'TEMP_002', durationMs: 30_000 }, START);
      const r = of(s.advance(START + 60_000), 'TEMP_002');
      const stuck = r.filter((x) => Date.parse(x.timestamp as string) < START + 30_000);
      should(stuck.length >= 5).be.true();
      should(stuck.every((x) => x.temperature === stuck[0].temperature && x.humidity === stuck[0].humidity)).be.true();
      const after = r.filter((x) => Date.parse(x.timestamp as string) >= START + 30_000);
      should(after.some((x) => x.temperature !== stuck[0].temperature)).be.true();
    });

    it('dropout: the device falls silent for the duration, then returns', () => {
      const s = sim();
      s.injectFault({ kind: 'dropout', device: 'DOOR_003', durationMs: 30_000 }, START);
      const r = of(s.advance(START + 60_000), 'DOOR_003');
      should(r.every((x) => Date.parse(x.timestamp as string) >= START + 30_000)).be.true();
      should(r.length).equal(6);
    });

    it('out_of_range: an impossible value', () => {
      const r = of(faulty({ kind: 'out_of_range', rate: 1, device: 'TEMP_003' }), 'TEMP_003');
      should(r.every((x) => Math.abs(x.temperature as number) === 9999.9)).be.true();
    });

    it('integral_float: floats sent as whole numbers', () => {
      const r = of(faulty({ kind: 'integral_float', rate: 1, device: 'temperature' }), 'TEMP_004');
      should(r.every((x) => Number.isInteger(x.temperature) && Number.isInteger(x.humidity))).be.true();
      should(clean.filter((x) => x.device_id === 'TEMP_004').some((x) => !Number.isInteger(x.temperature))).be.true();
    });

    it('malformed: payloads a broken device would send', () => {
      const es = faulty({ kind: 'malformed', rate: 1, device: 'MOTION_001' }, 5 * 60_000);
      const bad = es.filter((e) => e.topic.endsWith('MOTION_001'));
      should(bad.length).equal(60);
      const kinds = new Set(
        bad.map((e) =>
          typeof e.payload === 'string'
            ? e.payload.startsWith('{')
              ? 'cut'
              : 'csv'
            : 'device_id' in (e.payload as object)
              ? 'type'
              : 'noid',
        ),
      );
      should([...kinds].sort()).eql(['csv', 'cut', 'noid', 'type']);
      should(bad.every((e) => e.faults?.includes('malformed'))).be.true();
    });

    it('duplicate: the reading is sent twice', () => {
      const es = faulty({ kind: 'duplicate', rate: 1, device: 'TEMP_005' });
      const r = of(es, 'TEMP_005');
      should(r.length).equal(24);
      for (let i = 0; i < r.length; i += 2) {
        should(r[i]).eql(r[i + 1]);
        should(r[i]).not.equal(r[i + 1], 'two objects, not one shared');
      }
    });

    it('late: readings arrive after others, out of order', () => {
      const es = faulty({ kind: 'late', rate: 1, device: 'TEMP_006', delayMs: 20_000 });
      const idx = es.findIndex((e) => (e.payload as Reading).device_id === 'TEMP_006');
      const first = es[idx];
      should(first.atMs - Date.parse((first.payload as Reading).timestamp as string)).equal(20_000);
      const prev = es[idx - 1].payload as Reading;
      should(Date.parse(prev.timestamp as string) > Date.parse((first.payload as Reading).timestamp as string)).be.true(
        'arrives after newer readings',
      );
      should(es.every((e, i) => i === 0 || e.atMs >= es[i - 1].atMs)).be.true('messages leave in send-time order');
    });

    it('rates apply per reading, and faults never change other devices', () => {
      const es = faulty({ kind: 'spike', rate: 0.1, device: '*' }, 10 * 60_000);
      const hit = es.filter((e) => e.faults?.includes('spike')).length;
      should(hit > 0.07 * es.length && hit < 0.13 * es.length).be.true(`${hit} of ${es.length}`);
    });
  });

  it('refuses a bad custom fleet with the path of the problem', () => {
    should(() =>
      checkFleetSpec({ deviceTypes: [{ type: 'p', count: 2, fields: { v: { gen: 'normal', mean: 1 } } }] }),
    ).throw(FleetSpecError, { message: /deviceTypes\[0\]\.fields\.v\.sd/ });
    should(() => checkFleetSpec({ deviceTypes: [] })).throw(/non-empty array/);
    should(() => checkFleetSpec({ deviceTypes: [{ type: 'p', count: -1, fields: {} }] })).throw(/count/);
    const f = checkFleetSpec({
      deviceTypes: [{ type: 'pressure', count: 3, fields: { p: { gen: 'walk', start: 1000, step: 1 } } }],
    });
    const r = readings(sim({}, f).advance(START + 4999));
    should(r.map((x) => x.device_id)).eql(['PRESSURE_001', 'PRESSURE_002', 'PRESSURE_003']);
  });
});
