// The statistics behind the rules, against plain definitions computed the slow way.
import should from 'should';
import { RollingMoments } from '../../../nodes/lib/alert/rolling-moments';
import { median, medianAbsoluteDeviation, modifiedZ } from '../../../nodes/lib/alert/robust-zscore';
import { seededRandom } from '../../../nodes/lib/simulator/seeded-random';

const rnd = seededRandom('alert-statistics');

describe('alert statistics', () => {
  it('Welford over a sliding window matches a two-pass variance, also for values far from zero', () => {
    for (const offset of [0, 1e6, 1e9]) {
      const m = new RollingMoments();
      const window: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const x = offset + rnd.next() * 10;
        window.push(x);
        m.add(x);
        if (window.length > 100) m.remove(window.shift()!);
        m.settle(window);
      }
      const mean = window.reduce((a, b) => a + b, 0) / window.length;
      const variance = window.reduce((a, b) => a + (b - mean) ** 2, 0) / (window.length - 1);
      should(m.mean).be.approximately(mean, Math.max(1, offset) * 1e-12);
      should(Math.abs(m.variance - variance) / variance < 1e-6).be.true(
        `offset ${offset}: ${m.variance} vs ${variance}`,
      );
    }
  });

  it('median and MAD equal their definitions for odd and even windows, with ties', () => {
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + Math.floor(rnd.next() * 60);
      const xs = Array.from({ length: n }, () => Math.round(rnd.next() * 20) / 2).sort((a, b) => a - b);
      const slowMedian = (v: number[]) => {
        const s = [...v].sort((a, b) => a - b);
        return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
      };
      const med = median(xs);
      should(med).equal(slowMedian(xs));
      should(medianAbsoluteDeviation(xs, med)).equal(slowMedian(xs.map((x) => Math.abs(x - med))));
    }
  });

  it('the modified z-score is 0.6745 (x - median) / MAD', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9].sort((a, b) => a - b);
    // median 5, deviations 0..4 -> MAD 2
    should(modifiedZ(xs, 15)).be.approximately((0.6745 * 10) / 2, 1e-12);
  });
});
