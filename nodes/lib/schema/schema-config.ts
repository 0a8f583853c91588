// The telemetry-schema config node's settings -> a TelemetrySchema.

import { referenceSchemaRows } from './reference-schema';
import { SchemaRow, TelemetrySchema, schemaFromJsonSchema, schemaFromRows } from './schema';
import { errorMessage } from '../settings';

/** A telemetry-schema node's settings, as its declaration reads them (nodes/telemetry-schema/settings.ts). */
export interface TelemetrySchemaConfig extends Pick<
  TelemetrySchema,
  'measurement' | 'deviceTypeKey' | 'timestampKey' | 'precision' | 'unknownDeviceTypes' | 'unknownKeys'
> {
  mode: 'table' | 'jsonschema';
  /** Table rows; absent in a flow means the reference fleet's rows. */
  rows: SchemaRow[] | undefined;
  jsonSchema: string;
  /** Comma-separated. */
  inferredTags: string;
  maxTagLength: number;
  maxStringLength: number;
}

/** Builds the schema a config describes; throws with a message that names the bad row or path. */
export function buildSchema(c: TelemetrySchemaConfig): TelemetrySchema {
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
    maxTagLength: c.maxTagLength,
    maxStringLength: c.maxStringLength,
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
