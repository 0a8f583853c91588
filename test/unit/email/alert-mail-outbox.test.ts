// AlertMailOutbox around a real AlertGrouper, under a fake clock, with the SMTP server, the state
// file, the status and the log played by fakes: one email at a time in the order taken, each
// message completed when its email is accepted; transient failures retried after growing delays;
// a permanent refusal completes the messages it carried with the error (or is reported once when
// none waits); the events taken are saved together, every email handed out is saved with fsync
// before it is sent; the outbox is sent first after a restart; nothing is sent after close.
// OutboxFile keeps the grouper's save in its file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import should from 'should';
import type { AlertEvent } from '../../../nodes/lib/alert/alert-engine';
import { AlertGrouper, GROUPER_DEFAULTS, GrouperSettings, SavedGrouper } from '../../../nodes/lib/email/alert-grouper';
import { DEFAULT_TEMPLATES, RenderedMail } from '../../../nodes/lib/email/alert-mail';
import {
  AlertMailOutbox,
  MAX_BACKOFF_MS,
  OutboxFile,
  OutboxStore,
  TAKE_SAVE_MS,
} from '../../../nodes/lib/email/alert-mail-outbox';
import { retryDelayMs } from '../../../nodes/lib/retry-delay';
import { FakeTime, settled } from '../../support/fake-time';
import { RecordingStatus, recordingLog } from '../../support/recording-io';

const S = 1000;
const GROUPING: GrouperSettings = {
  ...GROUPER_DEFAULTS,
  groupWaitMs: 1 * S,
  groupIntervalMs: 300 * S,
  repeatIntervalMs: 3600 * S,
};

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
    value: 41.5,
    threshold: 35,
    tags: { location: 'warehouse_a' },
    startedAt: '2026-11-02T12:00:00.000Z',
    at: '2026-11-02T12:00:00.000Z',
  };
}

/** SMTP errors as nodemailer gives them. */
const smtpError = (responseCode: number, response: string) =>
  Object.assign(new Error(`Message failed: ${response}`), { responseCode, response });
const TRY_LATER = smtpError(421, '421 4.3.2 try again later');
const NO_SUCH_USER = smtpError(550, '550 5.1.1 no such user');

class MemoryStore implements OutboxStore {
  where = 'memory.json';
  text: string | undefined;
  writes: { fsync: boolean; sending: string[] }[] = [];
  fail: Error | undefined;
  read() {
    return this.text;
  }
  write(text: string, opts: { fsync: boolean }) {
    if (this.fail) throw this.fail;
    this.text = text;
    this.writes.push({ fsync: opts.fsync, sending: this.sending() });
  }
  /** The ids of the emails in the saved outbox. */
  sending(): string[] {
    return this.text === undefined ? [] : (JSON.parse(this.text) as SavedGrouper).sending.map((n) => n.id);
  }
}

/** An SMTP server that answers each email when the test says, or at once from a script. */
class FakeServer {
  calls: { mail: RenderedMail; at: number; saved: string[]; accept(): void }[] = [];
  /** Answers given at once, in turn: undefined accepts, an error refuses. */
  script: (Error | undefined)[] | undefined;
  constructor(
    private readonly time: FakeTime,
    private readonly store: MemoryStore,
  ) {}
  readonly sendMail = (mail: RenderedMail): Promise<unknown> =>
    new Promise((resolve, reject) => {
      this.calls.push({
        mail,
        at: this.time.now(),
        saved: this.store.sending(),
        accept: () => resolve({ response: '250 OK' }),
      });
      if (!this.script) return;
      const answer = this.script.shift();
      if (answer === undefined) resolve({ response: '250 OK' });
      else reject(answer);
    });
  get subjects(): string[] {
    return this.calls.map((c) => c.mail.subject);
  }
}

/** The time between one try and the next. */
const gaps = (server: FakeServer) => server.calls.slice(1).map((c, i) => c.at - server.calls[i].at);

