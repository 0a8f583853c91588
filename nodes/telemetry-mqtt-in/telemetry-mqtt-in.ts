// telemetry-mqtt-in: readings from an MQTT broker, at least once end to end. Each message is
// appended to this node's inbound journal before the broker gets its PUBACK, and leaves the
// journal when the pack's nodes downstream settle its receipts (lib/receipts/receipts.ts): written
// to InfluxDB 3 or spooled by influxdb3-write, or refused with a reason on an error output. After a
// crash, a restart or a redeploy, what was not settled is sent again. Receipts that never come back
// (a flow that drops the message) expire, with a warning and a count, so the journal cannot stall.
// That work is lib/mqtt/journaled-subscriber.ts; here are its settings, its journal's place, its
// outputs and when it starts and stops.
// Output 1: the readings (msg.payload: a reading or an array), msg.topic, msg._receipts.
// Output 2: messages that are not readings (not UTF-8, not JSON, too large), with msg.error.

import type { Node, NodeAPI, NodeDef } from 'node-red';
import { InboundJournal, RecoveredMessage } from '../lib/mqtt/inbound-journal';
import { JournaledSubscriber } from '../lib/mqtt/journaled-subscriber';
import { TopicFilter, parseTopicFilter } from '../lib/mqtt/topic-filter';
import { TopicKeys, compileTopicTemplate } from '../lib/mqtt/topic-template';
import { PAYLOAD_DEFAULTS, PayloadLimits } from '../lib/schema/payload';
import { errorMessage } from '../lib/settings';
import { MqttBrokerNode, mqttBrokerFor } from '../runtime/mqtt-broker-node';
import { nodeLog } from '../runtime/node-log';
import { meterOf } from '../runtime/node-metrics';
import { ThrottledStatus } from '../runtime/node-status';
import { nodeStatePath } from '../runtime/state-path';
import { settings } from './settings';

export = function (RED: NodeAPI) {
  function TelemetryMqttIn(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    let broker: MqttBrokerNode | undefined;
    let filter: TopicFilter | undefined;
    let template: TopicKeys | undefined;
    let qos: 0 | 1 | 2;
    let limits: PayloadLimits;
    let timeoutMs: number;
    let journal: InboundJournal | undefined;
    let recovered: RecoveredMessage[];
    try {
      const c = settings.read(raw);
      broker = mqttBrokerFor(RED, c.broker);
      filter = parseTopicFilter(c.topic);
      template = compileTopicTemplate(c.topicTemplate);
      qos = Number(c.qos) as 0 | 1 | 2;
      const journalBytes = c.journalMB * 1024 * 1024;
      const maxPayloadBytes = c.maxPayloadKB * 1024;
      if (maxPayloadBytes * 4 > journalBytes)
        throw new Error('Max payload must be at most a quarter of the journal limit, so the journal holds several');
      limits = { ...PAYLOAD_DEFAULTS, maxPayloadBytes };
      timeoutMs = c.receiptTimeout * 1000;
      const opened = InboundJournal.open(nodeStatePath(RED, 'mqtt-journal', node.id), { maxBytes: journalBytes });
      journal = opened.journal;
      recovered = opened.recovered;
    } catch (e) {
      const message = `telemetry-mqtt-in: ${errorMessage(e)}`;
      node.error(message);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
      return;
    }

    const meter = meterOf(node);
    const input = new JournaledSubscriber(
      { id: node.id, filter, qos, template, limits, receiptTimeoutMs: timeoutMs },
      { journal, recovered },
      broker,
      {
        sendReadings: (msg) => node.send([msg, null]),
        sendRefused: (msg) => node.send([null, msg]),
        status,
        translate: (text) => RED._(text),
        log: nodeLog(node, 'telemetry-mqtt-in'),
        counts: meter,
      },
    );
    meter.readings.waiting = () => ({ journal: input.journaled });
    meter.readings.mqttConnected = () => input.connected;
    const start = () => input.start();
    RED.events.once('flows:started', start);

    node.on('close', (removed: boolean, done: () => void) => {
      RED.events.removeListener('flows:started', start);
      const finish = () => {
        node.status({});
        done();
      };
      input.close(removed).then(finish, finish);
    });
  }
  RED.nodes.registerType('telemetry-mqtt-in', TelemetryMqttIn);
};
