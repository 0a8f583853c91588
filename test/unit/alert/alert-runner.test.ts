// AlertRunner around a real AlertEngine, under a fake clock, with the node's outputs and its state
// store played by fakes: the open alerts are saved before an event leaves; a TypedInput limit that
// is not a number skips its rule, warned once until it is one again; the dead-man check runs on the
// node's timer; windows are saved every 10 s when something changed and at close, and forgotten
// when the node is deleted; a saved episode carries on after a restart; damaged state starts
// afresh with a warning; a state that cannot be saved is said once and shown until it can be.
// AlertStateFiles keeps the two files the node has always written.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AlertEngine, AlertEvent, fixedLimits } from '../../../nodes/lib/alert/alert-engine';
import { AlertRunner, LIMIT_KEYS, SAVE_EVERY_MS, TypedSetting } from '../../../nodes/lib/alert/alert-runner';
import { AlertStateFiles, AlertStateStore } from '../../../nodes/lib/alert/alert-state';
import { checkRules } from '../../../nodes/lib/alert/rules';
import type { Message } from '../../../nodes/lib/node-io';
import { FakeTime } from '../../support/fake-time';
import { RecordingStatus, recordingLog } from '../../support/recording-io';

class MemoryStore implements AlertStateStore {
  where = 'memory.*';
  engine: string | undefined;
  open: string | undefined;
  writes: string[] = [];
  fail: Error | undefined;
  removed = false;
  read() {
    return { engine: this.engine, open: this.open };
  }
  writeEngine(text: string) {
    if (this.fail) throw this.fail;
    this.writes.push('engine');
    this.engine = text;
  }
  writeOpen(text: string) {
    if (this.fail) throw this.fail;
    this.writes.push('open');
    this.open = text;
  }
  remove() {
    this.removed = true;
    this.engine = this.open = undefined;
  }
  openAlerts(): string[] {
    return this.open === undefined
      ? []
      : (JSON.parse(this.open) as { alerts: { rule: string; series: string }[] }).alerts.map(
          (a) => `${a.rule}:${a.series}`,
        );
  }
}

const RULES = [
  { name: 'silent', kind: 'deadman', seconds: 30 },
  { name: 'hot', kind: 'threshold', field: 'v', op: 'above', threshold: { type: 'env', value: 'HOT' } },
];

