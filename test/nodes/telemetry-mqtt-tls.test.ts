// telemetry-mqtt-broker over TLS against Debian's Mosquitto with the test certificates
// (test/support/tls): the server trusted through a custom CA given as a file, or by the explicit
// choice to skip verification, and refused otherwise; under require_certificate, the client
// certificate with its encrypted key and passphrase in credentials is accepted and a certificate
// from another CA is refused, with the broker's reason in the status of the node that uses it.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import type { NodeStatus } from 'node-red';
import { collect, getNode, helper, onTab, warningsOf, Msg } from '../support/flow-helper';
import { eventually } from '../support/eventually';
import { Mosquitto, requireMosquitto, startMosquitto, tlsFile } from '../support/mqtt-brokers';
import brokerNode = require('../../nodes/telemetry-mqtt-broker/telemetry-mqtt-broker');
import mqttInNode = require('../../nodes/telemetry-mqtt-in/telemetry-mqtt-in');

const TOPIC = 'iot/sensors/temperature/TEMP_001';
const READING = JSON.stringify({ timestamp: '2026-11-22T10:00:00Z', temperature: 21.5 });

describe('telemetry-mqtt-broker over TLS (Mosquitto)', function () {
  this.timeout(30_000);
  let userDir: string;
  const brokers: Mosquitto[] = [];
  before(function () {
    requireMosquitto(this);
  });
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-tls-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    for (const b of brokers.splice(0)) await b.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const mosquitto = async (tls: 'server' | 'mutual') => {
    const m = await startMosquitto({ tls, persistence: false });
    brokers.push(m);
    return m;
  };

  const trustedClient = {
    ca: fs.readFileSync(tlsFile('ca.pem')),
    cert: fs.readFileSync(tlsFile('client.pem')),
    key: fs.readFileSync(tlsFile('client-key.pem')),
    passphrase: 'test-passphrase',
  };

  /** Loads broker config + mqtt-in -> "out": what "out" gets, the statuses "in" shows, the config's warnings. */
  async function load(broker: object, credentials: object = {}) {
    await helper.load(
      [brokerNode, mqttInNode],
      onTab([
        { id: 'broker', type: 'telemetry-mqtt-broker', clientId: 'nr-tls-test', ...broker },
        { id: 'in', type: 'telemetry-mqtt-in', broker: 'broker', topic: 'iot/sensors/#', wires: [['out'], []] },
        { id: 'out', type: 'helper' },
      ]),
      { broker: credentials },
    );
    const statuses: NodeStatus[] = [];
    const inNode = getNode('in');
    const status = inNode.status.bind(inNode);
    inNode.status = (s: NodeStatus) => {
      statuses.push(s);
      return status(s);
    };
    const warnings = warningsOf(getNode('broker'));
    return { got: collect(getNode('out')), statuses, warnings };
  }

  /** Waits for a status whose text matches; the failure lists the statuses shown. */
  const shows = (statuses: NodeStatus[], text: RegExp, what: string) =>
    eventually(() => statuses.some((s) => text.test(String(s.text))), what).catch((e: Error) => {
      throw new Error(`${e.message}; statuses shown: ${JSON.stringify(statuses.map((s) => s.text))}`, { cause: e });
    });

  const connected = () => (getNode('broker') as unknown as { connected: boolean }).connected;

  /** Publishes one reading with a client the broker trusts, and waits for the node to pass it on. */
  async function roundTrip(m: Mosquitto, got: Msg[]) {
    await eventually(connected, 'the node connected over TLS');
    const pub = await mqtt.connectAsync(m.url, { ...trustedClient, reconnectPeriod: 0 } as mqtt.IClientOptions);
    try {
      await pub.publishAsync(TOPIC, READING, { qos: 1 });
    } finally {
      await pub.endAsync();
    }
    await eventually(() => got.length === 1, 'the reading passed on');
    should(got[0].payload).match({ temperature: 21.5 });
  }

  it('trusts the server through a custom CA file, and refuses it without one, saying why', async () => {
    const m = await mosquitto('server');
    const trusted = await load({ url: m.url, ca: tlsFile('ca.pem') });
    await roundTrip(m, trusted.got);
    await helper.unload();

    const untrusted = await load({ url: m.url });
    await shows(untrusted.statuses, /server certificate not trusted/, 'the certificate problem in the status');
    should(connected()).be.false();
    should(untrusted.statuses.at(-1)).match({ fill: 'red' });
    // The log says what to change, once however often the node tries again (every 2 s).
    await new Promise((r) => setTimeout(r, 4500));
    should(untrusted.warnings.filter((w) => /Set the CA certificate that signed it/.test(w))).have.length(1);
  });

  it('connects to a self-signed server only when verification is switched off on purpose', async () => {
    const m = await mosquitto('server');
    const { got } = await load({ url: m.url, verifyServer: false });
    await roundTrip(m, got);
  });

  it('under require_certificate connects with a client certificate whose key is encrypted, and shows the broker refusing a rogue one', async () => {
    const m = await mosquitto('mutual');
    // The certificate as a path, the key as PEM text in credentials with its passphrase.
    const ok = await load(
      { url: m.url, ca: tlsFile('ca.pem'), cert: tlsFile('client.pem') },
      { key: trustedClient.key.toString(), passphrase: 'test-passphrase' },
    );
    await roundTrip(m, ok.got);
    await helper.unload();

    const rogue = await load(
      { url: m.url, ca: tlsFile('ca.pem'), cert: fs.readFileSync(tlsFile('rogue-client.pem'), 'utf8') },
      { key: fs.readFileSync(tlsFile('rogue-client-key.pem'), 'utf8') },
    );
    // Mosquitto answers a certificate it cannot verify with TLS alert 48, "unknown ca".
    await shows(rogue.statuses, /client certificate refused: unknown ca/, "the broker's reason in the status");
    should(connected()).be.false();
    should(rogue.warnings.some((w) => /not signed by a CA the broker trusts/.test(w))).be.true();
    await eventually(() => /certificate verify failed/.test(m.log()), 'the refusal in mosquitto.log');
  });

  it('says so when the broker requires a certificate and none is set', async () => {
    const m = await mosquitto('mutual');
    const none = await load({ url: m.url, ca: tlsFile('ca.pem') });
    await shows(none.statuses, /client certificate required/, 'the refusal in the status');
    should(connected()).be.false();
  });
});
