// SharedConnection with a real MQTT.js client against aedes in-process, its subscribers played by
// fakes: a message is acknowledged only after every subscriber it is for has taken it and
// committed its journal; a full subscriber holds the stream until it has room; a subscriber closed
// by a redeploy is waited for (under a fake clock) and let go after the wait; a commit that fails
// acknowledges nothing and the broker sends the message again; a broker that cannot be reached is
// reported once while its reason stays in the status; and the last subscriber to go ends the
// connection, unsubscribing what a removed one had.
import should from 'should';
import net from 'node:net';
import mqtt, { IPublishPacket, MqttClient } from 'mqtt';
import { ConnectOptions, connectOptions } from '../../../nodes/lib/mqtt/broker-settings';
import { settings as brokerSettings } from '../../../nodes/telemetry-mqtt-broker/settings';
import { CONNECTION_WAITS, SharedConnection } from '../../../nodes/lib/mqtt/shared-connection';
import type { MqttSubscriber } from '../../../nodes/lib/mqtt/subscriber';
import { parseTopicFilter } from '../../../nodes/lib/mqtt/topic-filter';
import type { Log } from '../../../nodes/lib/node-io';
import { eventually } from '../../support/eventually';
import { FakeTime } from '../../support/fake-time';
import { AedesBroker, startAedes } from '../../support/mqtt-brokers';
import { recordingLog } from '../../support/recording-io';

interface FakeSubscriber extends MqttSubscriber {
  taken: string[];
  staged: string[];
  committed: string[];
  statuses: string[];
  full: boolean;
  failCommits: number;
}

/** What happened, in order: each subscriber's commits and the broker's acknowledgements. */
let events: string[];

function subscriber(id: string, topic: string): FakeSubscriber {
  const s: FakeSubscriber = {
    id,
    filter: parseTopicFilter(topic),
    qos: 1,
    taken: [],
    staged: [],
    committed: [],
    statuses: [],
    full: false,
    failCommits: 0,
    take(packet: IPublishPacket) {
      if (s.full) return 'full';
      const p = packet.payload.toString();
      s.taken.push(p);
      s.staged.push(p);
      return 'taken';
    },
    commit() {
      if (s.failCommits > 0) {
        s.failCommits--;
        s.staged = [];
        throw new Error('disk full');
      }
      for (const p of s.staged) events.push(`commit ${id} ${p}`);
      s.committed.push(...s.staged);
      s.staged = [];
    },
    status(st) {
      s.statuses.push(st.text ?? '');
    },
  };
  return s;
}

/** A port nothing listens on. */
function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

