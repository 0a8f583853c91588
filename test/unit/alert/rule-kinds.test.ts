// Each rule kind through the lifecycle, on readings a few seconds apart in simulated time:
// fire, pending, suppress, remind, resolve and flap.
import should from 'should';
import { AlertEngine, AlertEvent, fixedLimits } from '../../../nodes/lib/alert/alert-engine';
import { RuleSpec, checkRules } from '../../../nodes/lib/alert/rules';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

function engine(rule: Partial<RuleSpec> & { kind: RuleSpec['kind'] }) {
  const rules = checkRules([{ field: 'v', severity: 'HIGH', ...rule }]);
  const e = new AlertEngine({
    rules,
    seriesKey: 'id',
    tagKeys: ['site'],
    timestampKey: 't',
    maxSeries: 10,
    forgetAfterMs: 86_400_000,
    clock: 'readings',
  });
  const limits = rules.map(fixedLimits);
  /** Feeds values of series 'A' at `everySec` intervals from `fromSec`; returns "event@second" strings. */
  const feed = (values: number[], fromSec = 0, everySec = 5): string[] => {
    const out: AlertEvent[] = [];
    values.forEach((v, i) => {
      const t = T0 + (fromSec + i * everySec) * 1000;
      out.push(...e.process([{ id: 'A', site: 'plant-1', t, v }], t, limits).events);
      out.push(...e.tick(e.streamTime));
    });
    events.push(...out);
    return out.map((x) => `${x.event}@${(Date.parse(x.at) - T0) / 1000}`);
  };
  const events: AlertEvent[] = [];
  return { e, feed, events, limits };
}

const noise = (n: number, mean = 20, sd = 1, seed = 1) => {
  let s = seed;
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: n }, () => {
    const u = Math.max(rnd(), 1e-12);
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  });
};

