// telemetry-mqtt-in and telemetry-mqtt-broker in the real Node-RED runtime against aedes in-process
// and the project's InfluxDB 3 compatible server: readings from the broker reach the database
// through validate -> line protocol -> write, the journal empties as the writer confirms, bad
// payloads leave on output 2, receipts survive fan-out and expire when a flow drops them, what was
// not confirmed is sent again after a restart, a full journal pauses the stream without loss, and
// a node redeployed while another keeps the connection loses nothing that arrived in between, and
// a topic changed by a redeploy is subscribed (the old one ended) on a session the broker kept.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { MqttClient } from 'mqtt';
import { collect, getNode, helper, onTab, warningsOf, Msg } from '../support/flow-helper';
import { eventually } from '../support/eventually';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { AedesBroker, startAedes } from '../support/mqtt-brokers';
import { distinctReadings } from '../support/mqtt-pipeline';
import { InboundJournal } from '../../nodes/lib/mqtt/inbound-journal';
import brokerNode = require('../../nodes/telemetry-mqtt-broker/telemetry-mqtt-broker');
import mqttInNode = require('../../nodes/telemetry-mqtt-in/telemetry-mqtt-in');
import validateNode = require('../../nodes/telemetry-validate/telemetry-validate');
import lineProtocolNode = require('../../nodes/telemetry-line-protocol/telemetry-line-protocol');
import configNode = require('../../nodes/influxdb3-config/influxdb3-config');
import writeNode = require('../../nodes/influxdb3-write/influxdb3-write');

const nodes = [brokerNode, mqttInNode, validateNode, lineProtocolNode, configNode, writeNode];

export const reading = (i: number) => ({
  location: 'warehouse_a',
  floor: '2',
  timestamp: new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + i * 1000).toISOString(),
  temperature: 20 + (i % 10) / 10,
  humidity: 50,
  battery_level: 99.9,
  signal_strength: -60,
});

