import should from 'should';
import { compileSchema } from '../../nodes/lib/schema/compiled-schema';
import { createLineEncoder } from '../../nodes/lib/line-protocol/line-encoder';
import { LineWriter } from '../../nodes/lib/line-protocol/line-writer';
import { referenceSchema } from '../../nodes/lib/schema/reference-schema';
import { seededRandom } from '../../nodes/lib/simulator/seeded-random';
import { Instant, formatAtPrecision, formatIso, parseTimestamp } from '../../nodes/lib/timestamps';

const T = Date.UTC(2026, 10, 22, 10, 15, 0, 123); // 2026-11-22T10:15:00.123Z

function ok(v: unknown): Instant {
  const t = parseTimestamp(v);
  should(typeof t).equal('object', `expected an instant for ${String(v)}, got: ${String(t)}`);
  return t as Instant;
}

describe('timestamps', () => {
  it('reads ISO 8601 with Z, offsets, no zone (UTC), date only and comma fractions', () => {
    const cases: [string, number, number][] = [
      ['2026-11-22T10:15:00.123Z', T, 0],
      ['2026-11-22T10:15:00.123456789Z', T, 456789],
      ['2026-11-22T11:15:00.123+01:00', T, 0],
      ['2026-11-22T05:15:00.123-0500', T, 0],
      ['2026-11-22T10:15:00.123', T, 0],
      ['2026-11-22 10:15:00,123Z', T, 0],
      ['2026-11-22T10:15Z', T - 123, 0],
      ['2026-11-22', Date.UTC(2026, 10, 22), 0],
      ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29), 0],
    ];
    for (const [s, ms, nanos] of cases) should(ok(s)).eql({ ms, nanos }, s);
  });

  it('gives the same instant on the cached fast path as on the full parse', () => {
    ok('2026-11-22T10:15:00.000Z'); // primes the cache with this second
    should(ok('2026-11-22T10:15:00.123Z')).eql({ ms: T, nanos: 0 });
    should(ok('2026-11-22T10:15:00.1234567Z')).eql({ ms: T, nanos: 456700 });
    should(ok('2026-11-22T10:15:00Z')).eql({ ms: T - 123, nanos: 0 });
    should(typeof parseTimestamp('2026-11-22T10:15:00.12x4Z')).equal('string');
  });

  it('refuses impossible dates and times with a reason', () => {
    for (const s of [
      '2026-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-04-31',
      '2026-11-22T24:00:00Z',
      '2026-11-22T10:60:00Z',
      '2026-11-22T10:15:00+25:00',
      'yesterday',
      '',
      '2026-11-22T10:15:00.1234567890Z',
      'NaN',
    ]) {
      const r = parseTimestamp(s);
      should(typeof r).equal('string', s);
      should(r).match(/ISO 8601|month|day|time of day|offset|number/, s);
    }
  });

  it('tells epoch seconds, milliseconds, microseconds and nanoseconds apart by magnitude', () => {
    const s = 1_795_342_500; // 2026-11-22T10:15:00Z
    should(ok(s)).eql({ ms: s * 1000, nanos: 0 });
    should(ok(s + 0.5)).eql({ ms: s * 1000 + 500, nanos: 0 });
    should(ok(s * 1000 + 123)).eql({ ms: s * 1000 + 123, nanos: 0 });
    should(ok((s * 1000 + 123) * 1000 + 456)).eql({ ms: s * 1000 + 123, nanos: 456000 });
    should(ok(`${s * 1000 + 123}456789`)).eql({ ms: s * 1000 + 123, nanos: 456789 }, 'digit string stays exact');
    should(ok(BigInt(s * 1000 + 123) * 1_000_000n + 7n)).eql({ ms: s * 1000 + 123, nanos: 7 });
    should(ok(String(s))).eql({ ms: s * 1000, nanos: 0 });
    should(ok(new Date(T))).eql({ ms: T, nanos: 0 });
  });

  it('refuses non-finite numbers, invalid Dates, other types and instants InfluxDB cannot store', () => {
    for (const v of [
      NaN,
      Infinity,
      new Date('x'),
      true,
      {},
      [],
      null,
      '99999999999999999999',
      10n ** 20n,
      '2263-01-01T00:00:00Z',
      '1677-01-01T00:00:00Z',
    ]) {
      should(typeof parseTimestamp(v)).equal('string', String(v));
    }
  });

  it('formats at every precision, truncating towards the past', () => {
    const t: Instant = { ms: T, nanos: 456789 };
    should(formatAtPrecision(t, 'ns')).equal(`${T}456789`);
    should(formatAtPrecision(t, 'us')).equal(`${T}456`);
    should(formatAtPrecision(t, 'ms')).equal(`${T}`);
    should(formatAtPrecision(t, 's')).equal(`${Math.floor(T / 1000)}`);
    should(formatAtPrecision({ ms: 0, nanos: 5 }, 'ns')).equal('5');
    should(formatAtPrecision({ ms: -1, nanos: 999_999 }, 'ns')).equal('-1');
    should(formatAtPrecision({ ms: -1500, nanos: 0 }, 's')).equal('-2');
  });

  it('normalises to ISO 8601 UTC with milliseconds, or nanoseconds when needed', () => {
    should(formatIso({ ms: T, nanos: 0 })).equal('2026-11-22T10:15:00.123Z');
    should(formatIso({ ms: T, nanos: 45 })).equal('2026-11-22T10:15:00.123000045Z');
  });
});