describe('alert rules: each kind through the lifecycle', () => {
  it('threshold: fires at the first breach, suppresses repeats, resolves once back past the clear level', () => {
    const a = engine({ kind: 'threshold', op: 'above', threshold: 30, hysteresis: 2, reminderSec: 0 });
    should(a.feed([25, 31, 33, 29.5, 29, 27.9, 25])).eql(['firing@5', 'resolved@25']);
    const [firing, resolved] = a.events;
    should(firing).match({
      rule: 'v threshold',
      series: 'A',
      field: 'v',
      value: 31,
      threshold: 30,
      severity: 'HIGH',
      tags: { site: 'plant-1' },
    });
    should(resolved.episodeId).equal(firing.episodeId);
    should(resolved.startedAt).equal(firing.startedAt);
    should(resolved.resolvedAt).equal(new Date(T0 + 25_000).toISOString());
  });

  it('threshold: a pending period by readings and by time; a breach that clears first says nothing', () => {
    const byCount = engine({ kind: 'threshold', op: 'below', threshold: 10, pendingReadings: 3 });
    should(byCount.feed([9, 9, 11, 9, 9, 9, 12])).eql(['firing@25', 'resolved@30']);
    const byTime = engine({ kind: 'threshold', op: 'outside', low: 0, high: 10, pendingSec: 20 });
    should(byTime.feed([11, 11, 11, 11, 5, 11, 11, 11, 11, 11])).eql(['firing@45']);
    should(byTime.events[0].startedAt).equal(new Date(T0 + 25_000).toISOString());
  });

  it("threshold: reminds at the interval while firing, by the readings' time", () => {
    const a = engine({ kind: 'threshold', threshold: 30, reminderSec: 60 });
    should(a.feed(Array(30).fill(40))).eql(['firing@0', 'reminder@60', 'reminder@120']);
  });

  it('threshold: flapping inside the keep-firing period stays one episode', () => {
    const a = engine({ kind: 'threshold', threshold: 30, keepFiringSec: 30, reminderSec: 0 });
    should(a.feed([40, 20, 40, 20, 20, 40, 20, 20, 20, 20, 20, 20, 20, 40])).eql([
      'firing@0',
      'resolved@60',
      'firing@65',
    ]);
    should(new Set(a.events.map((x) => x.episodeId)).size).equal(2);
    // Without it, the same readings flap: an episode per breach.
    const b = engine({ kind: 'threshold', threshold: 30, reminderSec: 0 });
    should(b.feed([40, 20, 40, 20]).length).equal(4);
  });

  it('z-score: judges after 10 samples, fires on a spike with severity by size, and the spike stays out of the baseline', () => {
    const early = engine({ kind: 'zscore', limit: 3, window: 50 });
    should(early.feed([20, 21, 19, 20, 21, 19, 20, 21, 19, 50])).eql([]); // 9 samples: too few to judge
    // A steady signal (sd about 0.7) for the window to learn.
    const a = engine({ kind: 'zscore', limit: 3, window: 50, severity: 'MEDIUM' });
    should(a.feed(Array.from({ length: 60 }, (_, i) => 20 + Math.sin(i)))).eql([]);
    should(a.feed([23], 345)).eql(['firing@345']);
    should(a.events[0].severity).equal('MEDIUM');
    should(a.e.firingBySeverity()).eql({ MEDIUM: 1 });
    should(a.events[0].score! > 3 && a.events[0].score! < 5).be.true(`z ${a.events[0].score}`);
    should(a.feed([20.2, 40], 350)).eql(['resolved@350', 'firing@355']);
    should(a.events[2].severity).equal('HIGH');
    // The metrics count it as its event says, not as the rule was set.
    should(a.e.firingBySeverity()).eql({ HIGH: 1 });
    // Neither spike joined the window: a third one scores about as high as the second (had the
    // second joined, the sd would have grown from 0.7 to about 3 and this z would be near 6).
    const again = a.feed([20.1, 40], 360);
    should(again).eql(['resolved@360', 'firing@365']);
    should(a.events[4].score).be.approximately(a.events[2].score!, 1);
  });

  it('z-score: a time window forgets readings older than it', () => {
    const a = engine({ kind: 'zscore', limit: 3, windowSec: 60, minSamples: 10 });
    a.feed(noise(30, 20, 1, 3)); // 150 s of readings
    // 10 minutes later the window holds nothing: no judgement until 10 new samples arrived.
    should(a.feed([100], 750)).eql([]);
  });

  it('robust z-score: fires on a spike a mean-based rule misses when the window is contaminated', () => {
    const values = noise(40, 20, 1, 11);
    for (let i = 0; i < 40; i += 8) values[i] = 60; // outliers that would inflate a standard deviation
    const robust = engine({ kind: 'robust_zscore', limit: 3.5, includeAnomalies: true, window: 40 });
    const plain = engine({ kind: 'zscore', limit: 3.5, includeAnomalies: true, window: 40 });
    robust.feed(values);
    plain.feed(values);
    should(robust.feed([27], 200)).containEql('firing@200');
    should(plain.feed([27], 200)).eql([]);
  });

  it('robust z-score: a MAD of zero (more than half the window identical) falls back to the mean absolute deviation', () => {
    const a = engine({ kind: 'robust_zscore', limit: 3.5, minSamples: 30, window: 40, reminderSec: 0 });
    should(a.feed([...Array(20).fill(10), 11, 9, 11, 9, 12, 8, 10, 10, 12, 8])).eql([]);
    should(a.feed([10.2], 200)).eql([]);
    should(a.feed([30], 205)).eql(['firing@205']);
    should(Number.isFinite(a.events[0].score)).be.true();
  });

  it('EWMA: exact widening limits catch a small persistent shift a z-score of single readings misses', () => {
    const a = engine({ kind: 'ewma', limit: 3, lambda: 0.2, minSamples: 20, reminderSec: 0 });
    a.feed(noise(20, 20, 1, 5));
    should(a.feed(noise(30, 20, 1, 9), 100)).eql([]);
    const shifted = a.feed(noise(40, 21.5, 1, 13), 250);
    should(shifted[0]).match(/^firing@/);
    const z = engine({ kind: 'zscore', limit: 3, reminderSec: 0 });
    z.feed(noise(20, 20, 1, 5));
    z.feed(noise(30, 20, 1, 9), 100);
    should(z.feed(noise(40, 21.5, 1, 13), 250).length <= 2).be.true();
  });

  it('flatline: an unchanged value for N readings fires; the first change resolves', () => {
    const a = engine({ kind: 'flatline', readings: 4, epsilon: 0.01, reminderSec: 0 });
    should(a.feed([20.1, 20.3, 20.3, 20.305, 20.3, 20.3, 20.9])).eql(['firing@20', 'resolved@30']);
    const byTime = engine({ kind: 'flatline', seconds: 12 });
    should(byTime.feed([5, 5, 5, 5, 6])).eql(['firing@15', 'resolved@20']);
  });

  it('dead-man: a series silent longer than allowed fires on the clock, its next reading resolves it', () => {
    const a = engine({ kind: 'deadman', seconds: 30, reminderSec: 60 });
    a.feed([1, 1, 1]);
    // Another series keeps the stream's clock moving while A is silent.
    const limits = a.limits;
    const out: string[] = [];
    for (let s = 15; s <= 140; s += 5) {
      const t = T0 + s * 1000;
      a.e.process([{ id: 'B', t, v: 1 }], t, limits);
      out.push(...a.e.tick(t).map((x) => `${x.event}:${x.series}@${s}`));
    }
    should(out).eql(['firing:A@45', 'reminder:A@105']);
    should(a.feed([1], 145)).eql(['resolved@145']);
    should(a.events.at(-1)).match({ series: 'A', field: '', kind: 'deadman' });
  });

  it('rate of change: fires above the rate per second between readings, ignores readings out of order', () => {
    const a = engine({ kind: 'rate', limit: 1, reminderSec: 0 });
    should(a.feed([10, 12, 14, 30, 31])).eql(['firing@15', 'resolved@20']);
    should(a.events[0].score).be.approximately(16 / 5, 1e-12);
    const before = a.e.process([{ id: 'A', t: T0, v: 1000 }], T0, a.limits);
    should(before.events).eql([]);
  });

  it('refuses rules that cannot work, naming the rule and the setting', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /list/],
      [[], /at least one/],
      [[{ kind: 'nope', field: 'v' }], /kind must be one of/],
      [[{ kind: 'threshold' }], /name the field/],
      [[{ kind: 'threshold', field: 'v' }], /"v threshold": set threshold/],
      [[{ kind: 'threshold', field: 'v', op: 'outside', low: 5, high: 1 }], /low must be below high/],
      [[{ kind: 'zscore', field: 'v', window: 1 }], /window must be at least 3/],
      [[{ kind: 'flatline', field: 'v' }], /set readings or seconds/],
      [[{ kind: 'deadman' }], /set seconds/],
      [[{ kind: 'threshold', field: 'v', threshold: { type: 'flow', value: '' } }], /names no flow variable/],
      [[{ kind: 'threshold', field: 'v', threshold: 'x' }], /threshold must be a number/],
      [
        [
          { name: 'a', kind: 'rate', field: 'v', limit: 1 },
          { name: 'a', kind: 'rate', field: 'w', limit: 1 },
        ],
        /used twice/,
      ],
    ];
    for (const [rules, re] of bad) should(() => checkRules(rules)).throw(re);
  });
});

