// telemetry-mqtt-in's settings, declared once for the runtime and the editor.

import { parseTopicFilter } from '../lib/mqtt/topic-filter';
import { compileTopicTemplate } from '../lib/mqtt/topic-template';
import { declareSettings } from '../lib/node-settings/declared-settings';
import { problemOf } from '../lib/settings';

export const settings = declareSettings('telemetry-mqtt-in', {
  broker: { kind: 'config-node', value: '', nodeType: 'telemetry-mqtt-broker', required: true },
  topic: {
    kind: 'text',
    value: 'iot/sensors/#',
    required: { label: 'Topic' },
    check: (v) => problemOf(() => parseTopicFilter(v)),
  },
  qos: { kind: 'choice', value: '1', label: 'QoS', options: ['0', '1', '2'] as const },
  topicTemplate: { kind: 'text', value: '', check: (v) => problemOf(() => compileTopicTemplate(v)) },
  maxPayloadKB: { kind: 'number', value: 256, label: 'Max payload (KB)', min: 1 },
  journalMB: { kind: 'number', value: 100, label: 'Journal limit (MB)', min: 0.05 },
  receiptTimeout: { kind: 'number', value: 600, label: 'Receipt timeout (s)', min: 1 },
});
