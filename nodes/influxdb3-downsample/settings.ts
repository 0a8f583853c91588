// influxdb3-downsample's settings, declared once for the runtime and the editor. The fields are the
// reference tier's (5-minute means, and min/max of temperature), which the dialog shows a new node.

import { retentionProblem } from '../lib/influxdb3/database-retention';
import type { FieldSetting } from '../lib/downsample/tier-spec';
import { declareSettings } from '../lib/node-settings/declared-settings';

export const REFERENCE_FIELDS: FieldSetting[] = [
  { field: 'temperature', aggregates: ['mean', 'min', 'max'] },
  { field: 'humidity', aggregates: ['mean'] },
  { field: 'battery_level', aggregates: ['mean'] },
];

export const settings = declareSettings('influxdb3-downsample', {
  server: { kind: 'config-node', value: '', nodeType: 'influxdb3-config', required: true },
  schema: { kind: 'config-node', value: '', nodeType: 'telemetry-schema', required: false },
  sourceKind: { kind: 'choice', value: 'raw', label: 'Source', options: ['raw', 'tier'] as const },
  sourceDatabase: { kind: 'text', value: 'iot-sensors' },
  sourceTable: { kind: 'text', value: 'iot_sensors', required: { label: 'Source table' } },
  targetDatabase: { kind: 'text', value: 'iot-sensors-5min', required: { label: 'Target database' } },
  targetTable: { kind: 'text', value: 'iot_sensors_5min', required: { label: 'Target table' } },
  bucket: { kind: 'number', value: 5, label: 'Bucket', min: 1, integer: true },
  bucketUnit: { kind: 'choice', value: 'min', label: 'Bucket unit', options: ['s', 'min', 'h', 'd'] as const },
  tags: { kind: 'text', value: '' },
  fields: { kind: 'data', value: REFERENCE_FIELDS, check: fieldsProblem },
  grace: { kind: 'number', value: 60, label: 'Grace (s)', min: 0, max: 86400 },
  recountMinutes: { kind: 'number', value: 60, label: 'Recount (minutes)', min: 0, max: 7 * 1440 },
  bucketsPerQuery: { kind: 'number', value: 288, label: 'Buckets per query', min: 1, max: 100_000, integer: true },
  rowsPerQuery: { kind: 'number', value: 500_000, label: 'Rows per query', min: 1000, integer: true },
  backfillDays: { kind: 'number', value: 31, label: 'Longest backfill (days)', min: 1, max: 3660 },
  retention: { kind: 'text', value: '', check: retentionProblem },
  clock: { kind: 'choice', value: 'system', label: 'Clock', options: ['system', 'manual'] as const },
  spoolMB: { kind: 'number', value: 256, label: 'Spool limit (MB)', min: 1 },
});

function fieldsProblem(fields: unknown): string | undefined {
  return Array.isArray(fields) ? undefined : 'the fields must be a list of {field, aggregates}';
}