describe('alert state across a restart', () => {
  const options = (clock: 'system' | 'readings') => ({
    rules: checkRules([
      { name: 'silent', kind: 'deadman', seconds: 30 },
      { name: 'hot', kind: 'threshold', field: 'v', threshold: 30 },
    ]),
    seriesKey: 'id',
    tagKeys: [],
    timestampKey: 't',
    maxSeries: 10,
    forgetAfterMs: 86_400_000,
    clock,
  });

  it("keeps open episodes, and with the node's clock counts the silence before the last save, not its own downtime", () => {
    const a = new AlertEngine(options('system'));
    const limits = options('system').rules.map(fixedLimits);
    a.process(
      [
        { id: 'A', t: T0, v: 40 },
        { id: 'B', t: T0, v: 1 },
      ],
      T0,
      limits,
    );
    // Saved 20 s after the devices last reported; Node-RED down until ten minutes after that.
    const full = JSON.parse(JSON.stringify(a.save(T0 + 20_000))) as unknown;
    const open = JSON.parse(JSON.stringify(a.saveOpen())) as unknown;
    const restart = T0 + 620_000;
    const b = new AlertEngine(options('system'));
    b.restore(full, open, restart);
    should(b.openAlerts()).equal(1);
    should(b.tick(restart + 9000)).eql([]); // silent 29 s of the 30 allowed
    should(
      b
        .tick(restart + 11_000)
        .map((e) => `${e.rule}:${e.series}`)
        .sort(),
    ).eql(['silent:A', 'silent:B']);
    const resolved = b.process([{ id: 'A', t: restart + 32_000, v: 20 }], restart + 32_000, limits).events;
    should(resolved.map((e) => `${e.rule}:${e.event}`)).eql(['silent:resolved', 'hot:resolved']);
    should(resolved[1].episodeId).equal(`hot|A|v@${new Date(T0).toISOString()}`);
  });

  it("with the stream's clock, one device with a clock far ahead does not make the others silent", () => {
    const e = new AlertEngine(options('readings'));
    const limits = options('readings').rules.map(fixedLimits);
    const events: string[] = [];
    for (let sec = 0; sec <= 60; sec += 5) {
      const t = T0 + sec * 1000;
      const batch = [
        { id: 'A', t, v: 1 },
        { id: 'B', t, v: 1 },
      ];
      if (sec === 30) batch.push({ id: 'ROGUE', t: Date.UTC(2200, 0, 1), v: 1 });
      events.push(...e.process(batch, t, limits).events.map((x) => `${x.event}:${x.series}`));
      events.push(...e.tick(e.streamTime).map((x) => `${x.event}:${x.series}`));
    }
    should(events).eql([]);
    should(e.streamTime).equal(T0 + 60_000);
  });

  it('a constant window that starts to change fires once, and the new values join the baseline after a run', () => {
    const rules = checkRules([{ name: 'z', kind: 'zscore', field: 'v', limit: 3, minSamples: 10, reminderSec: 0 }]);
    const e = new AlertEngine({ ...options('readings'), rules });
    const limits = rules.map(fixedLimits);
    const events: string[] = [];
    const values = [...Array(20).fill(100), ...Array(15).fill(99)];
    values.forEach((v, i) => {
      const t = T0 + i * 5000;
      const r = e.process([{ id: 'A', t, v }], t, limits);
      events.push(...r.events.map((x) => `${x.event}@${i}`));
      // An infinite score is left off the reading: no database can store it.
      if (i === 20) should(r.scores[0]).be.undefined();
    });
    // From the 10th 99 in a row on, the 99s join the window; three of them make it ordinary.
    should(events).eql(['firing@20', 'resolved@32']);
  });
});