describe('timestamps as the encoder writes them', () => {
  it('writes canonical ISO strings exactly as parse + format would, at every precision', () => {
    const strings = [
      '2026-11-22T10:15:00Z',
      '2026-11-22T10:15:00.1Z',
      '2026-11-22T10:15:00.123Z',
      '2026-11-22T10:15:00.123456Z',
      '2026-11-22T10:15:00.123456789Z',
      '2026-11-22T10:15:01.5Z',
      '1970-01-01T00:00:01Z',
      '2262-04-11T23:47:16Z',
      // not canonical, or outside the fast path: written through the general parser
      '1970-01-01T00:00:00.000000001Z',
      '2026-11-22T11:15:00+01:00',
      '2026-11-22 10:15:00.5Z',
    ];
    for (let i = 0; i < 2000; i++)
      strings.push(
        new Date(Date.UTC(1970 + (i % 290), i % 12, 1 + (i % 28), i % 24, i % 60, i % 60, i % 1000)).toISOString(),
      );
    for (const p of ['ns', 'us', 'ms', 's'] as const) {
      const encode = createLineEncoder(compileSchema(referenceSchema()), p);
      for (const s of strings) {
        const line = encode(
          {
            device_type: 'door',
            device_id: 'D',
            location: 'x',
            floor: '1',
            door_open: true,
            open_count: 1,
            battery_level: 1,
            timestamp: s,
          },
          0,
        );
        should(String(line).split(' ').pop()).equal(formatAtPrecision(ok(s), p), `${s} at ${p}`);
      }
    }
  });

  it('refuses what is not a timestamp on the fast path too', () => {
    const encode = createLineEncoder(compileSchema(referenceSchema()));
    for (const bad of [
      '2026-11-22T10:15:00.12a4Z',
      '2026-02-30T00:00:00Z',
      '2026-11-22T10:15:60Z',
      '2263-01-01T00:00:00Z',
    ]) {
      const out = encode(
        {
          device_type: 'door',
          device_id: 'D',
          location: 'x',
          floor: '1',
          door_open: true,
          open_count: 1,
          battery_level: 1,
          timestamp: bad,
        },
        0,
      );
      should(typeof out !== 'string').be.true(bad);
    }
  });
});

describe('LineWriter numbers', () => {
  const written = (f: (w: LineWriter) => void) => {
    const w = new LineWriter(16);
    f(w);
    w.endLine();
    return w.toString();
  };

  it('writes the floats sensors send as short decimals', () => {
    const cases: [number, string][] = [
      [25.37, '25.37'],
      [-0.5, '-0.5'],
      [0.05, '0.05'],
      [-0.005, '-0.005'],
      [50, '50'],
      [0, '0'],
      [-0, '0'],
      [99.994, '99.994'],
      [1013.25, '1013.25'],
      [-61, '-61'],
      [0.0001, '0.0001'],
      [2147483647, '2147483647'],
    ];
    for (const [v, s] of cases) should(written((w) => w.float(v))).equal(s);
  });

  it('writes every double so that it reads back exactly, in a form line protocol accepts', () => {
    const rng = seededRandom('floats');
    const specials = [
      1e21,
      1e-7,
      5e-324,
      1.7976931348623157e308,
      0.1 + 0.2,
      2 ** 53,
      2147483647.5,
      1 / 3,
      123456789.123,
    ];
    const values = [...specials, ...specials.map((v) => -v)];
    for (let i = 0; i < 100_000; i++) {
      values.push(
        (rng.next() - 0.5) * 10 ** rng.int(-8, 12),
        Math.round(rng.normal(25, 20) * 10 ** rng.int(0, 5)) / 10 ** rng.int(0, 5),
      );
    }
    for (const v of values) {
      const s = written((w) => w.float(v));
      should(Number(s) === v).be.true(`${v} -> ${s}`); // === : -0 is written as 0, as String(-0) is
      should(s).match(/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/, `${v} -> ${s}`);
    }
  });

  it('writes integers of any size', () => {
    for (const v of [0, 7, -7, 10, 99, 100, -2147483647, 2147483648, 9007199254740991, -9007199254740991]) {
      should(written((w) => w.int(v))).equal(String(v));
    }
  });
});
