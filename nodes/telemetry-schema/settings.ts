// telemetry-schema's settings, declared once for the runtime and the editor. Rows left unset are
// the reference fleet's, which the dialog shows a new schema.

import { declareSettings } from '../lib/node-settings/declared-settings';
import type { SchemaRow } from '../lib/schema/schema';
import { SCHEMA_DEFAULTS } from '../lib/schema/schema';
import { PRECISIONS } from '../lib/timestamps';

export const settings = declareSettings('telemetry-schema', {
  mode: { kind: 'choice', value: 'table', label: 'Schema from', options: ['table', 'jsonschema'] as const },
  rows: { kind: 'data', value: undefined as SchemaRow[] | undefined, check: rowsProblem },
  jsonSchema: { kind: 'text', value: '' },
  measurement: { kind: 'text', value: SCHEMA_DEFAULTS.measurement, required: { label: 'Table' } },
  deviceTypeKey: { kind: 'text', value: SCHEMA_DEFAULTS.deviceTypeKey, required: { label: 'Device type key' } },
  timestampKey: { kind: 'text', value: SCHEMA_DEFAULTS.timestampKey, required: { label: 'Timestamp key' } },
  precision: { kind: 'choice', value: SCHEMA_DEFAULTS.precision, label: 'Precision', options: PRECISIONS },
  unknownDeviceTypes: {
    kind: 'choice',
    value: SCHEMA_DEFAULTS.unknownDeviceTypes,
    label: 'Unknown device types',
    options: ['reject', 'infer'] as const,
  },
  unknownKeys: {
    kind: 'choice',
    value: SCHEMA_DEFAULTS.unknownKeys,
    label: 'Unknown keys',
    options: ['reject', 'ignore'] as const,
  },
  inferredTags: { kind: 'text', value: SCHEMA_DEFAULTS.inferredTags.join(',') },
  maxTagLength: { kind: 'number', value: SCHEMA_DEFAULTS.maxTagLength, label: 'Max tag length', min: 1, integer: true },
  maxStringLength: {
    kind: 'number',
    value: SCHEMA_DEFAULTS.maxStringLength,
    label: 'Max string length',
    min: 1,
    integer: true,
  },
});

function rowsProblem(rows: unknown): string | undefined {
  return rows === undefined || Array.isArray(rows) ? undefined : 'the schema rows must be a list';
}
