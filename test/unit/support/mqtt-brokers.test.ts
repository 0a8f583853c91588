// The MQTT test brokers themselves: a real client publishes and receives through each, mutual TLS
// tells a trusted client certificate from a rogue one, and Mosquitto's persistence survives restart().
import should from 'should';
import fs from 'node:fs';
import mqtt, { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { eventually } from '../../support/eventually';
import { requireMosquitto, startAedes, startMosquitto, tlsFile } from '../../support/mqtt-brokers';

describe('MQTT test brokers', function () {
  this.timeout(30_000);
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A connected client, ended after the test; onMessage is attached before CONNECT goes out. */
  function connect(
    url: string,
    opts: IClientOptions = {},
    onMessage?: (topic: string, payload: Buffer, packet: IPublishPacket) => void,
  ): Promise<MqttClient> {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
    cleanups.push(() => client.endAsync(true));
    if (onMessage) client.on('message', onMessage);
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(client));
      client.once('error', reject);
      client.once('close', () => reject(new Error(`${url}: connection closed before CONNACK`)));
    });
  }

  /** The next message a client gets, as a promise, and the handler that settles it. */
  function nextMessage(): [Promise<IPublishPacket>, (topic: string, payload: Buffer, packet: IPublishPacket) => void] {
    let settle!: (p: IPublishPacket) => void;
    const got = new Promise<IPublishPacket>((resolve) => (settle = resolve));
    return [got, (_topic, _payload, packet) => settle(packet)];
  }

  async function roundTrip(url: string, opts: IClientOptions = {}): Promise<void> {
    const [got, onMessage] = nextMessage();
    const sub = await connect(url, opts, onMessage);
    await sub.subscribeAsync('brokers/test', { qos: 1 });
    const pub = await connect(url, opts);
    await pub.publishAsync('brokers/test', 'hello', { qos: 1 });
    const packet = await got;
    packet.topic.should.equal('brokers/test');
    packet.payload.toString().should.equal('hello');
    packet.qos.should.equal(1);
  }

  const ca = () => fs.readFileSync(tlsFile('ca.pem'));

  describe('Mosquitto', function () {
    before(function () {
      requireMosquitto(this);
    });

    it('delivers a QoS 1 publish to a subscriber', async () => {
      const m = await startMosquitto();
      cleanups.push(() => m.stop());
      m.url.should.equal(`mqtt://127.0.0.1:${m.port}`);
      await roundTrip(m.url);
      m.log().should.match(/mosquitto version 2\.\d+\.\d+ running/);
    });

    it('serves TLS with the test server certificate', async () => {
      const m = await startMosquitto({ tls: 'server' });
      cleanups.push(() => m.stop());
      m.url.should.startWith('mqtts://');
      await roundTrip(m.url, { ca: ca() });
    });

    it('under mutual TLS accepts the trusted client certificate and refuses a rogue one', async () => {
      const m = await startMosquitto({ tls: 'mutual' });
      cleanups.push(() => m.stop());
      const trusted = {
        ca: ca(),
        cert: fs.readFileSync(tlsFile('client.pem')),
        key: fs.readFileSync(tlsFile('client-key.pem')),
        passphrase: 'test-passphrase', // MQTT.js's types lack it, but it passes it on to tls.connect
      };
      await roundTrip(m.url, trusted);

      const rogue = mqtt.connect(m.url, {
        reconnectPeriod: 0,
        connectTimeout: 5_000,
        ca: ca(),
        cert: fs.readFileSync(tlsFile('rogue-client.pem')),
        key: fs.readFileSync(tlsFile('rogue-client-key.pem')),
      });
      cleanups.push(() => rogue.endAsync(true));
      const outcome = await new Promise<{ connected: boolean; error?: string }>((resolve) => {
        let error: string | undefined;
        rogue.once('connect', () => resolve({ connected: true }));
        rogue.on('error', (e) => (error ??= e.message));
        rogue.once('close', () => resolve({ connected: false, error }));
      });
      // The client sees OpenSSL's "tlsv1 alert unknown ca" (alert 48) from the broker; its wording
      // depends on the OpenSSL version, the broker's own log line is the stable check.
      outcome.connected.should.be.false();
      should(outcome.error).be.a.String();
      await eventually(() => /certificate verify failed/.test(m.log()), 'the refusal in mosquitto.log');
      // use_identity_as_username: the trusted certificate's CN is the client's username.
      m.log().should.match(/u'telemetry-test-client'/);
    });

    it('keeps a persistent session’s queued QoS 1 message across restart()', async () => {
      const m = await startMosquitto();
      cleanups.push(() => m.stop());
      const subOpts: IClientOptions = { clientId: 'mqtt-brokers-test-persistent', clean: false };
      const sub = await connect(m.url, subOpts);
      await sub.subscribeAsync('brokers/persist', { qos: 1 });
      await sub.endAsync();

      const pub = await connect(m.url);
      await pub.publishAsync('brokers/persist', 'while away', { qos: 1 });
      await pub.endAsync();

      await m.restart();
      should(m.proc.exitCode).be.null();
      fs.existsSync(`${m.dataDir}/mosquitto.db`).should.be.true();

      // Mosquitto sends the queued message right behind CONNACK, so the handler goes on first.
      const [got, onMessage] = nextMessage();
      (await connect(m.url, subOpts, onMessage)).should.be.ok();
      const packet = await got;
      packet.payload.toString().should.equal('while away');
      packet.qos.should.equal(1);
    });
  });

  describe('aedes', () => {
    it('delivers a QoS 1 publish to a subscriber', async () => {
      const a = await startAedes();
      cleanups.push(() => a.close());
      a.url.should.equal(`mqtt://127.0.0.1:${a.port}`);
      await roundTrip(a.url);
      a.broker.closed.should.be.false();
    });
  });
});