describe('telemetry-mqtt-in node (aedes)', function () {
  this.timeout(60_000);
  let server: InfluxDB3Server;
  let aedes: AedesBroker;
  let userDir: string;
  let publisher: MqttClient;
  beforeEach(async () => {
    server = await startInfluxDB3({ walFlushMs: 20 });
    aedes = await startAedes();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-in-'));
    helper.settings({ userDir });
    publisher = await mqtt.connectAsync(aedes.url, { clientId: 'publisher', protocolVersion: 4 });
  });
  afterEach(async () => {
    await publisher.endAsync();
    await helper.unload();
    helper.settings({});
    await aedes.close();
    await server.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const journalDir = () => path.join(userDir, 'influxdb3-pipeline', 'mqtt-journal-in');
  /** What the journal would send again if Node-RED started now (read with the node stopped). */
  const unconfirmed = () => {
    const { journal, recovered } = InboundJournal.open(journalDir(), { maxBytes: 1e9 });
    journal.close();
    return recovered;
  };

  const pipeline = (mqttIn: object = {}, more: object[] = [], inWires: string[][] = [['v'], ['bad']]) =>
    onTab([
      { id: 'broker', type: 'telemetry-mqtt-broker', url: aedes.url, clientId: 'nr-test', protocol: '4' },
      {
        id: 'in',
        type: 'telemetry-mqtt-in',
        broker: 'broker',
        topic: 'iot/sensors/#',
        topicTemplate: 'iot/sensors/{device_type}/{device_id}',
        wires: inWires,
        ...mqttIn,
      },
      { id: 'v', type: 'telemetry-validate', wires: [['lp'], ['refused']] },
      { id: 'lp', type: 'telemetry-line-protocol', batchSize: 50, flushInterval: 0.2, wires: [['w'], []] },
      { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant' },
      { id: 'w', type: 'influxdb3-write', server: 'cfg', wires: [['written'], []] },
      { id: 'bad', type: 'helper' },
      { id: 'refused', type: 'helper' },
      { id: 'written', type: 'helper' },
      ...more,
    ]);

  const publish = async (n: number, from = 0) => {
    for (let i = from; i < from + n; i++)
      await publisher.publishAsync(
        `iot/sensors/temperature/TEMP_${String(i % 20).padStart(3, '0')}`,
        JSON.stringify(reading(i)),
        { qos: 1 },
      );
  };

  const stored = () => distinctReadings(server.url);

  const connected = () => (getNode('broker') as unknown as { connected: boolean }).connected;

  /** Lines influxdb3-write reports written: the receipts of a write are settled when it reports. */
  const writtenLines = () => {
    const summaries = collect(getNode('written'));
    return () => summaries.reduce((n, m) => n + (m.payload as { lines: number }).lines, 0);
  };

  it('stores every reading published at QoS 1, fills keys from the topic, and empties its journal as they are written', async () => {
    await helper.load(nodes, pipeline());
    const written = writtenLines();
    await eventually(connected, 'connected');
    await publish(300);
    await eventually(() => written() === 300, '300 readings written', 20_000);
    should(await stored()).equal(300);
    await helper.unload();
    should(unconfirmed()).have.length(0, 'every message was confirmed and left the journal');
  });

  it('sends payloads that are not readings out of output 2 with a reason, acknowledges them, and loses nothing else', async () => {
    await helper.load(nodes, pipeline({ maxPayloadKB: 1 }));
    const bad = collect(getNode('bad'));
    const written = writtenLines();
    await eventually(connected, 'connected');
    const topic = 'iot/sensors/temperature/TEMP_001';
    await publisher.publishAsync(topic, '{"temperature": 21,', { qos: 1 });
    await publisher.publishAsync(topic, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { qos: 1 });
    await publisher.publishAsync(topic, JSON.stringify({ ...reading(1), note: 'x'.repeat(2000) }), { qos: 1 });
    await publisher.publishAsync(topic, '['.repeat(100) + ']'.repeat(100), { qos: 1 });
    await publish(10);
    await eventually(() => bad.length === 4 && written() === 10, 'four refused, ten written');
    should(await stored()).equal(10);
    should(bad.map((m) => m.error.code)).eql(['invalid_json', 'invalid_utf8', 'payload_too_large', 'too_deep']);
    should(
      bad.every((m: Msg) => m.topic === topic && typeof m.error.message === 'string' && m._receipts === undefined),
    ).be.true();
    await helper.unload();
    should(unconfirmed()).have.length(0);
  });

  it('settles once when the message is copied to a second branch, and lets receipts of a dropped copy expire with a warning', async () => {
    // Output 1 wired to validate and to a node that keeps the copy: the copy that reaches the
    // writer settles the message.
    await helper.load(nodes, pipeline({}, [{ id: 'side', type: 'helper' }], [['v', 'side'], ['bad']]));
    const side = collect(getNode('side'));
    const written = writtenLines();
    await eventually(connected, 'connected');
    await publish(40);
    await eventually(() => written() === 40 && side.length === 40, 'written and copied');
    should(await stored()).equal(40);
    should(side[0]._receipts).have.length(1);
    await helper.unload();
    should(unconfirmed()).have.length(0);

    // A flow that drops every message: the receipts expire after the timeout and the journal empties.
    await helper.load(nodes, pipeline({ receiptTimeout: 1 }, [{ id: 'side', type: 'helper' }], [['side'], ['bad']]));
    const warnings = warningsOf(getNode('in'));
    const dropped = collect(getNode('side'));
    await eventually(connected, 'connected');
    await publish(5, 1000);
    await eventually(
      () => warnings.some((w) => /5 message\(s\) were not confirmed within 1 s/.test(w)),
      'expiry warning',
    );
    should(dropped).have.length(5);
    await helper.unload();
    should(unconfirmed()).have.length(0, 'expired receipts leave the journal');
  });

  it('sends again, after a restart, what the flow had not confirmed', async () => {
    // First run: the messages go to a node that keeps them, so nothing is confirmed.
    await helper.load(nodes, pipeline({}, [{ id: 'side', type: 'helper' }], [['side'], ['bad']]));
    const side = collect(getNode('side'));
    await eventually(connected, 'connected');
    await publish(25);
    await eventually(() => side.length === 25, 'taken');
    await helper.unload();
    should(unconfirmed()).have.length(25);
    should(await stored()).equal(0);

    // Second run with the writer: the 25 come back from the journal, marked, and are stored.
    await helper.load(nodes, pipeline({}, [{ id: 'seen', type: 'helper' }], [['v', 'seen'], ['bad']]));
    const seen = collect(getNode('seen'));
    const written = writtenLines();
    await eventually(() => written() === 25, 'replayed readings written', 20_000);
    should(await stored()).equal(25);
    should(seen.every((m) => m.replayed === true && m.payload.device_id?.startsWith('TEMP_'))).be.true();
    await helper.unload();
    should(unconfirmed()).have.length(0);
  });

  it('stops taking messages when its journal is full, loses none, and goes on when the flow confirms some', async () => {
    // A journal of 51 KB holds about 150 of these messages; the node "gate" keeps what it gets until
    // the test lets it through to validate.
    await helper.load(
      nodes,
      pipeline(
        { journalMB: 0.05, maxPayloadKB: 4 },
        [{ id: 'gate', type: 'helper', wires: [['v']] }],
        [['gate'], ['bad']],
      ),
    );
    const gate = getNode('gate');
    const held = collect(gate);
    const written = writtenLines();
    const warnings = warningsOf(getNode('in'));
    await eventually(connected, 'connected');
    const total = 600;
    const publishing = publish(total);
    await eventually(() => warnings.some((w) => /journal is full/.test(w)), 'the journal filled');
    const takenWhenFull = held.length;
    should(takenWhenFull).be.below(total);
    should(takenWhenFull).be.above(50);
    // Let everything through, as it comes; the node resumes each time the writer confirms.
    let released = 0;
    const release = () => {
      while (released < held.length) gate.send(held[released++]);
    };
    const pump = setInterval(release, 20);
    try {
      await publishing;
      await eventually(() => written() === total, `all ${total} written`, 30_000);
      should(await stored()).equal(total);
    } finally {
      clearInterval(pump);
    }
    should(held.length).equal(total, 'each message taken once');
    await helper.unload();
    should(unconfirmed()).have.length(0);
  });

  it('loses nothing for a node redeployed while another node keeps the connection open', async () => {
    const total = 600;
    const flows = (name: string) =>
      pipeline({}, [
        { id: 'in2', type: 'telemetry-mqtt-in', name, broker: 'broker', topic: 'plant/other/#', wires: [['side'], []] },
        { id: 'side', type: 'helper' },
      ]);
    await helper.load(nodes, flows(''));
    const side = collect(getNode('side')); // not changed by the deploy: it sees both instances of in2
    await eventually(connected, 'connected');
    const publishing = (async () => {
      for (let i = 0; i < total; i++)
        await publisher.publishAsync('plant/other/x', JSON.stringify(reading(i)), { qos: 1 });
    })();
    await eventually(() => side.length >= 100, 'the first messages taken');
    // Only in2 is restarted; "in" keeps the broker connection, and messages for in2 wait meanwhile.
    await helper.setFlows(flows('changed'), 'nodes');
    await publishing;
    const distinct = () => new Set(side.map((m) => (m.payload as { timestamp: string }).timestamp)).size;
    await eventually(() => distinct() === total, 'every message taken by in2', 20_000);
  });

  it('takes the topic a redeploy changed, on the session the broker kept, and ends the old one', async () => {
    const flows = (topic: string) =>
      onTab([
        {
          id: 'broker',
          type: 'telemetry-mqtt-broker',
          url: aedes.url,
          clientId: 'nr-kept',
          protocol: '4',
          persistentSession: true,
        },
        { id: 'in', type: 'telemetry-mqtt-in', broker: 'broker', topic, wires: [['side'], []] },
        { id: 'side', type: 'helper' },
      ]);
    const unsubscribed: string[] = [];
    aedes.broker.on('unsubscribe', (subscriptions, client) => {
      if (client?.id === 'nr-kept') unsubscribed.push(...subscriptions);
    });
    await helper.load(nodes, flows('plant/a/#'));
    const side = collect(getNode('side')); // not changed by the deploy
    await eventually(connected, 'connected');
    await publisher.publishAsync('plant/a/x', JSON.stringify(reading(0)), { qos: 1 });
    await eventually(() => side.length === 1, 'the first topic taken');
    // "in" is the only node on the connection: it ends, and the next client resumes the session.
    await helper.setFlows(flows('plant/b/#'), 'nodes');
    await eventually(() => unsubscribed.includes('plant/a/#'), 'the old topic ended in the session');
    await publisher.publishAsync('plant/a/x', JSON.stringify(reading(1)), { qos: 1 });
    await publisher.publishAsync('plant/b/x', JSON.stringify(reading(2)), { qos: 1 });
    // The first message, never confirmed (no writer here), comes back from the journal, marked.
    const fresh = () => side.filter((m) => m.replayed !== true).map((m) => m.topic);
    await eventually(() => fresh().length >= 2, 'the changed topic taken');
    await new Promise((r) => setTimeout(r, 300)); // what the old subscription would still bring
    should(fresh()).eql(['plant/a/x', 'plant/b/x']);
  });
});
