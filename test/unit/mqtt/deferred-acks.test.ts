// DeferredAcks with a real MQTT.js client and an aedes broker: no PUBACK leaves before the commit
// that wrote its message, a burst is committed in a few writes rather than one per message, a
// commit that fails acknowledges nothing and the broker sends everything again, and an
// acknowledgement held for a connection that closed is never sent on the next one.
import should from 'should';
import mqtt, { MqttClient } from 'mqtt';
import { DeferredAcks, MAX_HELD } from '../../../nodes/lib/mqtt/deferred-acks';
import { AedesBroker, startAedes } from '../../support/mqtt-brokers';

interface Subscriber {
  client: MqttClient;
  /** Payloads committed, each time one was. */
  committed: string[];
  commits: number;
  connections: number;
  /** Acknowledgements that left before their message was committed, or on another connection. */
  violations: string[];
}

describe('DeferredAcks', function () {
  this.timeout(30_000);
  let aedes: AedesBroker;
  const clients: MqttClient[] = [];
  beforeEach(async () => (aedes = await startAedes()));
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await aedes.close();
  });

  const subscribe = async (
    clientId: string,
    opts: { failCommit?: (n: number) => boolean; cutBefore?: (n: number) => boolean } = {},
  ): Promise<Subscriber> => {
    const client = mqtt.connect(aedes.url, { clientId, clean: false, reconnectPeriod: 100 });
    clients.push(client);
    const sub: Subscriber = { client, committed: [], commits: 0, connections: 0, violations: [] };
    // Each message as received: on which connection (MQTT.js stream), and whether committed yet.
    interface Receipt {
      stream: unknown;
      payload: string;
      written: boolean;
    }
    const receipts = new Map<number, Receipt>();
    let staged: Receipt[] = [];
    client.on('connect', () => sub.connections++);
    client.on('packetsend', (p) => {
      if (p.cmd !== 'puback') return;
      const r = receipts.get(p.messageId!);
      if (!r || r.stream !== client.stream)
        sub.violations.push(`puback ${p.messageId} not received on this connection`);
      else if (!r.written) sub.violations.push(`puback ${p.messageId} before its commit`);
    });
    let messages = 0;
    const acks = new DeferredAcks(
      client,
      () => {
        sub.commits++;
        if (opts.failCommit?.(sub.commits)) {
          staged = [];
          throw new Error('disk full');
        }
        for (const r of staged) {
          r.written = true;
          sub.committed.push(r.payload);
        }
        staged = [];
      },
      () => {},
    );
    client.handleMessage = (packet, callback) => {
      const r = { stream: client.stream, payload: packet.payload.toString(), written: false };
      receipts.set(packet.messageId!, r);
      staged.push(r);
      if (!opts.cutBefore?.(++messages)) return acks.acknowledge(packet, () => callback());
      // The connection is lost while this message is handled: it is taken only after MQTT.js saw
      // the connection close, and before it connects again.
      client.once('close', () => acks.acknowledge(packet, () => callback()));
      client.stream.destroy();
    };
    await new Promise<void>((resolve, reject) =>
      client.once('connect', () => client.subscribe('t/#', { qos: 1 }, (err) => (err ? reject(err) : resolve()))),
    );
    return sub;
  };

  const publish = async (n: number, from = 0) => {
    const pub = await mqtt.connectAsync(aedes.url, { clientId: `pub${from}` });
    clients.push(pub);
    for (let i = from; i < from + n; i++) pub.publish('t/x', String(i), { qos: 1 });
    await new Promise<void>((resolve) => pub.end(false, {}, () => resolve()));
  };

  const until = async (cond: () => boolean, what: () => string) => {
    const deadline = Date.now() + 20_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const distinct = (s: Subscriber) => new Set(s.committed).size;

  it('acknowledges each message only after its commit, committing a burst in few writes', async () => {
    const sub = await subscribe('burst');
    let acked = 0;
    aedes.broker.on('ack', () => acked++);
    await publish(5000);
    await until(
      () => acked >= 5000,
      () => `${acked} of 5000 acknowledged`,
    );
    should(sub.violations).eql([]);
    should(distinct(sub)).equal(5000);
    should(sub.commits).be.below(5000 / 5, `${sub.commits} commits for 5000 messages`);
  });

  it('commits at once when MAX_HELD acknowledgements wait', async () => {
    const sub = await subscribe('many');
    await publish(MAX_HELD * 3);
    await until(
      () => distinct(sub) >= MAX_HELD * 3,
      () => `${distinct(sub)} committed`,
    );
    should(sub.violations).eql([]);
  });

  it('acknowledges nothing from a failed commit, and the broker sends it all again', async () => {
    let failures = 0;
    // The second commit fails, once, in the middle of the stream.
    const sub = await subscribe('fails', { failCommit: (n) => n === 2 && ++failures === 1 });
    await publish(300);
    await until(
      () => distinct(sub) >= 300,
      () => `${distinct(sub)} of 300 committed`,
    );
    should(failures).equal(1);
    should(sub.connections).be.above(1, 'the connection was closed and made again');
    should(sub.violations).eql([]);
  });

  it('never sends an acknowledgement held for a connection that closed on the next one', async () => {
    let cut = 0;
    const sub = await subscribe('cut', { cutBefore: (n) => n === 100 && ++cut === 1 });
    let acked = 0;
    aedes.broker.on('ack', () => acked++);
    await publish(500);
    await until(
      () => sub.connections > 1 && acked >= 500,
      () => `${sub.connections} connections, ${acked} of 500 acknowledged`,
    );
    should(distinct(sub)).equal(500);
    should(sub.violations).eql([]);
  });
});
