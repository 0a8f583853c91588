// What passes between a shared broker connection (shared-connection.ts, in telemetry-mqtt-broker)
// and the subscribers that use it (journaled-subscriber.ts, in telemetry-mqtt-in).

import type { IPublishPacket } from 'mqtt';
import type { Status } from '../node-io';
import type { TopicFilter } from './topic-filter';

/** What a subscriber answers for a message: taken (staged in its journal, or refused with a
 *  reason: either way it may be acknowledged once committed), or full (not taken: the broker keeps
 *  it until there is room). */
export type Take = 'taken' | 'full';

export interface MqttSubscriber {
  id: string;
  filter: TopicFilter;
  qos: 0 | 1 | 2;
  /** Throws when its journal cannot be written (having said why). */
  take(packet: IPublishPacket): Take;
  /** Writes what take staged; the broker node calls it before it acknowledges. Throws as take. */
  commit(): void;
  /** The connection's state; its text may be a Node-RED message catalogue key. */
  status(s: Status): void;
}

/** The connection's side: what a subscriber calls. */
export interface MqttSubscriptions {
  register(s: MqttSubscriber): void;
  /** Stops delivering to it; `removed` also unsubscribes (a persistent session otherwise keeps
   *  collecting its messages for the next start). */
  deregister(s: MqttSubscriber, removed: boolean): Promise<void>;
  /** A subscriber that answered 'full' has room again. */
  roomFreed(): void;
}
