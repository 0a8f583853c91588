// What nodes get from an influxdb3-config node (the config's own file is the Node-RED module).
import type { InfluxDBClient } from '@influxdata/influxdb3-client';
import type { Node } from 'node-red';
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
