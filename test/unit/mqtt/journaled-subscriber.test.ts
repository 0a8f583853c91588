// JournaledSubscriber on a real inbound journal, under a fake clock, with the shared connection
// and the node's outputs played by fakes: readings leave with keys from the topic and a receipt
// and reach the file only at the commit; what is not readings leaves on output 2 with its reason;
// receipts settle; a full journal pauses once and asks for more when receipts free room; receipts
// that never come back expire on the clock; what the last run left is sent again first, in slices;
// a journal that cannot be written is said once a minute and thrown on; and after close nothing
// more is taken.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IPublishPacket } from 'mqtt';
import { InboundJournal } from '../../../nodes/lib/mqtt/inbound-journal';
import {
  JournaledSubscriber,
  REPLAY_SLICE,
  ReadingsMessage,
  RefusedMessage,
} from '../../../nodes/lib/mqtt/journaled-subscriber';
import type { MqttSubscriber } from '../../../nodes/lib/mqtt/subscriber';
import { parseTopicFilter } from '../../../nodes/lib/mqtt/topic-filter';
import { compileTopicTemplate } from '../../../nodes/lib/mqtt/topic-template';
import { settleReceipts } from '../../../nodes/lib/receipts/receipts';
import { PAYLOAD_DEFAULTS } from '../../../nodes/lib/schema/payload';
import { FakeTime } from '../../support/fake-time';
import { RecordingStatus, recordingLog } from '../../support/recording-io';

const TIMEOUT_MS = 60_000;

const packet = (topic: string, payload: unknown): IPublishPacket => ({
  cmd: 'publish',
  topic,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)),
  qos: 1,
  retain: false,
  dup: false,
});

