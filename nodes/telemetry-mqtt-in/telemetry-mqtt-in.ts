// telemetry-mqtt-in: readings from an MQTT broker, at least once end to end. Each message is
// appended to this node's inbound journal before the broker gets its PUBACK, and leaves the
// journal when the pack's nodes downstream settle its receipts (runtime/receipts.ts): written to
// InfluxDB 3 or spooled by influxdb3-write, or refused with a reason on an error output. After a
// crash, a restart or a redeploy, what was not settled is sent again. Receipts that never come back
// (a flow that drops the message) expire, with a warning and a count, so the journal cannot stall.
// Output 1: the readings (msg.payload: a reading or an array), msg.topic, msg._receipts.
// Output 2: messages that are not readings (not UTF-8, not JSON, too large), with msg.error.

import type { IPublishPacket } from 'mqtt';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import { InboundJournal, RecoveredMessage } from '../lib/mqtt/inbound-journal';
import { TopicFilter, parseTopicFilter } from '../lib/mqtt/topic-filter';
import { TopicKeys, compileTopicTemplate, fillFromTopic } from '../lib/mqtt/topic-template';
import { PAYLOAD_DEFAULTS, PayloadLimits, decodePayload } from '../lib/schema/payload';
import { CONFIG_VERSION, errorMessage, numberSetting, oneOf, withDefaults } from '../lib/settings';
import { MqttBrokerNode, MqttSubscriber, Take, mqttBrokerFor } from '../runtime/mqtt-broker-node';
import { Receipt, registerReceiptHolder } from '../lib/receipts/receipts';
import { compactCount, ThrottledStatus } from '../runtime/node-status';
import { nodeStatePath } from '../runtime/state-path';

interface MqttInSettings {
  name: string;
  version: number;
  broker: string;
  topic: string;
  qos: number | string;
  topicTemplate: string;
  maxPayloadKB: number | string;
  journalMB: number | string;
  receiptTimeout: number | string;
}

const DEFAULTS: MqttInSettings = {
  name: '',
  version: CONFIG_VERSION,
  broker: '',
  topic: 'iot/sensors/#',
  qos: 1,
  topicTemplate: '',
  maxPayloadKB: 256,
  journalMB: 100,
  receiptTimeout: 600,
};

/** Messages read back from the journal are sent this many at a time, between other events. */
const REPLAY_SLICE = 500;

interface ReadingsMessage extends NodeMessage {
  topic: string;
  qos?: number;
  retain?: boolean;
  replayed?: boolean;
  _receipts: Receipt[];
}

