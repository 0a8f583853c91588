// telemetry-mqtt-in's settings, declared once for the runtime and the editor.

import { parseTopicFilter } from '../lib/mqtt/topic-filter';
import { compileTopicTemplate } from '../lib/mqtt/topic-template';
import { declareSettings } from '../lib/node-settings/declared-settings';
import { errorMessage } from '../lib/settings';

export const settings = declareSettings('telemetry-mqtt-in', {
  broker: { kind: 'config-node', value: '', nodeType: 'telemetry-mqtt-broker', required: true },
  topic: { kind: 'text', value: 'iot/sensors/#', required: { label: 'Topic' }, check: problemOf(parseTopicFilter) },
  qos: { kind: 'choice', value: '1', label: 'QoS', options: ['0', '1', '2'] as const },
  topicTemplate: { kind: 'text', value: '', check: problemOf(compileTopicTemplate) },
  maxPayloadKB: { kind: 'number', value: 256, label: 'Max payload (KB)', min: 1 },
  journalMB: { kind: 'number', value: 100, label: 'Journal limit (MB)', min: 0.05 },
  receiptTimeout: { kind: 'number', value: 600, label: 'Receipt timeout (s)', min: 1 },
});

function problemOf(parse: (text: string) => unknown): (text: string) => string | undefined {
  return (text) => {
    try {
      parse(text);
      return undefined;
    } catch (e) {
      return errorMessage(e);
    }
  };
}
