// telemetry-mqtt-broker: one MQTT connection shared by the telemetry-mqtt-in nodes that use it,
// opened by the first and closed when the last lets go (the pattern of Node-RED's mqtt-broker),
// with its state shown on every one of them. The connection, its acknowledgements (sent only after
// the subscribers' journals wrote the message) and its backpressure are lib/mqtt/
// shared-connection.ts; here are its settings, its log and its close.

import crypto from 'node:crypto';
import type { NodeAPI, NodeDef } from 'node-red';
import { BrokerCredentials, ConnectOptions, connectOptions } from '../lib/mqtt/broker-settings';
import { SharedConnection } from '../lib/mqtt/shared-connection';
import { errorMessage } from '../lib/settings';
import type { MqttBrokerNode } from '../runtime/mqtt-broker-node';
import { nodeLog } from '../runtime/node-log';
import { credentials, settings as declared } from './settings';

export = function (RED: NodeAPI) {
  function TelemetryMqttBroker(this: MqttBrokerNode & { credentials: BrokerCredentials }, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    let settings: ConnectOptions | undefined;
    try {
      settings = connectOptions(
        declared.read(raw),
        node.credentials ?? {},
        () => `telemetry_${crypto.randomBytes(4).toString('hex')}`,
      );
    } catch (e) {
      node.settingsError = errorMessage(e);
    }
    const connection = new SharedConnection(settings, nodeLog(node, 'telemetry-mqtt-broker'));
    Object.defineProperty(node, 'connected', { get: () => connection.connected });
    node.register = (s) => connection.register(s);
    node.deregister = (s, removed) => connection.deregister(s, removed);
    node.roomFreed = () => connection.roomFreed();
    node.on('close', (done: () => void) => {
      connection.close().then(done, done);
    });
  }

  RED.nodes.registerType('telemetry-mqtt-broker', TelemetryMqttBroker as never, { credentials });
};
