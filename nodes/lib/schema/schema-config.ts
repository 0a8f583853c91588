// The telemetry-schema config node's settings -> a TelemetrySchema.

import { referenceSchemaRows } from './reference-schema';
import { SCHEMA_DEFAULTS, SchemaRow, TelemetrySchema, schemaFromJsonSchema, schemaFromRows } from './schema';
import { CONFIG_VERSION, errorMessage, numberSetting, withDefaults } from '../settings';

/** The config node's properties: the schema's settings as the editor stores them, and the rows. */
export interface TelemetrySchemaConfig extends Pick<
  TelemetrySchema,
  'measurement' | 'deviceTypeKey' | 'timestampKey' | 'precision' | 'unknownDeviceTypes' | 'unknownKeys'
> {
  name: string;
  version: number;
  mode: 'table' | 'jsonschema';
  /** Table rows; absent in a flow means the reference fleet's rows. */
  rows: SchemaRow[] | undefined;
  jsonSchema: string;
  /** Comma-separated. */
  inferredTags: string;
  maxTagLength: number | string;
  maxStringLength: number | string;
}

const { inferredTags, ...settingDefaults } = SCHEMA_DEFAULTS;

export const SCHEMA_NODE_DEFAULTS: TelemetrySchemaConfig = {
  name: '',
  version: CONFIG_VERSION,
  mode: 'table',
  rows: undefined,
  jsonSchema: '',
  ...settingDefaults,
  inferredTags: inferredTags.join(','),
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
    inferredTags: c.inferredTags
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    maxTagLength: numberSetting(c.maxTagLength, 'Max tag length', { min: 1, integer: true }),
    maxStringLength: numberSetting(c.maxStringLength, 'Max string length', { min: 1, integer: true }),
  };
  if (c.mode === 'jsonschema') {
    let doc: unknown;
    try {
      doc = JSON.parse(c.jsonSchema);
    } catch (e) {
      throw new Error(`the JSON Schema is not valid JSON: ${errorMessage(e)}`, { cause: e });
    }
    return schemaFromJsonSchema(settings, doc);
  }
  return schemaFromRows(settings, c.rows ?? referenceSchemaRows());
}