// The lifecycle is one for every kind: each kind's own way to breach, held for a pending period,
// reminded while it lasts, resolved when it ends.
describe('alert rules: the lifecycle is the same for every kind', () => {
  const kinds: {
    rule: Partial<RuleSpec> & { kind: RuleSpec['kind'] };
    normal: number[];
    breach: (i: number) => number;
  }[] = [
    { rule: { kind: 'threshold', threshold: 30 }, normal: [20, 21, 20], breach: () => 40 },
    {
      rule: { kind: 'zscore', limit: 3, minSamples: 20 }, // more than the 16 breaches: they stay anomalies
      normal: Array.from({ length: 30 }, (_, i) => 20 + Math.sin(i)),
      breach: (i) => 60 + i,
    },
    {
      rule: { kind: 'robust_zscore', limit: 3.5, minSamples: 30 },
      normal: Array.from({ length: 40 }, (_, i) => 20 + Math.sin(i)),
      breach: (i) => 60 + i,
    },
    { rule: { kind: 'flatline', readings: 2 }, normal: [1, 2, 3, 4], breach: () => 7 },
    { rule: { kind: 'rate', limit: 1 }, normal: [1, 1.1, 1.2, 1.3], breach: (i) => (i % 2 ? 1.3 : 100) },
  ];
  for (const { rule, normal, breach } of kinds) {
    it(`${rule.kind}: pending for 3 readings, a reminder after 60 s, resolved when it ends`, () => {
      const a = engine({ ...rule, pendingReadings: 3, reminderSec: 60, includeAnomalies: false });
      should(a.feed(normal)).eql([]);
      const from = normal.length * 5;
      // 16 breaching readings, 5 s apart: 75 s.
      const during = a.feed(
        Array.from({ length: 16 }, (_, i) => breach(i)),
        from,
      );
      should(during.map((e) => e.split('@')[0])).eql(['firing', 'reminder']);
      const firedAt = Number(during[0].split('@')[1]);
      should(firedAt).be.within(from + 5, from + 15); // the breach counted from its first or second reading
      should(Number(during[1].split('@')[1]) - firedAt).be.within(60, 65);
      const after = a.feed(rule.kind === 'flatline' ? [8, 9, 10] : normal.slice(0, 3), from + 80);
      should(after[0]).match(/^resolved@/);
      should(new Set(a.events.map((e) => e.episodeId)).size).equal(1);
    });
  }
});
