// One MQTT connection shared by the subscribers that use it (telemetry-mqtt-broker's work): opened
// by the first and closed when the last lets go, with its state shown on every one of them. It owns
// the acknowledgements: MQTT.js sends a QoS 1 PUBACK when handleMessage calls back, and this calls
// back only once every subscriber the message is for has taken it into its journal; the PUBACK
// itself waits until the journals have written it (deferred-acks.ts). A subscriber whose journal is
// full makes it wait: MQTT.js then reads nothing more and the broker keeps the messages
// (backpressure, not loss).

import mqtt, { IPublishPacket, MqttClient } from 'mqtt';
import { Log, Status, Timers, systemTimers } from '../node-io';
import type { ConnectOptions } from './broker-settings';
import { ConnectionProblem, describeConnectionError } from './connection-error';
import { DeferredAcks } from './deferred-acks';
import type { MqttSubscriber, MqttSubscriptions } from './subscriber';

export interface SharedConnectionWaits {
  /** How long close waits for the PUBACKs of taken messages to go out. */
  endMs: number;
  /** How long a subscriber closed by a redeploy is waited for while others keep the connection:
   *  Node-RED starts the new nodes once every closing one has finished, each given 15 s by default. */
  returnMs: number;
}

export const CONNECTION_WAITS: SharedConnectionWaits = { endMs: 3000, returnMs: 60_000 };

interface Held {
  packet: IPublishPacket;
  callback: () => void;
  waiting: MqttSubscriber[];
}