describe('SharedConnection', function () {
  this.timeout(30_000);
  let aedes: AedesBroker;
  let publisher: MqttClient;
  const connections: SharedConnection[] = [];
  let acked: string[];

  beforeEach(async () => {
    events = [];
    acked = [];
    aedes = await startAedes();
    aedes.broker.on('ack', (packet) => {
      const p = 'payload' in packet ? String(packet.payload) : '?';
      acked.push(p);
      events.push(`ack ${p}`);
    });
    publisher = await mqtt.connectAsync(aedes.url, { clientId: 'publisher' });
  });
  afterEach(async () => {
    for (const c of connections.splice(0)) await c.close();
    await publisher.endAsync();
    await aedes.close();
  });

  const settings = (url = aedes.url): ConnectOptions => {
    const s = connectOptions(brokerSettings.read({ url, clientId: 'shared' }), {}, () => 'unused');
    s.options.reconnectPeriod = 50;
    return s;
  };
  const open = (log: Log = recordingLog(), time?: FakeTime, s = settings()) => {
    const c = new SharedConnection(s, log, time);
    connections.push(c);
    return c;
  };
  const publish = async (topic: string, ...payloads: string[]) => {
    for (const p of payloads) await publisher.publishAsync(topic, p, { qos: 1 });
  };
  /** Long enough for a message that is not going to be acknowledged to have been, were it wrong. */
  const settle = () => new Promise((r) => setTimeout(r, 150));

  it('acknowledges a message only after every subscriber it is for has taken and committed it', async () => {
    const c = open();
    const all = subscriber('all', 'plant/#');
    const one = subscriber('one', 'plant/a');
    c.register(all);
    c.register(one);
    await eventually(() => c.connected, 'connected');
    await eventually(() => all.statuses.at(-1) === 'node-red:common.status.connected', 'connected shown');
    await publish('plant/a', 'a1');
    await publish('plant/b', 'b1');
    await eventually(() => acked.length === 2, 'both acknowledged');
    should(all.taken).eql(['a1', 'b1']);
    should(one.taken).eql(['a1']);
    const at = (e: string) => events.indexOf(e);
    should(at('commit all a1')).be.within(0, at('ack a1'));
    should(at('commit one a1')).be.within(0, at('ack a1'));
    should(at('commit all b1')).be.within(0, at('ack b1'));
    should(one.statuses[0]).equal('node-red:common.status.connecting', 'registered while connecting');
  });

  it('holds the stream while a subscriber has no room, and goes on in order when it has', async () => {
    const c = open();
    const s = subscriber('s', 'plant/#');
    c.register(s);
    await eventually(() => c.connected, 'connected');
    s.full = true;
    await publish('plant/a', 'm1', 'm2', 'm3');
    await settle();
    should(acked).eql([]);
    should(s.statuses.at(-1)).equal('paused: journal full');
    s.full = false;
    c.roomFreed();
    await eventually(() => acked.length === 3, 'all three acknowledged');
    should(s.taken).eql(['m1', 'm2', 'm3']);
    should(s.statuses.at(-1)).equal('node-red:common.status.connected');
  });

  it('holds what arrives for a subscriber closed by a redeploy until it is back', async () => {
    const c = open();
    const stays = subscriber('stays', 'plant/#');
    const leaves = subscriber('leaves', 'plant/#');
    c.register(stays);
    c.register(leaves);
    await eventually(() => c.connected, 'connected');
    await c.deregister(leaves, false);
    await publish('plant/a', 'during');
    await eventually(() => stays.taken.length === 1, 'taken by the one that stays');
    await settle();
    should(acked).eql([], 'not acknowledged without the node being redeployed');
    should(stays.statuses.at(-1)).equal('paused: a node is redeploying');
    const back = subscriber('leaves', 'plant/#');
    c.register(back);
    await eventually(() => acked.length === 1, 'acknowledged once it is back');
    should(back.taken).eql(['during']);
    should(leaves.taken).eql([]);
  });

  it('lets a redeployed subscriber go when it is not back within the wait', async () => {
    const time = new FakeTime();
    const c = open(recordingLog(), time);
    const stays = subscriber('stays', 'plant/#');
    const leaves = subscriber('leaves', 'plant/#');
    c.register(stays);
    c.register(leaves);
    await eventually(() => c.connected, 'connected');
    await c.deregister(leaves, false);
    await publish('plant/a', 'during');
    await eventually(() => stays.taken.length === 1, 'taken by the one that stays');
    time.advance(CONNECTION_WAITS.returnMs - 1);
    await settle();
    should(acked).eql([]);
    time.advance(1);
    await eventually(() => acked.length === 1, 'acknowledged without it after the wait');
    should(stays.statuses.at(-1)).equal('node-red:common.status.connected');
  });

  it('acknowledges nothing from a commit that fails, and takes the message again on a new connection', async () => {
    const log = recordingLog();
    const c = open(log);
    const s = subscriber('s', 'plant/#');
    c.register(s);
    await eventually(() => c.connected, 'connected');
    s.failCommits = 1;
    await publish('plant/a', 'once');
    await eventually(() => acked.length === 1, 'acknowledged after the retry');
    should(s.taken).eql(['once', 'once']);
    should(s.committed).eql(['once']);
    should(events.indexOf('commit s once')).be.within(0, events.indexOf('ack once'));
    should(log.lines).containEql('warn reconnecting, so that the broker sends again what a journal could not write');
  });

  it('says once why the broker cannot be reached, and keeps the reason in the status', async () => {
    const log = recordingLog();
    const port = await unusedPort();
    const c = open(log, undefined, settings(`mqtt://127.0.0.1:${port}`));
    const s = subscriber('s', 'plant/#');
    c.register(s);
    // Every 50 ms an attempt, each shown as an error, a close and a reconnect.
    await new Promise((r) => setTimeout(r, 500));
    should(s.statuses.filter((t) => t === 'ECONNREFUSED').length).be.above(6);
    should(s.statuses.at(-1)).equal('ECONNREFUSED');
    should(log.lines.filter((l) => l.startsWith('warn '))).eql([
      `warn mqtt://127.0.0.1:${port}: cannot reach 127.0.0.1:${port}: ECONNREFUSED`,
    ]);
    should(c.connected).be.false();
  });

  it('warns once that a session cannot persist without a client id', async () => {
    const log = recordingLog();
    const s = connectOptions(brokerSettings.read({ url: aedes.url }), {}, () => 'random');
    const c = open(log, undefined, s);
    const a = subscriber('a', 'plant/#');
    c.register(a);
    await eventually(() => c.connected, 'connected');
    await c.deregister(a, false);
    c.register(subscriber('a', 'plant/#'));
    await eventually(() => c.connected, 'connected again');
    should(log.lines.filter((l) => l.includes('session cannot persist'))).have.length(1);
    should(log.lines).containEql(`log connected to ${aedes.url} as random`);
  });

  it('unsubscribes a removed subscriber, and ends the connection with the last one', async () => {
    const unsubscribed: string[] = [];
    aedes.broker.on('unsubscribe', (topics) => unsubscribed.push(...topics));
    const c = open();
    const a = subscriber('a', 'plant/a');
    const b = subscriber('b', 'plant/b');
    c.register(a);
    c.register(b);
    await eventually(() => c.connected, 'connected');
    await eventually(() => aedes.broker.connectedClients === 2, 'publisher and the shared connection');
    await c.deregister(a, true);
    await eventually(() => unsubscribed.includes('plant/a'), 'plant/a unsubscribed');
    should(c.connected).be.true();
    await c.deregister(b, false);
    should(c.connected).be.false();
    should(unsubscribed).not.containEql('plant/b'); // kept for the next start
    await eventually(() => aedes.broker.connectedClients === 1, 'only the publisher left');
  });

  it('reports a subscription the broker refuses, and delivers the others', async () => {
    aedes.broker.authorizeSubscribe = (_client, sub, cb) => cb(null, sub.topic === 'secret/#' ? null : sub);
    const log = recordingLog();
    const c = open(log);
    const secret = subscriber('secret', 'secret/#');
    const open1 = subscriber('open', 'plant/#');
    c.register(secret);
    c.register(open1);
    await eventually(() => log.lines.some((l) => l.startsWith('error ')), 'the refusal reported');
    should(log.lines.filter((l) => l.startsWith('error '))).eql([
      'error the broker refused the subscription to "secret/#": Subscribe error: Unspecified error',
    ]);
    await publish('plant/a', 'p1');
    await eventually(() => acked.length === 1, 'delivered on the other subscription');
    should(open1.taken).eql(['p1']);
  });
});
