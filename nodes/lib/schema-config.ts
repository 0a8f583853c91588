// The telemetry-schema config node's settings -> a TelemetrySchema.

import { referenceSchemaRows } from './reference-schema';
import { SchemaRow, TelemetrySchema, schemaFromJsonSchema, schemaFromRows } from './schema';
import { CONFIG_VERSION, errorMessage, numberSetting, withDefaults } from './settings';
import { Precision } from './timestamps';

export interface TelemetrySchemaConfig {
  name: string;
  version: number;
  mode: 'table' | 'jsonschema';
  /** Table rows; absent in a flow means the reference fleet's rows. */
  rows: SchemaRow[] | undefined;
  jsonSchema: string;
  measurement: string;
  deviceTypeKey: string;
  timestampKey: string;
  precision: Precision;
  unknownDeviceTypes: 'reject' | 'infer';
  unknownKeys: 'reject' | 'ignore';
  inferredTags: string;
  maxTagLength: number | string;
  maxStringLength: number | string;
}

export const SCHEMA_NODE_DEFAULTS: TelemetrySchemaConfig = {
  name: '',
  version: CONFIG_VERSION,
  mode: 'table',
  rows: undefined,
  jsonSchema: '',
  measurement: 'iot_sensors',
  deviceTypeKey: 'device_type',
  timestampKey: 'timestamp',
  precision: 'ns',
  unknownDeviceTypes: 'reject',
  unknownKeys: 'reject',
  inferredTags: 'device_id,device_type,location,floor',
  maxTagLength: 256,
  maxStringLength: 1024,
};

/** Builds the schema a config describes; throws with a message that names the bad row or path. */
export function buildSchema(raw: Partial<TelemetrySchemaConfig>): TelemetrySchema {
  const c = withDefaults(raw, SCHEMA_NODE_DEFAULTS);
  const settings = {
    measurement: c.measurement,
    deviceTypeKey: c.deviceTypeKey,
    timestampKey: c.timestampKey,
    precision: c.precision,
    unknownDeviceTypes: c.unknownDeviceTypes,
    unknownKeys: c.unknownKeys,
    inferredTags: c.inferredTags.split(',').map((s) => s.trim()).filter(Boolean),
    maxTagLength: numberSetting(c.maxTagLength, 'Max tag length', { min: 1, integer: true }),
    maxStringLength: numberSetting(c.maxStringLength, 'Max string length', { min: 1, integer: true }),
  };
  if (c.mode === 'jsonschema') {
    let doc: unknown;
    try {
      doc = JSON.parse(c.jsonSchema);
    } catch (e) {
      throw new Error(`the JSON Schema is not valid JSON: ${errorMessage(e)}`);
    }
    return schemaFromJsonSchema(settings, doc);
  }
  return schemaFromRows(settings, c.rows ?? referenceSchemaRows());
}

