// influxdb3-query's settings, declared once for the runtime and the editor.

import { declareSettings } from '../lib/node-settings/declared-settings';

export const EXAMPLE_QUERY =
  "SELECT device_id, avg(temperature) AS avg_temperature FROM iot_sensors WHERE time > now() - INTERVAL '1 hour' GROUP BY device_id";

export const settings = declareSettings('influxdb3-query', {
  server: { kind: 'config-node', value: '', nodeType: 'influxdb3-config', required: true },
  database: { kind: 'text', value: '' },
  query: { kind: 'text', value: EXAMPLE_QUERY },
  output: { kind: 'choice', value: 'array', label: 'Output', options: ['array', 'rows', 'parts'] as const },
  partSize: { kind: 'number', value: 1000, label: 'Rows per part', min: 1, max: 100_000, integer: true },
  timeFormat: { kind: 'choice', value: 'date', label: 'Timestamps as', options: ['date', 'iso', 'ms'] as const },
  timeColumns: { kind: 'text', value: 'time' },
  timeout: { kind: 'number', value: 60, label: 'Timeout (s)', min: 1, max: 3600 },
});
