import assert from 'node:assert/strict';
import { formatFloat } from '../../nodes/lib/format-float';
import { seededRandom } from '../../nodes/lib/seeded-random';

describe('formatFloat', () => {
  it('writes the values sensors send as short decimals', () => {
    const cases: [number, string][] = [[25.37, '25.37'], [-0.5, '-0.5'], [0.05, '0.05'], [-0.005, '-0.005'], [50, '50'], [0, '0'],
      [-0, '0'], [99.994, '99.994'], [1013.25, '1013.25'], [-61, '-61'], [0.0001, '0.0001']];
    for (const [v, s] of cases) assert.equal(formatFloat(v), s);
  });

  it('reads back as exactly the same number, for every kind of double', () => {
    const rng = seededRandom('floats');
    const specials = [1e21, 1e-7, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 2 ** 53, 2147483647.5, 1 / 3, 123456789.123];
    const values = [...specials, ...specials.map((v) => -v)];
    for (let i = 0; i < 100_000; i++) {
      const scale = 10 ** rng.int(-8, 12);
      values.push((rng.next() - 0.5) * scale, Math.round(rng.normal(25, 20) * 10 ** rng.int(0, 5)) / 10 ** rng.int(0, 5));
    }
    for (const v of values) {
      const s = formatFloat(v);
      assert.ok(Number(s) === v, `${v} -> ${s}`); // === : -0 is written as 0, as String(-0) does
      assert.match(s, /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/, `${v} -> ${s} is a line-protocol float`);
      assert.ok(s.length <= String(v).length + 1, `${s} is about as short as ${String(v)}`);
    }
  });
});
