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
} from '../lib/mqtt/broker-settings';
import { ConnectionProblem, describeConnectionError } from '../lib/mqtt/connection-error';
import { DeferredAcks } from '../lib/mqtt/deferred-acks';
import { errorMessage, withDefaults } from '../lib/settings';
import type { MqttBrokerNode, MqttSubscriber } from '../runtime/mqtt-broker-node';

/** How long close waits for the PUBACKs of taken messages to go out. */
const END_WAIT_MS = 3000;
/** How long a subscriber closed by a redeploy is waited for while others keep the connection:
 *  Node-RED starts the new nodes once every closing one has finished, each given 15 s by default. */
const RETURN_WAIT_MS = 60_000;

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
          const redeploy = h.waiting.some(isStandIn);
          show({
            fill: 'yellow',
            shape: 'ring',
            text: redeploy ? 'paused: a node is redeploying' : 'paused: journal full',
          });
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
        // A session the broker kept holds what was subscribed on it (by this client, or by the one
        // before it that a redeploy ended); a new session holds nothing. Filters a redeploy changed
        // are made, and ones no node has now are ended.
        if (!connack.sessionPresent) subscribed.clear();
        for (const s of subscribers) subscribe(s);
        for (const subscription of [...subscribed]) unsubscribeUnwanted(subscription);
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

    /** The subscriptions made in the broker's session, so each is made once. */
    const subscribed = new Set<string>();
    const subscribe = (s: MqttSubscriber) => {
      const c = client;
      if (!c?.connected || subscribed.has(s.filter.subscription)) return;
      subscribed.add(s.filter.subscription);
      c.subscribe(s.filter.subscription, { qos: s.qos }, (err, granted) => {
        const refused = granted?.find((g) => g.qos === 128);
        if (!err && !refused) return;
        subscribed.delete(s.filter.subscription); // tried again at the next connection
        if (err && !c.connected) return; // the connection closed first: not a refusal
        node.error(
          `telemetry-mqtt-broker: the broker refused the subscription to "${s.filter.subscription}"${err ? `: ${err.message}` : ''}`,
        );
      });
    };

    // A subscriber closed by a redeploy while others keep the connection leaves a stand-in that
    // takes nothing: messages for it wait, unacknowledged, until it is back (the same node id),
    // instead of being acknowledged without it in between. After RETURN_WAIT_MS it is let go.
    const standIns = new Map<string, { sub: MqttSubscriber; timer: NodeJS.Timeout }>();
    const isStandIn = (w: MqttSubscriber) => standIns.get(w.id)?.sub === w;
    const standInFor = (s: MqttSubscriber): MqttSubscriber => ({
      id: s.id,
      filter: s.filter,
      qos: s.qos,
      take: () => 'full',
      commit: () => {},
      status: () => {},
    });
    /** Puts `to` (or no one) in the place of `from` among the subscribers a held message waits for. */
    const replaceWaiting = (from: MqttSubscriber, to: MqttSubscriber | undefined) => {
      if (!held || !held.waiting.includes(from)) return;
      const h = held;
      h.waiting = h.waiting.flatMap((w) => (w !== from ? [w] : to && to.filter.matches(h.packet.topic) ? [to] : []));
      offer(h);
    };
    /** Ends a subscription no subscriber left (stand-ins too) still has. */
    const unsubscribeUnwanted = (subscription: string) => {
      const wanted = [...subscribers].some((w) => w.filter.subscription === subscription);
      if (wanted || !client?.connected) return;
      subscribed.delete(subscription);
      client.unsubscribe(subscription);
    };
    const letGo = (id: string) => {
      const back = standIns.get(id);
      if (!back) return undefined;
      clearTimeout(back.timer);
      standIns.delete(id);
      subscribers.delete(back.sub);
      return back.sub;
    };
    const letAllGo = () => {
      for (const id of [...standIns.keys()]) letGo(id);
    };

    node.register = (s) => {
      const standIn = letGo(s.id);
      subscribers.add(s);
      s.status(state);
      if (!client) connect();
      else subscribe(s);
      if (standIn) {
        // Back with another filter: the old one is no one's now.
        if (standIn.filter.subscription !== s.filter.subscription) unsubscribeUnwanted(standIn.filter.subscription);
        replaceWaiting(standIn, s);
      }
    };

    node.deregister = async (s, removed) => {
      if (!subscribers.has(s)) return; // closed before it started
      // What it staged is written and acknowledged before it goes.
      acks?.flush();
      subscribers.delete(s);
      const othersStay = [...subscribers].some((w) => !isStandIn(w));
      if (othersStay && client) {
        if (removed) {
          unsubscribeUnwanted(s.filter.subscription);
          replaceWaiting(s, undefined); // the others have taken what waited for it
          return;
        }
        const standIn = standInFor(s);
        subscribers.add(standIn);
        const timer = setTimeout(() => {
          const gone = letGo(s.id);
          if (!gone) return;
          unsubscribeUnwanted(gone.filter.subscription);
          replaceWaiting(gone, undefined);
        }, RETURN_WAIT_MS);
        standIns.set(s.id, { sub: standIn, timer });
        replaceWaiting(s, standIn);
        return;
      }
      // The last one: the connection ends. What waits for room is not acknowledged, so the broker
      // sends it again.
      if (removed) unsubscribeUnwanted(s.filter.subscription); // not one a stand-in still has
      letAllGo();
      held = undefined;
      if (!client) return;
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
      letAllGo();
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
