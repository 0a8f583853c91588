// Grouping alert events into emails the way Alertmanager does, on a simulated clock.
import should from 'should';
import type { AlertEvent } from '../../../nodes/lib/alert/alert-engine';
import { AlertGrouper, GROUPER_DEFAULTS, GrouperSettings } from '../../../nodes/lib/email/alert-grouper';

const T0 = Date.UTC(2026, 10, 2, 12, 0, 0);
const S = 1000;
const MIN = 60 * S;

function event(kind: AlertEvent['event'], series: string, rule = 'temperature high'): AlertEvent {
  const alertId = `${rule}|${series}|temperature`;
  return {
    event: kind,
    alertId,
    episodeId: `${alertId}@x`,
    rule,
    kind: 'threshold',
    severity: 'HIGH',
    series,
    field: 'temperature',
    value: 40,
    threshold: 35,
    tags: { location: 'warehouse_a' },
    startedAt: new Date(T0).toISOString(),
    at: new Date(T0).toISOString(),
  };
}

const fleet = (n: number) => Array.from({ length: n }, (_, i) => `TEMP_${String(i + 1).padStart(3, '0')}`);

function grouper(s: Partial<GrouperSettings> = {}) {
  const g = new AlertGrouper({ ...GROUPER_DEFAULTS, ...s });
  let token = 0;
  const doneNow: string[] = [];
  const add = (e: AlertEvent, at: number) => {
    const t = `m${++token}`;
    doneNow.push(...g.add(e, t, at));
    return t;
  };
  /** Every email due, checked once a second from `from` to `to`. */
  const run = (from: number, to: number) => {
    const mails = [];
    for (let t = from; t <= to; t += S) for (const n of g.take(t)) mails.push({ at: t, n, tokens: g.settle(n.id) });
    return mails;
  };
  return { g, add, run, doneNow };
}

describe('alert email grouping', () => {
  it('an alert storm of 80 devices is one email after the group wait; ten minutes of repeats are none; the end is one resolved notice', () => {
    const { add, run, doneNow } = grouper();
    const tokens = fleet(80).map((d, i) => add(event('firing', d), T0 + i * 10));
    const first = run(T0, T0 + 10 * MIN);
    should(first.map((m) => m.at)).eql([T0 + 30 * S]);
    should(first[0].n.groups.length).equal(1);
    should(first[0].n.groups[0].firing.length).equal(80);
    should(first[0].tokens.sort()).eql(tokens.sort());

    // Reminders every 5 minutes while they fire: no email, and their messages complete at once.
    const reminders = fleet(80).map((d) => add(event('reminder', d), T0 + 5 * MIN));
    should(run(T0 + 10 * MIN + S, T0 + 20 * MIN)).eql([]);
    should(reminders.every((t) => doneNow.includes(t))).be.true();

    fleet(80).forEach((d) => add(event('resolved', d), T0 + 21 * MIN));
    const end = run(T0 + 21 * MIN, T0 + 40 * MIN);
    // A group wait after the first resolution: the group interval since the last email has passed.
    should(end.map((m) => m.at)).eql([T0 + 21 * MIN + 30 * S]);
    should(end[0].n.groups[0].resolved.length).equal(80);
    should(end[0].n.groups[0].firing).eql([]);
  });

  it('mails nothing for an alert that resolves within the group wait, and completes its messages at once', () => {
    const { g, add, run, doneNow } = grouper();
    const a = add(event('firing', 'TEMP_001'), T0);
    const b = add(event('resolved', 'TEMP_001'), T0 + 10 * S);
    should(run(T0, T0 + 10 * MIN)).eql([]);
    should(doneNow).eql([a, b]);
    should(g.pending).equal(0);
  });

  it('groups by rule: new alerts join the next email a group interval later, and a repeat follows after 4 hours', () => {
    const { add, run } = grouper();
    add(event('firing', 'TEMP_001'), T0);
    add(event('firing', 'TEMP_001', 'battery low'), T0);
    should(run(T0, T0 + MIN).map((m) => m.n.groups[0].labels.rule)).eql(['temperature high', 'battery low']);
    add(event('firing', 'TEMP_002'), T0 + 2 * MIN);
    const next = run(T0 + MIN + S, T0 + 10 * MIN);
    should(next.map((m) => m.at)).eql([T0 + 30 * S + 5 * MIN]);
    should(next[0].n.groups[0].firing.map((e) => e.series)).eql(['TEMP_001', 'TEMP_002']);
    const later = run(T0 + 10 * MIN, T0 + 5 * 60 * MIN);
    should(later.map((m) => [m.at - T0, m.n.repeat])).eql([
      [30 * S + 4 * 60 * MIN, true], // battery low, unchanged since its email
      [30 * S + 5 * MIN + 4 * 60 * MIN, true],
    ]);
  });

  it('sends at most maxPerHour emails an hour; what is due past that goes into a digest, never dropped', () => {
    const { add, run } = grouper({ maxPerHour: 5 });
    for (let r = 0; r < 8; r++) add(event('firing', 'TEMP_001', `rule ${r}`), T0);
    const first = run(T0, T0 + MIN);
    should(first.map((m) => m.n.groups.length)).eql([1, 1, 1, 1, 4]);
    should(first[4].n.digest).be.true();
    // Three more rules fire in the same hour: held until the hour of the first emails has passed.
    for (let r = 8; r < 11; r++) add(event('firing', 'TEMP_001', `rule ${r}`), T0 + 10 * MIN);
    const held = run(T0 + MIN + S, T0 + 2 * 60 * MIN);
    should(held.map((m) => [m.at - T0, m.n.groups.length])).eql([
      [60 * MIN + 30 * S, 1],
      [60 * MIN + 30 * S, 1],
      [60 * MIN + 30 * S, 1],
    ]);
  });

  it('keeps its outbox across a restart: an email handed out and not settled is there to send again', () => {
    const { g, add } = grouper();
    add(event('firing', 'TEMP_001'), T0);
    const [mail] = g.take(T0 + 30 * S);
    should.exist(mail);
    const restarted = new AlertGrouper(GROUPER_DEFAULTS);
    restarted.restore(JSON.parse(JSON.stringify(g.save())));
    should(restarted.outbox().map((n) => n.id)).eql([mail.id]);
    should(restarted.outbox()[0].groups[0].firing[0].series).equal('TEMP_001');
    restarted.settle(mail.id);
    should(restarted.outbox()).eql([]);
    // And the alert counts as mailed: no second email for it.
    should(restarted.take(T0 + 60 * MIN)).eql([]);
  });
});
