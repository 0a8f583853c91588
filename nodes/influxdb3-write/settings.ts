// influxdb3-write's settings, declared once for the runtime and the editor.

import { ALERT_EVENTS_TABLE } from '../lib/alert/alert-event-lines';
import { retentionProblem } from '../lib/influxdb3/database-retention';
import { WRITER_DEFAULTS } from '../lib/influxdb3/writer-options';
import { declareSettings } from '../lib/node-settings/declared-settings';
import { ReadingError } from '../lib/schema/reading-error';
import { tagCoercer } from '../lib/schema/compiled-schema';

export const settings = declareSettings('influxdb3-write', {
  server: { kind: 'config-node', value: '', nodeType: 'influxdb3-config', required: true },
  database: { kind: 'text', value: '' },
  schema: { kind: 'config-node', value: '', nodeType: 'telemetry-schema', required: false },
  maxInFlight: {
    kind: 'number',
    value: WRITER_DEFAULTS.maxInFlight,
    label: 'Writes in flight',
    min: 1,
    max: 64,
    integer: true,
  },
  maxBatchLines: {
    kind: 'number',
    value: WRITER_DEFAULTS.maxBatchLines,
    label: 'Lines per write',
    min: 1,
    max: 100_000,
    integer: true,
  },
  maxQueueMB: {
    kind: 'number',
    value: WRITER_DEFAULTS.maxQueueBytes / 1024 / 1024,
    label: 'Memory limit (MB)',
    min: 1,
    max: 4096,
  },
  spoolMB: { kind: 'number', value: 1024, label: 'Spool limit (MB)', min: 1 },
  spoolPolicy: {
    kind: 'choice',
    value: 'reject',
    label: 'When the spool is full',
    options: ['reject', 'drop-oldest'] as const,
  },
  noSync: { kind: 'flag', value: false },
  /** A last value cache on each table written to (lib/influxdb3/last-value-cache.ts). */
  lastCache: { kind: 'flag', value: false },
  retention: { kind: 'text', value: '', check: retentionProblem },
  alertTable: { kind: 'text', value: ALERT_EVENTS_TABLE, check: alertTableProblem },
});

/** Empty means the default table; anything else must be a valid table name. */
function alertTableProblem(v: string): string | undefined {
  const table = v.trim();
  if (!table) return undefined;
  const checked = tagCoercer('Alert events table', 256)(table);
  return checked instanceof ReadingError ? checked.message : undefined;
}
