// The schema of the reference fleet (docs/reference-pipeline.md): what every node uses when no
// telemetry-schema is selected, so the simulator's readings flow through with zero configuration.

import { SchemaRow, TelemetrySchema, ValueType, schemaFromRows } from './schema';

const TAGS = ['device_id', 'device_type', 'location', 'floor'];

// [key, type, unit, min, max]: the ranges are what the sensors can physically report; a value
// outside is a faulty reading, not weather.
type FieldRow = [string, ValueType, string?, number?, number?];
const BATTERY: FieldRow = ['battery_level', 'float', '%', 0, 100];

const FIELDS: Record<string, FieldRow[]> = {
  temperature: [
    ['temperature', 'float', 'degC', -40, 125],
    ['humidity', 'float', '%', 0, 100],
    BATTERY,
    ['signal_strength', 'integer', 'dBm', -120, 0],
  ],
  motion: [['motion_detected', 'boolean'], ['sensitivity', 'integer', undefined, 1, 10], BATTERY],
  door: [['door_open', 'boolean'], ['open_count', 'integer', undefined, 0], BATTERY],
};

export function referenceSchemaRows(): SchemaRow[] {
  const rows: SchemaRow[] = [];
  for (const [deviceType, fields] of Object.entries(FIELDS)) {
    for (const key of TAGS) rows.push({ deviceType, key, kind: 'tag', type: 'string', required: true, maxLength: 64 });
    for (const [key, type, unit, min, max] of fields) {
      rows.push({ deviceType, key, kind: 'field', type, required: true, unit, min, max });
    }
  }
  return rows;
}

let cached: TelemetrySchema | undefined;

export function referenceSchema(): TelemetrySchema {
  return (cached ??= schemaFromRows({}, referenceSchemaRows()));
}