describe('JournaledSubscriber', () => {
  let dir: string;
  let time: FakeTime;
  let sent: ReadingsMessage[];
  let refused: RefusedMessage[];
  let log: ReturnType<typeof recordingLog>;
  let lines: string[];
  let status: RecordingStatus;
  let broker: {
    registered: MqttSubscriber[];
    deregistered: [MqttSubscriber, boolean][];
    freed: number;
    register(s: MqttSubscriber): void;
    deregister(s: MqttSubscriber, removed: boolean): Promise<void>;
    roomFreed(): void;
  };
  let open: JournaledSubscriber[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subscriber-'));
    time = new FakeTime(Date.now());
    sent = [];
    refused = [];
    log = recordingLog();
    lines = log.lines;
    status = new RecordingStatus();
    broker = {
      registered: [],
      deregistered: [],
      freed: 0,
      register: (s) => broker.registered.push(s),
      deregister: (s, removed) => {
        broker.deregistered.push([s, removed]);
        return Promise.resolve();
      },
      roomFreed: () => broker.freed++,
    };
    open = [];
  });
  afterEach(async () => {
    for (const s of open) await s.close(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const subscriber = (maxBytes = 1e6) => {
    const s = new JournaledSubscriber(
      {
        id: 'in',
        filter: parseTopicFilter('iot/sensors/#'),
        qos: 1,
        template: compileTopicTemplate('iot/sensors/{device_type}/{device_id}'),
        limits: { ...PAYLOAD_DEFAULTS, maxPayloadBytes: 64 * 1024 },
        receiptTimeoutMs: TIMEOUT_MS,
      },
      InboundJournal.open(dir, { maxBytes }),
      broker,
      {
        sendReadings: (m) => sent.push(m),
        sendRefused: (m) => refused.push(m),
        status,
        translate: (t) => (t === 'node-red:common.status.connected' ? 'connected' : t),
        log,
      },
      time,
      time,
    );
    open.push(s);
    return s;
  };
  /** Closes the subscriber and reads back what its journal would send again. */
  const unconfirmed = async (s: JournaledSubscriber) => {
    open.splice(open.indexOf(s), 1);
    await s.close(false);
    const { journal, recovered } = InboundJournal.open(dir, { maxBytes: 1e6 });
    journal.close();
    return recovered;
  };
  const fileText = () =>
    fs
      .readdirSync(dir)
      .map((f) => fs.readFileSync(path.join(dir, f), 'latin1'))
      .join('');

  it('sends readings with keys from the topic and a receipt, and writes them to the journal at the commit', async () => {
    const s = subscriber();
    should(s.take(packet('iot/sensors/temperature/T1', { temperature: 21 }))).equal('taken');
    should(s.take(packet('iot/sensors/humidity/H1', [{ humidity: 50 }, { humidity: 51, device_id: 'own' }]))).equal(
      'taken',
    );
    should(sent.map((m) => m.payload)).eql([
      { temperature: 21, device_type: 'temperature', device_id: 'T1' },
      [
        { humidity: 50, device_type: 'humidity', device_id: 'H1' },
        { humidity: 51, device_id: 'own', device_type: 'humidity' },
      ],
    ]);
    should(sent[0]).match({ topic: 'iot/sensors/temperature/T1', qos: 1, retain: false });
    should(sent[1]._receipts).eql([{ j: 'in', s: sent[0]._receipts[0].s + 1, n: 2 }]);
    should(fileText()).not.containEql('iot/sensors/temperature/T1');
    s.commit();
    should(fileText()).containEql('iot/sensors/temperature/T1');
    should((await unconfirmed(s)).map((m) => m.topic)).eql(['iot/sensors/temperature/T1', 'iot/sensors/humidity/H1']);
  });

  it('lets a message go once the receipts of all its readings are settled', async () => {
    const s = subscriber();
    s.take(packet('iot/sensors/t/A', [{ x: 1 }, { x: 2 }]));
    s.take(packet('iot/sensors/t/B', { x: 3 }));
    s.commit();
    should(status.text).equal('2 held');
    const [a, b] = sent.map((m) => m._receipts[0]);
    settleReceipts([{ ...a, i: [0] }]);
    should(status.text).equal('2 held', 'one reading of two is not the message');
    settleReceipts([{ ...a, i: [1] }, b]);
    should(status.text).equal('0 held');
    should(await unconfirmed(s)).have.length(0);
  });

  it('sends what holds no readings out of output 2 with the reason, its text cut at 4 KB, and counts it', () => {
    const s = subscriber();
    should(s.take(packet('iot/sensors/t/A', Buffer.from('not json')))).equal('taken');
    should(s.take(packet('iot/sensors/t/B', Buffer.from('x'.repeat(10_000))))).equal('taken');
    should(sent).have.length(0);
    should(refused[0]).match({ topic: 'iot/sensors/t/A', payload: 'not json', error: { code: 'invalid_json' } });
    should(refused[1].payload).equal(`${'x'.repeat(4096)}…`);
    should(status.text).equal('0 held · 2 refused');
  });

  it('shows the connection state, in the node language, before what it holds', () => {
    const s = subscriber();
    s.status({ fill: 'green', shape: 'dot', text: 'node-red:common.status.connected' });
    should(status.shown.at(-1)).eql({ fill: 'green', shape: 'dot', text: 'connected · 0 held' });
  });

  it('pauses when the journal is full, says so once, and asks for more when receipts free room', () => {
    const s = subscriber(4096);
    const big = { pad: 'p'.repeat(1200) };
    let taken = 0;
    while (s.take(packet('iot/sensors/t/A', big)) === 'taken') taken++;
    should(taken).be.within(2, 3);
    should(s.take(packet('iot/sensors/t/A', big))).equal('full');
    should(lines.filter((l) => l.includes('the journal is full'))).have.length(1);
    should(status.text).equal('paused: journal full');
    s.commit();
    settleReceipts(sent[0]._receipts);
    should(broker.freed).equal(1);
    settleReceipts(sent[1]._receipts);
    should(broker.freed).equal(1, 'asked once: it was not full again in between');
  });

  it('lets receipts that never come back expire after the receipt timeout, with a warning and a count', () => {
    const s = subscriber();
    s.take(packet('iot/sensors/t/A', { x: 1 }));
    s.take(packet('iot/sensors/t/B', { x: 2 }));
    s.commit();
    time.advance(TIMEOUT_MS);
    should(lines).eql([]);
    time.advance(1000);
    should(lines).eql([
      'warn 2 message(s) were not confirmed within 60 s and leave the journal unconfirmed (2 since start): a node of the flow dropped them, or did not keep msg._receipts',
    ]);
    should(status.text).equal('0 held · 2 expired');
  });

  it('sends again first what the last run left, in slices, then takes new messages', async () => {
    const before = InboundJournal.open(dir, { maxBytes: 1e7 }).journal;
    const n = REPLAY_SLICE * 2 + 100;
    for (let i = 0; i < n; i++) before.append(`iot/sensors/t/D${i}`, Buffer.from(JSON.stringify({ i })), 1);
    before.append('iot/sensors/t/bad', Buffer.from('not json'), 1);
    before.close();
    const s = subscriber(1e7);
    s.start();
    should(lines).eql([`log sending again ${n + 1} message(s) not confirmed before the last stop`]);
    should(sent).have.length(REPLAY_SLICE, 'one slice, then the event loop');
    should(broker.registered).have.length(1);
    should(broker.registered[0]).equal(s);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    should(sent).have.length(n);
    should(sent.every((m) => m.replayed === true)).be.true();
    should(sent[7].payload).eql({ i: 7, device_type: 't', device_id: 'D7' });
    should(refused).have.length(0);
    should((await unconfirmed(s)).length).equal(n, 'the one that holds no readings is let go');
  });

  it('says a journal it cannot write once a minute, and throws it on to the connection', () => {
    const s = subscriber();
    const journal = (s as unknown as { journal: InboundJournal }).journal;
    let problem = 'disk full';
    journal.commit = () => {
      throw new Error(problem);
    };
    const errors = () => lines.filter((l) => l.startsWith('error '));
    should(() => s.commit()).throw('disk full');
    should(() => s.commit()).throw('disk full');
    should(errors()).eql([`error cannot write the inbound journal in ${dir}: disk full`]);
    time.advance(60_000);
    should(() => s.commit()).throw('disk full');
    should(errors()).have.length(2);
    problem = 'read-only file system';
    should(() => s.commit()).throw();
    should(errors().at(-1)).equal(`error cannot write the inbound journal in ${dir}: read-only file system`);
  });

  it('after close takes nothing, ignores receipts and has no timer left', async () => {
    const s = subscriber();
    s.take(packet('iot/sensors/t/A', { x: 1 }));
    open.splice(open.indexOf(s), 1);
    await s.close(true);
    should(broker.deregistered).eql([[s, true]]);
    should(status.stopped).be.true();
    should(time.timers).equal(0);
    should(s.take(packet('iot/sensors/t/B', { x: 2 }))).equal('full');
    settleReceipts(sent[0]._receipts);
    should(sent).have.length(1);
    const { journal, recovered } = InboundJournal.open(dir, { maxBytes: 1e6 });
    journal.close();
    should(recovered).have.length(1, 'closing wrote what was staged; the receipt came too late');
  });

  it('says why it could not start, rather than throwing into Node-RED', () => {
    broker.register = () => {
      throw new Error('no connection');
    };
    subscriber().start();
    should(lines).eql(['error no connection']);
  });
});
