// telemetry-line-protocol's settings, declared once for the runtime and the editor.

import { declareSettings } from '../lib/node-settings/declared-settings';

export const settings = declareSettings('telemetry-line-protocol', {
  schema: { kind: 'config-node', value: '', nodeType: 'telemetry-schema', required: false },
  batchSize: { kind: 'number', value: 5000, label: 'Batch size (lines)', min: 0, integer: true },
  batchBytes: { kind: 'number', value: 5 * 1024 * 1024, label: 'Batch size (bytes)', min: 0, integer: true },
  flushInterval: { kind: 'number', value: 10, label: 'Flush interval (s)', min: 0 },
  maxBufferBytes: { kind: 'number', value: 64 * 1024 * 1024, label: 'Memory limit (bytes)', min: 1024, integer: true },
  database: { kind: 'text', value: '' },
});