// Statuses are Node-RED message catalogue keys: each subscriber's node translates them.
const CONNECTING: Status = { fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' };
const CONNECTED: Status = { fill: 'green', shape: 'dot', text: 'node-red:common.status.connected' };
const DISCONNECTED: Status = { fill: 'red', shape: 'ring', text: 'node-red:common.status.disconnected' };

export class SharedConnection implements MqttSubscriptions {
  private readonly subscribers = new Set<MqttSubscriber>();
  private client: MqttClient | undefined;
  private acks: DeferredAcks | undefined;
  /** The message waiting for room, at most one: MQTT.js reads nothing more until it is taken. */
  private held: Held | undefined;
  private state: Status = { fill: 'grey', shape: 'ring', text: 'node-red:common.status.disconnected' };
  private warned = false;
  // Why the last attempt failed, until one succeeds. A broker that stays away fails the same way
  // every reconnect period: its reason is logged once, until it changes, and stays in the status.
  private problem: ConnectionProblem | undefined;
  /** The subscriptions made in the broker's session, so each is made once. */
  private readonly subscribed = new Set<string>();
  // A subscriber closed by a redeploy while others keep the connection leaves a stand-in that
  // takes nothing: messages for it wait, unacknowledged, until it is back (the same node id),
  // instead of being acknowledged without it in between. After waits.returnMs it is let go.
  private readonly standIns = new Map<string, { sub: MqttSubscriber; timer: unknown }>();

  /** @param settings undefined when the node's settings are invalid: then it never connects. */
  constructor(
    private readonly settings: ConnectOptions | undefined,
    private readonly log: Log,
    private readonly timers: Timers = systemTimers,
    private readonly waits: SharedConnectionWaits = CONNECTION_WAITS,
  ) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  register(s: MqttSubscriber): void {
    const standIn = this.letGo(s.id);
    this.subscribers.add(s);
    s.status(this.state);
    if (!this.client) this.connect();
    else this.subscribe(s);
    if (standIn) {
      // Back with another filter: the old one is no one's now.
      if (standIn.filter.subscription !== s.filter.subscription) this.unsubscribeUnwanted(standIn.filter.subscription);
      this.replaceWaiting(standIn, s);
    }
  }

  async deregister(s: MqttSubscriber, removed: boolean): Promise<void> {
    if (!this.subscribers.has(s)) return; // closed before it started
    // What it staged is written and acknowledged before it goes.
    this.acks?.flush();
    this.subscribers.delete(s);
    const othersStay = [...this.subscribers].some((w) => !this.isStandIn(w));
    if (othersStay && this.client) {
      if (removed) {
        this.unsubscribeUnwanted(s.filter.subscription);
        this.replaceWaiting(s, undefined); // the others have taken what waited for it
        return;
      }
      const standIn = standInFor(s);
      this.subscribers.add(standIn);
      const timer = this.timers.setTimeout(() => {
        const gone = this.letGo(s.id);
        if (!gone) return;
        this.unsubscribeUnwanted(gone.filter.subscription);
        this.replaceWaiting(gone, undefined);
      }, this.waits.returnMs);
      this.standIns.set(s.id, { sub: standIn, timer });
      this.replaceWaiting(s, standIn);
      return;
    }
    // The last one: the connection ends. What waits for room is not acknowledged, so the broker
    // sends it again.
    if (removed) this.unsubscribeUnwanted(s.filter.subscription); // not one a stand-in still has
    this.letAllGo();
    this.held = undefined;
    if (!this.client) return;
    const c = this.client;
    this.client = undefined;
    this.acks = undefined;
    await this.endClient(c);
  }

  roomFreed(): void {
    if (this.held) this.offer(this.held);
  }

  /** Writes and acknowledges what the journals took, then ends the connection. */
  close(): Promise<void> {
    this.letAllGo();
    this.acks?.flush();
    this.acks = undefined;
    const c = this.client;
    this.client = undefined;
    this.held = undefined;
    return c ? this.endClient(c) : Promise.resolve();
  }

  private show(s: Status): void {
    this.state = s;
    for (const sub of this.subscribers) sub.status(s);
  }

  private problemStatus(): Status | undefined {
    return this.problem && { fill: 'red', shape: 'ring', text: this.problem.status };
  }

  /** Offers a message to the subscribers still waiting for it; calls back once all took it. */
  private offer(h: Held): void {
    try {
      h.waiting = h.waiting.filter((s) => this.subscribers.has(s) && s.take(h.packet) === 'full');
    } catch (e) {
      // A journal that cannot be written (the subscriber said why).
      if (this.held === h) this.held = undefined;
      this.acks?.abandon(e);
      return;
    }
    if (h.waiting.length > 0) {
      if (this.held !== h) {
        this.held = h;
        const redeploy = h.waiting.some((w) => this.isStandIn(w));
        this.show({
          fill: 'yellow',
          shape: 'ring',
          text: redeploy ? 'paused: a node is redeploying' : 'paused: journal full',
        });
      }
      return;
    }
    if (this.held === h) {
      this.held = undefined;
      this.show(CONNECTED);
    }
    this.acks?.acknowledge(h.packet, h.callback);
  }

  /** What every journal staged, written; throws when one cannot be (the subscriber says why). */
  private readonly commitJournals = () => {
    for (const s of this.subscribers) s.commit();
  };

  private connect(): void {
    const settings = this.settings;
    if (!settings) return;
    if (settings.warning && !this.warned) {
      this.warned = true;
      this.log.warn(settings.warning);
    }
    this.show(CONNECTING);
    const c = mqtt.connect(settings.url, settings.options);
    this.client = c;
    this.acks = new DeferredAcks(c, this.commitJournals, () =>
      this.log.warn('reconnecting, so that the broker sends again what a journal could not write'),
    );
    c.handleMessage = (packet, callback) => {
      const topic = packet.topic;
      const waiting = [...this.subscribers].filter((s) => s.filter.matches(topic));
      this.offer({ packet, callback: () => callback(), waiting });
    };
    c.on('connect', (connack) => {
      this.problem = undefined;
      this.show(CONNECTED);
      this.log.log(
        `connected to ${settings.url} as ${settings.options.clientId}${connack.sessionPresent ? ' (session resumed)' : ''}`,
      );
      // A session the broker kept holds what was subscribed on it (by this client, or by the one
      // before it that a redeploy ended); a new session holds nothing. Filters a redeploy changed
      // are made, and ones no node has now are ended.
      if (!connack.sessionPresent) this.subscribed.clear();
      for (const s of this.subscribers) this.subscribe(s);
      for (const subscription of [...this.subscribed]) this.unsubscribeUnwanted(subscription);
    });
    // Each attempt closes and tries again: while the last one failed, its reason stays shown.
    c.on('reconnect', () => this.show(this.problemStatus() ?? CONNECTING));
    c.on('close', () => {
      // A message waiting for room belongs to a connection that is gone: the broker sends it
      // again on the next one, and MQTT.js drops the old connection's acknowledgements.
      this.held = undefined;
      if (this.client === c && !c.disconnecting) this.show(this.problemStatus() ?? DISCONNECTED);
    });
    c.on('error', (e) => {
      const now = describeConnectionError(e);
      if (now.detail !== this.problem?.detail) this.log.warn(`${settings.url}: ${now.detail}`);
      this.problem = now;
      this.show(this.problemStatus()!);
    });
  }

  private subscribe(s: MqttSubscriber): void {
    const c = this.client;
    if (!c?.connected || this.subscribed.has(s.filter.subscription)) return;
    this.subscribed.add(s.filter.subscription);
    c.subscribe(s.filter.subscription, { qos: s.qos }, (err, granted) => {
      const refused = granted?.find((g) => g.qos === 128);
      if (!err && !refused) return;
      this.subscribed.delete(s.filter.subscription); // tried again at the next connection
      if (err && !c.connected) return; // the connection closed first: not a refusal
      this.log.error(
        `the broker refused the subscription to "${s.filter.subscription}"${err ? `: ${err.message}` : ''}`,
      );
    });
  }

  private isStandIn(w: MqttSubscriber): boolean {
    return this.standIns.get(w.id)?.sub === w;
  }

  /** Puts `to` (or no one) in the place of `from` among the subscribers a held message waits for. */
  private replaceWaiting(from: MqttSubscriber, to: MqttSubscriber | undefined): void {
    const h = this.held;
    if (!h || !h.waiting.includes(from)) return;
    h.waiting = h.waiting.flatMap((w) => (w !== from ? [w] : to && to.filter.matches(h.packet.topic) ? [to] : []));
    this.offer(h);
  }

  /** Ends a subscription no subscriber left (stand-ins too) still has. */
  private unsubscribeUnwanted(subscription: string): void {
    const wanted = [...this.subscribers].some((w) => w.filter.subscription === subscription);
    if (wanted || !this.client?.connected) return;
    this.subscribed.delete(subscription);
    this.client.unsubscribe(subscription);
  }

  private letGo(id: string): MqttSubscriber | undefined {
    const back = this.standIns.get(id);
    if (!back) return undefined;
    this.timers.clearTimeout(back.timer);
    this.standIns.delete(id);
    this.subscribers.delete(back.sub);
    return back.sub;
  }

  private letAllGo(): void {
    for (const id of [...this.standIns.keys()]) this.letGo(id);
  }

  private endClient(c: MqttClient): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.timers.setTimeout(() => {
        c.end(true);
        resolve();
      }, this.waits.endMs);
      // Not forced: the PUBACKs of what the journals took go out first.
      c.end(false, {}, () => {
        this.timers.clearTimeout(timer);
        resolve();
      });
    });
  }
}

function standInFor(s: MqttSubscriber): MqttSubscriber {
  return {
    id: s.id,
    filter: s.filter,
    qos: s.qos,
    take: () => 'full',
    commit: () => {},
    status: () => {},
  };
}
