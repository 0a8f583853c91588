// telemetry-mqtt-broker: one MQTT connection shared by the telemetry-mqtt-in nodes that use it,
// opened by the first and closed when the last lets go (the pattern of Node-RED's mqtt-broker),
// with its state shown on every one of them. It owns the acknowledgements: MQTT.js sends a QoS 1
// PUBACK when handleMessage calls back, and this calls back only once every subscriber the message
// is for has taken it into its journal; the PUBACK itself waits until the journals have written it
// (lib/mqtt/deferred-acks.ts). A subscriber whose journal is full makes it wait: MQTT.js then reads
// nothing more and the broker keeps the messages (backpressure, not loss).

import crypto from 'node:crypto';
import mqtt, { IPublishPacket, MqttClient } from 'mqtt';
import type { NodeAPI, NodeDef, NodeStatus } from 'node-red';
import {
  BROKER_DEFAULTS,
  BrokerCredentials,
  BrokerSettings,
  ConnectOptions,
  connectOptions,
} from './lib/mqtt/broker-settings';
import { ConnectionProblem, describeConnectionError } from './lib/mqtt/connection-error';
import { DeferredAcks } from './lib/mqtt/deferred-acks';
import { errorMessage, withDefaults } from './lib/settings';
import type { MqttBrokerNode, MqttSubscriber } from './runtime/mqtt-broker-node';

/** How long close waits for the PUBACKs of taken messages to go out. */
const END_WAIT_MS = 3000;

interface Held {
  packet: IPublishPacket;
  callback: () => void;
  waiting: MqttSubscriber[];
}

