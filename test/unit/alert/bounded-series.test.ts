// The alert engine's series are bounded: silent ones are forgotten, their open alerts resolved
// with the reason; when full, the longest silent one gives its place to a new one; a flood of
// bogus ids cannot stop the real devices from being judged.
import should from 'should';
import { AlertEngine, fixedLimits } from '../../../nodes/lib/alert/alert-engine';
import { checkRules } from '../../../nodes/lib/alert/rules';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const options = (maxSeries: number, forgetAfterMs = 3_600_000) => ({
  rules: checkRules([
    { name: 'silent', kind: 'deadman', seconds: 30 },
    { name: 'hot', kind: 'threshold', field: 'v', threshold: 30 },
  ]),
  seriesKey: 'id',
  tagKeys: [],
  timestampKey: 't',
  maxSeries,
  forgetAfterMs,
  clock: 'system' as const,
});

function engine(maxSeries: number, forgetAfterMs?: number) {
  const o = options(maxSeries, forgetAfterMs);
  const e = new AlertEngine(o);
  const limits = o.rules.map(fixedLimits);
  const feed = (now: number, ...readings: object[]) => e.process(readings, now, limits);
  return { e, feed };
}

describe('alert engine: bounded series', () => {
  it('forgets a series silent for Forget after, resolving its open alerts with the reason, and saves without it', () => {
    const { e, feed } = engine(10);
    feed(T0, { id: 'A', v: 40 }, { id: 'B', v: 1 });
    should(e.tick(T0 + 31_000).map((x) => `${x.event}:${x.rule}:${x.series}`)).eql([
      'firing:silent:A',
      'firing:silent:B',
    ]);
    feed(T0 + 40_000, { id: 'B', v: 1 }); // B speaks again; A stays silent, hot and dead
    feed(T0 + 3_590_000, { id: 'B', v: 1 });
    const later = e.tick(T0 + 3_600_001);
    should(later.map((x) => `${x.event}:${x.rule}:${x.series}`)).eql(['resolved:silent:A', 'resolved:hot:A']);
    should(later[1].value).be.NaN(); // no value to report: it was not judged, it was forgotten
    should(later[0].reason).equal('no reading for 3600 s: the series is no longer tracked (Forget after 3600 s)');
    should(later[0].value).equal(3600);
    should(later[0].episodeId).startWith('silent|A@');
    should(e.seriesCount).equal(1);
    should(e.save(T0).series.map((s) => s.key)).eql(['B']);
    should(e.saveOpen().alerts).eql([]);
    should(e.forgottenTotal).equal(1);
  });

  it('refuses a Forget after that is not longer than every dead-man timeout', () => {
    should(() => new AlertEngine({ ...options(10), forgetAfterMs: 30_000 })).throw(
      /Forget after \(30 s\) must be longer than the longest dead-man timeout \(30 s\)/,
    );
  });

  it('when full, a series silent past the room guard (a minute, or the longest dead-man) gives its place: one with no alert open first, else the longest silent, its alerts resolved with the reason', () => {
    const { e, feed } = engine(3);
    feed(T0, { id: 'A', v: 40 }, { id: 'B', v: 1 }, { id: 'C', v: 1 });
    should(feed(T0 + 1000, { id: 'D', v: 1 }).untracked).equal(1, 'nobody has been silent for a minute');
    feed(T0 + 30_000, { id: 'C', v: 1 });
    // At 61 s A (hot, firing) and B are silent past the guard; A's alert is open, so B goes.
    const r = feed(T0 + 61_000, { id: 'D', v: 50 });
    should([r.untracked, r.evicted]).eql([0, 1]);
    should(e.save(T0).series.map((s) => s.key)).eql(['A', 'C', 'D']);
    should(r.events.map((x) => `${x.event}:${x.series}`)).eql(['firing:D']);
    // Only A is silent past the guard now: it goes, its open alert resolved with the reason.
    const full = feed(T0 + 62_000, { id: 'E', v: 1 });
    should([full.untracked, full.evicted]).eql([0, 1]);
    should(full.events.map((x) => `${x.event}:${x.rule}:${x.series}`)).eql(['resolved:hot:A']);
    should(full.events[0].reason).equal(
      'no reading for 62 s: the series is no longer tracked (Max series 3 reached: it made room for a new series)',
    );
    should(feed(T0 + 63_000, { id: 'F', v: 1 }).untracked).equal(1, 'C, D and E spoke within the minute');
  });

  it('keeps judging the real devices through a flood of 100,000 one-time ids, and lets a new device in once the flood is a minute old', () => {
    const { e, feed } = engine(1000);
    const real = ['TEMP_001', 'TEMP_002', 'HUMID_001', 'PRESS_001'];
    let untracked = 0;
    const fired: string[] = [];
    // 100,000 bogus ids over 200 s (500 a second), the real devices every 5 s; TEMP_002 runs hot
    // from 150 s; PRESS_NEW appears at 210 s (a new device cannot be told from a bogus one: while
    // the flood lasts it competes with it for the places that free up).
    for (let ms = 0, bogus = 0; ms <= 300_000; ms += 100) {
      const now = T0 + ms;
      const batch: object[] = [];
      for (let k = 0; k < 50 && bogus < 100_000; k++) batch.push({ id: `bogus-${bogus++}`, v: 1 });
      if (ms % 5000 === 0) {
        for (const id of real) batch.push({ id, v: id === 'TEMP_002' && ms >= 150_000 ? 45 : 20 });
        if (ms >= 210_000) batch.push({ id: 'PRESS_NEW', v: 50 });
      }
      const r = feed(now, ...batch);
      untracked += r.untracked;
      for (const x of [...r.events, ...e.tick(now)])
        if (x.event === 'firing' && !x.series.startsWith('bogus')) fired.push(`${x.rule}:${x.series}`);
    }
    should(fired.filter((f) => !f.includes('bogus'))).eql(['hot:TEMP_002', 'hot:PRESS_NEW']);
    should(e.seriesCount).equal(1000);
    should(untracked).be.above(0, 'the flood outran the room guard at times: counted, not judged');
    const open = e.saveOpen().alerts.filter((a) => !a.series.startsWith('bogus'));
    should(open.map((a) => `${a.rule}:${a.series}`).sort()).eql(['hot:PRESS_NEW', 'hot:TEMP_002']);
    should(
      e
        .save(T0)
        .series.filter((x) => !x.key.startsWith('bogus'))
        .map((x) => x.key)
        .sort(),
    ).eql([...real, 'PRESS_NEW'].sort());
  });
});