export = function (RED: NodeAPI) {
  function TelemetryMqttIn(this: Node, raw: NodeDef & Partial<MqttInSettings>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    let broker: MqttBrokerNode | undefined;
    let filter: TopicFilter | undefined;
    let template: TopicKeys | undefined;
    let qos: 0 | 1 | 2;
    let limits: PayloadLimits = PAYLOAD_DEFAULTS;
    let timeoutMs = 0;
    let journal: InboundJournal | undefined;
    let recovered: RecoveredMessage[] = [];
    try {
      const c = withDefaults(raw, DEFAULTS);
      broker = mqttBrokerFor(RED, c.broker);
      filter = parseTopicFilter(c.topic);
      template = compileTopicTemplate(c.topicTemplate);
      qos = Number(oneOf(String(c.qos), ['0', '1', '2'] as const, 'QoS')) as 0 | 1 | 2;
      const journalBytes = numberSetting(c.journalMB, 'Journal limit (MB)', { min: 0.05 }) * 1024 * 1024;
      const maxPayloadBytes = numberSetting(c.maxPayloadKB, 'Max payload (KB)', { min: 1 }) * 1024;
      if (maxPayloadBytes * 4 > journalBytes)
        throw new Error('Max payload must be at most a quarter of the journal limit, so the journal holds several');
      limits = { ...PAYLOAD_DEFAULTS, maxPayloadBytes };
      timeoutMs = numberSetting(c.receiptTimeout, 'Receipt timeout (s)', { min: 1 }) * 1000;
      const opened = InboundJournal.open(nodeStatePath(RED, 'mqtt-journal', node.id), { maxBytes: journalBytes });
      journal = opened.journal;
      recovered = opened.recovered;
    } catch (e) {
      const message = `telemetry-mqtt-in: ${errorMessage(e)}`;
      node.error(message);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
      return;
    }

    let connection: NodeStatus = {};
    let full = false;
    let refused = 0;
    let expired = 0;
    let closed = false;

    const showStatus = () =>
      status.set(() => {
        const j = journal;
        const held = `${compactCount(j.outstanding)} held`;
        if (full) return { fill: 'yellow', shape: 'ring', text: `paused: journal full · ${held}` };
        const base = connection.text ? `${RED._(connection.text)} · ` : '';
        const extra = `${refused ? ` · ${compactCount(refused)} refused` : ''}${expired ? ` · ${compactCount(expired)} expired` : ''}`;
        return { fill: connection.fill ?? 'grey', shape: connection.shape ?? 'ring', text: `${base}${held}${extra}` };
      });

    // Stored, spooled or refused with a reason: the journal may forget them either way.
    const stopSettling = registerReceiptHolder(node.id, {
      settle: (seq, indexes) => {
        if (closed || !journal.settle(seq, indexes)) return;
        if (full) {
          full = false;
          broker.roomFreed();
        }
        showStatus();
      },
    });

    const readingsMessage = (
      topic: string,
      payload: Buffer,
      seq: number,
      count: number,
      reading: unknown,
    ): ReadingsMessage => {
      if (template) {
        const keys = template(topic);
        if (keys) {
          if (Array.isArray(reading)) for (const r of reading) fillFromTopic(r, keys);
          else fillFromTopic(reading, keys);
        }
      }
      return { topic, payload: reading, _receipts: [{ j: node.id, s: seq, n: count }] };
    };

    const refuse = (topic: string, payload: Buffer, code: string, message: string) => {
      refused++;
      const text = payload.length <= 4096 ? payload.toString('utf8') : `${payload.subarray(0, 4096).toString('utf8')}…`;
      node.send([null, { topic, payload: text, error: { code, message } }]);
      showStatus();
    };

    /** A journal write; one that fails is said here, and thrown on to the broker node, which then
     *  acknowledges nothing and reconnects, so that the broker sends again what was not written. */
    let saidProblem = '';
    let saidAt = 0;
    const journaled = <T>(write: () => T): T => {
      try {
        return write();
      } catch (e) {
        // The same problem said once a minute: a full disk fails at every reconnect.
        const problem = errorMessage(e);
        const now = Date.now();
        if (problem !== saidProblem || now - saidAt >= 60_000) {
          node.error(`telemetry-mqtt-in: cannot write the inbound journal in ${journal.dir}: ${problem}`);
          saidProblem = problem;
          saidAt = now;
        }
        throw e;
      }
    };

    const subscriber: MqttSubscriber = {
      id: node.id,
      filter: filter,
      qos,
      status: (s) => {
        connection = s;
        showStatus();
      },
      take: (packet: IPublishPacket): Take => {
        if (closed) return 'full';
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        const decoded = decodePayload(payload, limits);
        if (decoded.kind === 'refused') {
          refuse(packet.topic, payload, decoded.error.code, decoded.error.message);
          return 'taken';
        }
        const count = decoded.kind === 'one' ? 1 : decoded.readings.length;
        if (count === 0) return 'taken';
        const j = journal;
        if (!j.hasRoom(Buffer.byteLength(packet.topic), payload.length)) {
          if (!full) {
            full = true;
            node.warn(
              `telemetry-mqtt-in: the journal is full (${compactCount(j.outstanding)} messages, ${(j.bytes / 1048576).toFixed(1)} MB): taking no more until the flow confirms some; the broker keeps them meanwhile`,
            );
            status.now({ fill: 'yellow', shape: 'ring', text: 'paused: journal full' });
          }
          return 'full';
        }
        const seq = journaled(() => j.stage(packet.topic, payload, count));
        const msg = readingsMessage(
          packet.topic,
          payload,
          seq,
          count,
          decoded.kind === 'one' ? decoded.reading : decoded.readings,
        );
        msg.qos = packet.qos;
        msg.retain = packet.retain;
        node.send([msg, null]);
        showStatus();
        return 'taken';
      },
      commit: () => journaled(() => journal.commit()),
    };

    // Messages kept from before the stop go first, once every node of the flow can receive them.
    const replay = () => {
      if (recovered.length === 0) return;
      const pending = recovered;
      recovered = [];
      node.log(`telemetry-mqtt-in: sending again ${pending.length} message(s) not confirmed before the last stop`);
      let at = 0;
      const slice = () => {
        if (closed) return;
        const end = Math.min(pending.length, at + REPLAY_SLICE);
        for (; at < end; at++) {
          const m = pending[at];
          const decoded = decodePayload(m.payload, { ...limits, maxPayloadBytes: Infinity });
          if (decoded.kind === 'refused') {
            journal.settle(m.seq);
            continue;
          }
          journal.touch(m.seq);
          const msg = readingsMessage(
            m.topic,
            m.payload,
            m.seq,
            m.readings,
            decoded.kind === 'one' ? decoded.reading : decoded.readings,
          );
          msg.replayed = true;
          node.send([msg, null]);
        }
        if (at < pending.length) setImmediate(slice);
      };
      slice();
    };

    const start = () => {
      try {
        replay();
        broker.register(subscriber);
      } catch (e) {
        node.error(`telemetry-mqtt-in: ${errorMessage(e)}`);
      }
    };
    RED.events.once('flows:started', start);

    // Receipts that never come back (the flow dropped the message) expire.
    const sweep = setInterval(
      () => {
        const j = journal;
        try {
          journaled(() => j.flush());
        } catch {
          // Said by journaled; what was staged is told to the broker node at its next commit.
        }
        const n = j.expire(Date.now() - timeoutMs);
        if (n === 0) return;
        expired += n;
        node.warn(
          `telemetry-mqtt-in: ${n} message(s) were not confirmed within ${timeoutMs / 1000} s and leave the journal unconfirmed (${expired} since start): a node of the flow dropped them, or did not keep msg._receipts`,
        );
        if (full) {
          full = false;
          broker.roomFreed();
        }
        showStatus();
      },
      Math.min(1000, timeoutMs / 4),
    );

    node.on('close', (removed: boolean, done: () => void) => {
      RED.events.removeListener('flows:started', start);
      clearInterval(sweep);
      status.stop();
      const finish = () => {
        closed = true;
        stopSettling();
        try {
          journal?.close();
        } catch (e) {
          node.error(`telemetry-mqtt-in: closing the journal: ${errorMessage(e)}`);
        }
        node.status({});
        done();
      };
      // Stop taking messages first (PUBACKs of taken ones go out), then close the journal; what is
      // still unconfirmed is sent again at the next start.
      broker.deregister(subscriber, removed).then(finish, (e) => {
        node.error(`telemetry-mqtt-in: ${errorMessage(e)}`);
        finish();
      });
    });
  }
  RED.nodes.registerType('telemetry-mqtt-in', TelemetryMqttIn);
};