export = function (RED: NodeAPI) {
  function TelemetryMqttBroker(
    this: MqttBrokerNode & { credentials: BrokerCredentials },
    raw: NodeDef & Partial<BrokerSettings>,
  ) {
    RED.nodes.createNode(this, raw);
    const node = this;
    let settings: ConnectOptions | undefined;
    try {
      settings = connectOptions(
        withDefaults(raw, BROKER_DEFAULTS),
        node.credentials ?? {},
        () => `telemetry_${crypto.randomBytes(4).toString('hex')}`,
      );
    } catch (e) {
      node.settingsError = errorMessage(e);
    }
    const subscribers = new Set<MqttSubscriber>();
    let client: MqttClient | undefined;
    let acks: DeferredAcks | undefined;
    let held: Held | undefined;
    let state: NodeStatus = { fill: 'grey', shape: 'ring', text: 'node-red:common.status.disconnected' };
    let warned = false;
    // Why the last attempt failed, until one succeeds. A broker that stays away fails the same way
    // every 2 s: its reason is logged once, until it changes, and stays in the status meanwhile.
    let problem: ConnectionProblem | undefined;
    const problemStatus = (): NodeStatus | undefined => problem && { fill: 'red', shape: 'ring', text: problem.status };

    const show = (s: NodeStatus) => {
      state = s;
      for (const sub of subscribers) sub.status(s);
    };
    Object.defineProperty(node, 'connected', { get: () => client?.connected === true });

    /** Offers a message to the subscribers still waiting for it; calls back once all took it. */
    const offer = (h: Held) => {
      try {
        h.waiting = h.waiting.filter((s) => subscribers.has(s) && s.take(h.packet) === 'full');
      } catch (e) {
        // A journal that cannot be written (the subscriber said why).
        if (held === h) held = undefined;
        acks?.abandon(e);
        return;
      }
      if (h.waiting.length > 0) {
        if (held !== h) {
          held = h;
          show({ fill: 'yellow', shape: 'ring', text: 'paused: journal full' });
        }
        return;
      }
      if (held === h) {
        held = undefined;
        show(connectedStatus());
      }
      acks?.acknowledge(h.packet, h.callback);
    };

    /** What every journal staged, written; throws when one cannot be (the subscriber says why). */
    const commitJournals = () => {
      for (const s of subscribers) s.commit();
    };

    const connectedStatus = (): NodeStatus => ({
      fill: 'green',
      shape: 'dot',
      text: 'node-red:common.status.connected',
    });

    const connect = () => {
      if (!settings) return;
      if (settings.warning && !warned) {
        warned = true;
        node.warn(`telemetry-mqtt-broker: ${settings.warning}`);
      }
      show({ fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' });
      const c = mqtt.connect(settings.url, settings.options);
      client = c;
      acks = new DeferredAcks(c, commitJournals, () =>
        node.warn('telemetry-mqtt-broker: reconnecting, so that the broker sends again what a journal could not write'),
      );
      c.handleMessage = (packet, callback) => {
        const topic = packet.topic;
        const waiting = [...subscribers].filter((s) => s.filter.matches(topic));
        offer({ packet, callback: () => callback(), waiting });
      };
      c.on('connect', (connack) => {
        problem = undefined;
        show(connectedStatus());
        node.log(
          `telemetry-mqtt-broker: connected to ${settings.url} as ${settings.options.clientId}${connack.sessionPresent ? ' (session resumed)' : ''}`,
        );
        // MQTT.js subscribes again by itself after a reconnect; a first connection, or a broker that
        // lost the session, needs the subscriptions made here.
        if (!connack.sessionPresent) for (const s of subscribers) subscribe(s);
      });
      // Each attempt closes and tries again: while the last one failed, its reason stays shown.
      c.on('reconnect', () =>
        show(problemStatus() ?? { fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' }),
      );
      c.on('close', () => {
        // A message waiting for room belongs to a connection that is gone: the broker sends it
        // again on the next one, and MQTT.js drops the old connection's acknowledgements.
        held = undefined;
        if (client === c && !c.disconnecting)
          show(problemStatus() ?? { fill: 'red', shape: 'ring', text: 'node-red:common.status.disconnected' });
      });
      c.on('error', (e) => {
        const now = describeConnectionError(e);
        if (now.detail !== problem?.detail) node.warn(`telemetry-mqtt-broker: ${settings.url}: ${now.detail}`);
        problem = now;
        show(problemStatus()!);
      });
    };

    const subscribe = (s: MqttSubscriber) => {
      client?.subscribe(s.filter.subscription, { qos: s.qos }, (err, granted) => {
        const refused = granted?.find((g) => g.qos === 128);
        if (err || refused)
          node.error(
            `telemetry-mqtt-broker: the broker refused the subscription to "${s.filter.subscription}"${err ? `: ${err.message}` : ''}`,
          );
      });
    };

    node.register = (s) => {
      subscribers.add(s);
      s.status(state);
      if (!client) connect();
      else if (client.connected) subscribe(s);
    };

    node.deregister = async (s, removed) => {
      // What it staged is written and acknowledged before it goes.
      acks?.flush();
      subscribers.delete(s);
      if (held) held.waiting = held.waiting.filter((w) => w !== s);
      if (removed && client?.connected) client.unsubscribe(s.filter.subscription);
      if (subscribers.size > 0 || !client) return;
      const c = client;
      client = undefined;
      acks = undefined;
      await endClient(c);
    };

    node.roomFreed = () => {
      if (held) offer(held);
    };

    const endClient = (c: MqttClient) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          c.end(true);
          resolve();
        }, END_WAIT_MS);
        // Not forced: the PUBACKs of what the journals took go out first.
        c.end(false, {}, () => {
          clearTimeout(timer);
          resolve();
        });
      });

    node.on('close', (done: () => void) => {
      acks?.flush();
      acks = undefined;
      const c = client;
      client = undefined;
      held = undefined;
      if (!c) return done();
      endClient(c).then(done, done);
    });
  }

  RED.nodes.registerType('telemetry-mqtt-broker', TelemetryMqttBroker as never, {
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
      key: { type: 'password' },
      passphrase: { type: 'password' },
    },
  });
};