describe('AlertMailOutbox', () => {
  let time: FakeTime;
  let store: MemoryStore;
  let server: FakeServer;
  let status: RecordingStatus;
  let log: ReturnType<typeof recordingLog>;
  let reported: Error[];
  /** Each message completed, in order: its id, and the error it completed with. */
  let done: { id: string; error?: string }[];
  let outbox: AlertMailOutbox;

  function start(settings: Partial<GrouperSettings> = {}): AlertMailOutbox {
    outbox = new AlertMailOutbox(
      new AlertGrouper({ ...GROUPING, ...settings }),
      DEFAULT_TEMPLATES,
      store,
      {
        sendMail: server.sendMail,
        reportRefusal: (err) => reported.push(err),
        status,
        log,
      },
      time,
      time,
    );
    outbox.start();
    return outbox;
  }
  const send = (id: string, payload: unknown) =>
    outbox.input(payload, id, (err) => done.push(err ? { id, error: err.message } : { id }));

  beforeEach(() => {
    time = new FakeTime(Date.parse('2026-11-02T12:00:00Z'));
    store = new MemoryStore();
    server = new FakeServer(time, store);
    status = new RecordingStatus();
    log = recordingLog();
    reported = [];
    done = [];
  });

  it('sends one email at a time in the order taken, each message done when its email is accepted', async () => {
    start();
    send('m1', event('firing', 'TEMP_001', 'rule A'));
    send('m2', event('firing', 'TEMP_002', 'rule B'));
    should(status.text).equal('2 queued, 0 sent');
    await time.advanceSettling(GROUPING.groupWaitMs);
    // Both groups are due: the second email waits for the first.
    should(server.subjects).eql(['[IoT ALERT] rule A - TEMP_001']);
    should(done).eql([]);
    should(status.last).eql({ fill: 'yellow', shape: 'dot', text: '2 queued, 0 sent' });

    server.calls[0].accept();
    await settled();
    should(done).eql([{ id: 'm1' }]);
    should(server.subjects).eql(['[IoT ALERT] rule A - TEMP_001', '[IoT ALERT] rule B - TEMP_002']);
    should(status.text).equal('1 queued, 1 sent');

    server.calls[1].accept();
    await settled();
    should(done).eql([{ id: 'm1' }, { id: 'm2' }]);
    should(status.last).eql({ fill: 'green', shape: 'dot', text: '2 sent' });
    should(store.sending()).eql([]);
  });

  it('completes at once a message that no email will carry', () => {
    start();
    should(send('m1', event('resolved', 'TEMP_001'))).be.undefined();
    should(done).eql([{ id: 'm1' }]);
    should(server.calls).eql([]);
  });

  it('retries a transient failure after growing delays, then completes the message', async () => {
    server.script = [TRY_LATER, TRY_LATER, TRY_LATER, TRY_LATER, TRY_LATER];
    start();
    send('m1', event('firing', 'TEMP_001'));
    await time.advanceSettling(GROUPING.groupWaitMs);
    should(server.calls.length).equal(1);
    should(status.last).eql({ fill: 'red', shape: 'ring', text: 'failing: retrying: 421 4.3.2 try again …' });
    should(done).eql([]);

    await time.advanceSettling(40 * S);
    should(gaps(server)).eql([1, 2, 4, 8, 16].map((s) => s * S));
    // The sixth try was accepted: the message completes once, without an error.
    should(server.calls.length).equal(6);
    should(new Set(server.subjects).size).equal(1);
    should(done).eql([{ id: 'm1' }]);
    should(status.last).eql({ fill: 'green', shape: 'dot', text: '1 sent' });
    should(reported).eql([]);
  });

  it('waits at most MAX_BACKOFF_MS between tries', async () => {
    // An outbox restored without groups: no group's timer sends it earlier.
    const g = new AlertGrouper(GROUPING);
    g.add(event('firing', 'TEMP_001'), 'gone', time.now());
    g.take(time.now() + GROUPING.groupWaitMs);
    store.text = JSON.stringify({ ...g.save(), groups: [] });
    server.script = Array.from({ length: 8 }, () => TRY_LATER);
    start();
    await time.advanceSettling(10 * 60 * S);
    should(gaps(server)).eql([1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelayMs(a, S, MAX_BACKOFF_MS)));
    should(gaps(server).slice(-3)).eql([32 * S, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
    should(server.calls.length).equal(9);
    should(store.sending()).eql([]);
  });

  it('completes the messages of an email refused for good with the error, and goes on with the next', async () => {
    server.script = [NO_SUCH_USER, undefined];
    start();
    send('m1', event('firing', 'TEMP_001', 'rule A'));
    send('m2', event('firing', 'TEMP_002', 'rule A'));
    send('m3', event('firing', 'TEMP_003', 'rule B'));
    await time.advanceSettling(GROUPING.groupWaitMs);
    const refusal = 'telemetry-alert-email: the SMTP server refused the email: 550 5.1.1 no such user';
    should(done).eql([{ id: 'm1', error: refusal }, { id: 'm2', error: refusal }, { id: 'm3' }]);
    // Not retried: the next email went out at once.
    should(server.subjects).eql(['[IoT ALERT] rule A - TEMP_001 and 1 more', '[IoT ALERT] rule B - TEMP_003']);
    should(reported).eql([]);
    should(store.sending()).eql([]);
    should(status.last).eql({ fill: 'green', shape: 'dot', text: '1 sent' });
    should(status.shown).containEql({ fill: 'red', shape: 'ring', text: 'failing: 550 5.1.1 no such user' });
  });

  it('saves the events taken together without fsync, and every email with fsync before it is sent', async () => {
    start();
    for (let i = 1; i <= 50; i++) send(`m${i}`, event('firing', `TEMP_${i}`));
    should(store.writes).eql([]);
    await time.advanceSettling(TAKE_SAVE_MS);
    should(store.writes).eql([{ fsync: false, sending: [] }]);

    await time.advanceSettling(GROUPING.groupWaitMs);
    should(server.calls.length).equal(1);
    const id = store.writes[1].sending[0];
    should(store.writes[1]).eql({ fsync: true, sending: [id] });
    should(server.calls[0].saved).eql([id]);
  });

  it('sends what the outbox held before a restart first, once', async () => {
    start();
    send('m1', event('firing', 'TEMP_001'));
    await time.advanceSettling(GROUPING.groupWaitMs);
    // The server never answers; Node-RED stops.
    should(server.calls.length).equal(1);
    outbox.close();
    should(store.sending().length).equal(1);

    const before = server.subjects;
    server = new FakeServer(time, store);
    server.script = [undefined];
    status = new RecordingStatus();
    start();
    should(server.subjects).eql(before);
    await time.advanceSettling(10 * 60 * S);
    should(server.calls.length).equal(1);
    should(store.sending()).eql([]);
    should(status.text).equal('1 sent');
    // The message of the process that is gone is not completed by this one.
    should(done).eql([]);
  });

  it('reports a refusal of an email restored after a restart once, as no message waits for it', async () => {
    start();
    send('m1', event('firing', 'TEMP_001'));
    await time.advanceSettling(GROUPING.groupWaitMs);
    outbox.close();

    server = new FakeServer(time, store);
    server.script = [NO_SUCH_USER];
    start();
    await settled();
    should(reported.map((e) => e.message)).eql([
      'telemetry-alert-email: the SMTP server refused the email: 550 5.1.1 no such user',
    ]);
    should(done).eql([]);
    should(store.sending()).eql([]);
  });

  it('sends nothing after close, and saves the outbox with fsync at close', async () => {
    server.script = [TRY_LATER];
    start();
    send('m1', event('firing', 'TEMP_001'));
    await time.advanceSettling(GROUPING.groupWaitMs);
    should(server.calls.length).equal(1);
    const writes = store.writes.length;
    outbox.close();
    should(store.writes.length).equal(writes + 1);
    should(store.writes.at(-1)!.fsync).be.true();
    should(time.timers).equal(0);
    await time.advanceSettling(60 * 60 * S);
    should(server.calls.length).equal(1);
    should(done).eql([]);
  });

  it('settles an email the server accepts after close, and sends no other', async () => {
    start();
    send('m1', event('firing', 'TEMP_001', 'rule A'));
    send('m2', event('firing', 'TEMP_002', 'rule B'));
    await time.advanceSettling(GROUPING.groupWaitMs);
    outbox.close();
    server.calls[0].accept();
    await settled();
    await time.advanceSettling(60 * 60 * S);
    should(done).eql([{ id: 'm1' }]);
    should(server.calls.length).equal(1);
    // The other email stays in the outbox, for the next start.
    should(store.sending().length).equal(1);
  });

  it('refuses what is not an alert event, and a new alert past the alerts held, leaving done to the caller', () => {
    start({ maxAlerts: 1 });
    should(send('m1', { temperature: 40 })).equal(
      'msg.payload is not an alert event (wire it from a telemetry-alert node)',
    );
    should(send('m2', event('firing', 'TEMP_001'))).be.undefined();
    should(send('m3', event('firing', 'TEMP_002'))).match(/^1 alerts are held already/);
    should(done).eql([]);
  });

  it('warns about a saved outbox it cannot read and starts afresh', () => {
    store.text = '{"version":1,';
    start();
    should(log.lines.length).equal(1);
    should(log.lines[0]).match(/^warn the saved outbox in memory\.json cannot be read \(.*\); starting afresh$/);
    should(status.last).eql({ fill: 'green', shape: 'dot', text: '0 sent' });
  });

  it('logs an outbox it cannot save', async () => {
    start();
    store.fail = new Error('ENOSPC: no space left on device');
    send('m1', event('firing', 'TEMP_001'));
    await time.advanceSettling(TAKE_SAVE_MS);
    should(log.lines).eql(['error could not save the outbox to memory.json: ENOSPC: no space left on device']);
  });
});

describe('OutboxFile', () => {
  it("keeps the grouper's save in its file, read back as written", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-outbox-'));
    try {
      const file = new OutboxFile(path.join(dir, 'state', 'alert-email-m.json'));
      should(file.read()).be.undefined();
      const g = new AlertGrouper(GROUPING);
      g.add(event('firing', 'TEMP_001'), 't', 0);
      g.take(GROUPING.groupWaitMs);
      const text = JSON.stringify(g.save());
      file.write(text, { fsync: true });
      should(fs.readFileSync(file.where, 'utf8')).equal(text);
      should(file.read()).equal(text);
      file.write('{}', { fsync: false });
      should(file.read()).equal('{}');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