describe('AlertRunner', () => {
  let time: FakeTime;
  let store: MemoryStore;
  let status: RecordingStatus;
  let log: ReturnType<typeof recordingLog>;
  /** What the TypedInput threshold reads as, per message. */
  let hot: unknown;
  let evaluated: TypedSetting[];
  /** Output 1 from the timer, and what each send carried, with the open alerts saved by then. */
  let timerEvents: { events: Message[]; savedOpen: string[] }[];
  let sends: { events: Message[] | null; passed: Message; savedOpen: string[] }[];

  beforeEach(() => {
    time = new FakeTime(Date.parse('2026-12-01T00:00:00Z'));
    store = new MemoryStore();
    status = new RecordingStatus();
    log = recordingLog();
    hot = '35';
    evaluated = [];
    timerEvents = [];
    sends = [];
  });

  const runner = (clock: 'system' | 'readings' = 'system') => {
    const rules = checkRules(RULES);
    const engine = new AlertEngine({
      rules,
      seriesKey: 'id',
      tagKeys: [],
      timestampKey: 't',
      maxSeries: 100,
      forgetAfterMs: 86_400_000,
      clock,
    });
    return new AlertRunner(
      engine,
      {
        rules,
        fixed: rules.map(fixedLimits),
        typed: rules.map((r) => LIMIT_KEYS.some((k) => r[k] !== undefined && typeof r[k] !== 'number')),
      },
      store,
      {
        sendEvents: (events) => timerEvents.push({ events, savedOpen: store.openAlerts() }),
        evaluate: (setting) => {
          evaluated.push(setting);
          return hot;
        },
        status,
        log,
      },
      time,
      time,
    );
  };
  const input = (r: AlertRunner, payload: unknown) =>
    r.input({ payload }, ([events, passed]) => sends.push({ events, passed, savedOpen: store.openAlerts() }));
  const eventsOf = (msgs: Message[] | null | undefined) =>
    (msgs ?? []).map((m) => `${(m.payload as AlertEvent).event}:${(m.payload as AlertEvent).rule}`);

  it('saves the open alerts before an event leaves, and passes the readings on with their scores', () => {
    const r = runner();
    should(input(r, { id: 'A', v: 40 })).be.undefined();
    should(sends).have.length(1);
    should(eventsOf(sends[0].events)).eql(['firing:hot']);
    should(sends[0].savedOpen).eql(['hot:A'], 'saved by the time the event left');
    should(sends[0].events![0].topic).equal((sends[0].events![0].payload as AlertEvent).alertId);
    should(sends[0].passed.payload).match({ id: 'A', v: 40 });
    should(sends[0].passed.alert).match({ readings: 1, events: 1 });
    should(evaluated).eql([{ type: 'env', value: 'HOT' }]);
    should(status.last).eql({ fill: 'red', shape: 'dot', text: '1 firing' });
  });

  it('says why a payload holds no readings, and sends nothing', () => {
    const r = runner();
    should(input(r, 'not json')).match(/^msg\.payload holds no readings: the payload is not valid JSON/);
    should(sends).eql([]);
  });

  it('skips a rule while its TypedInput limit is not a number, warning once until it is one again', () => {
    const r = runner();
    const warnings = () => log.lines.filter((l) => l.startsWith('warn '));
    const skipped = 'warn rule "hot" is skipped while threshold (env "HOT") is not a number';
    hot = '';
    input(r, { id: 'A', v: 40 });
    input(r, { id: 'A', v: 41 });
    should(warnings()).eql([skipped]);
    should(sends.map((s) => s.events)).eql([null, null]);
    should(status.last).eql({ fill: 'yellow', shape: 'dot', text: '0 firing 2 skipped' });
    hot = 35;
    input(r, { id: 'A', v: 42 });
    should(eventsOf(sends[2].events)).eql(['firing:hot']);
    hot = undefined;
    input(r, { id: 'A', v: 43 });
    should(warnings()).eql([skipped, skipped]);
  });

  it('runs the dead-man check on its own timer with the node clock, saving before the event leaves', () => {
    const r = runner('system');
    r.start(1000);
    input(r, { id: 'D', v: 1 });
    time.advance(30_000);
    should(timerEvents).eql([]);
    time.advance(1000);
    should(timerEvents.map((t) => eventsOf(t.events))).eql([['firing:silent']]);
    should(timerEvents[0].savedOpen).eql(['silent:D']);
    should(status.text).equal('1 firing');
  });

  it('has no check timer with the readings clock: their time runs the dead-man', () => {
    const r = runner('readings');
    r.start(1000);
    should(time.timers).equal(1, 'only the periodic save');
    input(r, { id: 'D', v: 1, t: '2026-12-01T00:00:00Z' });
    input(r, { id: 'E', v: 1, t: '2026-12-01T00:01:00Z' });
    should(eventsOf(sends[1].events)).eql([], 'the clock is the second series furthest ahead');
    input(r, { id: 'F', v: 1, t: '2026-12-01T00:01:00Z' });
    should(eventsOf(sends[2].events)).eql(['firing:silent']);
    should((sends[2].events![0].payload as AlertEvent).series).equal('D');
  });

  it('saves everything every 10 s while something changed, and at close; a deleted node forgets it', () => {
    const r = runner();
    r.start(1000);
    time.advance(SAVE_EVERY_MS);
    should(store.writes).eql([]);
    input(r, { id: 'A', v: 1 });
    time.advance(SAVE_EVERY_MS);
    should(store.writes).eql(['engine', 'open']);
    time.advance(SAVE_EVERY_MS);
    should(store.writes).have.length(2, 'nothing changed since');
    input(r, { id: 'A', v: 2 });
    r.close(false);
    should(store.writes).have.length(4);
    should(time.timers).equal(0);
    const deleted = runner();
    deleted.start(1000);
    input(deleted, { id: 'A', v: 3 });
    deleted.close(true);
    should(store.removed).be.true();
    should(store.writes).have.length(4, 'a deleted node saves nothing more');
  });

  it('carries an open episode across a restart: no second firing, and the same episode resolves', () => {
    const first = runner();
    input(first, { id: 'A', v: 40 });
    const episode = (sends[0].events![0].payload as AlertEvent).episodeId;
    first.close(false);
    const second = runner();
    input(second, { id: 'A', v: 41 });
    input(second, { id: 'A', v: 20 });
    should(eventsOf(sends[1].events)).eql([]);
    should(eventsOf(sends[2].events)).eql(['resolved:hot']);
    should((sends[2].events![0].payload as AlertEvent).episodeId).equal(episode);
  });

  it('starts afresh with a warning when the saved state cannot be read', () => {
    store.engine = '{"version":1,"series":[';
    const r = runner();
    should(log.lines).have.length(1);
    should(log.lines[0]).match(/^warn the saved alert state in memory\.\* cannot be read \(.+\); starting afresh$/);
    input(r, { id: 'A', v: 40 });
    should(eventsOf(sends[0].events)).eql(['firing:hot']);
  });

  it('says once that the state cannot be saved, shows it until it can, and says so then', () => {
    const r = runner();
    store.fail = new Error('disk full');
    input(r, { id: 'A', v: 40 });
    input(r, { id: 'B', v: 40 });
    should(log.lines).eql(['error could not save the alert state to memory.*: disk full']);
    should(status.last).eql({ fill: 'red', shape: 'ring', text: 'cannot save state' });
    should(sends.map((s) => eventsOf(s.events))).eql([['firing:hot'], ['firing:hot']], 'events still leave');
    store.fail = undefined;
    input(r, { id: 'C', v: 40 });
    should(log.lines.at(-1)).equal('log the alert state is saved again');
    should(status.text).equal('3 firing');
  });
});

describe('AlertStateFiles', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-state-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the engine and the open alerts in <base>.json and <base>.open.json, and removes both', () => {
    const base = path.join(dir, 'state', 'alert-a');
    const files = new AlertStateFiles(base);
    should(files.where).equal(`${base}.*`);
    should(files.read()).eql({ engine: undefined, open: undefined });
    files.writeEngine('{"e":1}');
    files.writeOpen('{"o":1}');
    should(fs.readFileSync(`${base}.json`, 'utf8')).equal('{"e":1}');
    should(fs.readFileSync(`${base}.open.json`, 'utf8')).equal('{"o":1}');
    should(new AlertStateFiles(base).read()).eql({ engine: '{"e":1}', open: '{"o":1}' });
    files.remove();
    should(fs.readdirSync(path.dirname(base))).eql([]);
    files.remove();
  });
});
