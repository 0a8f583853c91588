// telemetry-metrics's settings, declared once for the runtime and the editor.

import { METRICS_TABLE, metricsTableProblem } from '../lib/metrics/metrics-lines';
import { declareSettings } from '../lib/node-settings/declared-settings';

export const settings = declareSettings('telemetry-metrics', {
  intervalSec: { kind: 'number', value: 10, label: 'Every (s)', min: 1, max: 3600, integer: true },
  table: { kind: 'text', value: METRICS_TABLE, required: { label: 'Table' }, check: metricsTableProblem },
});
