// What nodes get from an influxdb3-config node (the config's own file is the Node-RED module).
import type { InfluxDBClient } from '@influxdata/influxdb3-client';
import type { Node, NodeAPI } from 'node-red';
import type { ConnectionSettings, InfluxDB3Http } from '../lib/influxdb3/influxdb3-http';

export interface InfluxDB3ConfigNode extends Node {
  database: string;
  settingsError?: string;
  connection(maxSockets?: number): ConnectionSettings;
  acquireHttp(): InfluxDB3Http;
  releaseHttp(): void;
  acquireClient(): InfluxDBClient;
  releaseClient(): Promise<void>;
}

/** The influxdb3-config a node selected, checked: throws with what to do when it is missing or its
 *  settings are invalid. */
export function influxdb3ServerFor(RED: NodeAPI, configId: string): InfluxDB3ConfigNode {
  const config = RED.nodes.getNode(configId) as InfluxDB3ConfigNode | null;
  if (!config) throw new Error('no InfluxDB 3 server selected: open this node and choose or add an influxdb3-config');
  if (config.settingsError) throw new Error(`the InfluxDB 3 server settings are invalid: ${config.settingsError}`);
  return config;
}
