// What telemetry-mqtt-in gets from a telemetry-mqtt-broker node (the config's own file is the
// Node-RED module; the connection itself is lib/mqtt/shared-connection.ts).
import type { Node, NodeAPI } from 'node-red';
import type { MqttSubscriptions } from '../lib/mqtt/subscriber';

export interface MqttBrokerNode extends Node, MqttSubscriptions {
  settingsError?: string;
  readonly connected: boolean;
}

export function mqttBrokerFor(RED: NodeAPI, configId: string): MqttBrokerNode {
  const broker = RED.nodes.getNode(configId) as MqttBrokerNode | null;
  if (!broker) throw new Error('no MQTT broker selected: open this node and choose or add a telemetry-mqtt-broker');
  if (broker.settingsError) throw new Error(`the MQTT broker settings are invalid: ${broker.settingsError}`);
  return broker;
}
