// What telemetry-mqtt-in gets from a telemetry-mqtt-broker node (the config's own file is the
// Node-RED module).
import type { IPublishPacket } from 'mqtt';
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { TopicFilter } from '../lib/mqtt/topic-filter';

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
  status(s: NodeStatus): void;
}

export interface MqttBrokerNode extends Node {
  settingsError?: string;
  register(s: MqttSubscriber): void;
  /** Stops delivering to it; `removed` also unsubscribes (a persistent session otherwise keeps
   *  collecting its messages for the next start). */
  deregister(s: MqttSubscriber, removed: boolean): Promise<void>;
  /** A subscriber that answered 'full' has room again. */
  roomFreed(): void;
  readonly connected: boolean;
}

export function mqttBrokerFor(RED: NodeAPI, configId: string): MqttBrokerNode {
  const broker = RED.nodes.getNode(configId) as MqttBrokerNode | null;
  if (!broker) throw new Error('no MQTT broker selected: open this node and choose or add a telemetry-mqtt-broker');
  if (broker.settingsError) throw new Error(`the MQTT broker settings are invalid: ${broker.settingsError}`);
  return broker;
}
