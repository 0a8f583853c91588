// telemetry-validate's settings, declared once for the runtime and the editor.

import { declareSettings } from '../lib/node-settings/declared-settings';
import { PAYLOAD_DEFAULTS } from '../lib/schema/payload';
import { VALIDATOR_DEFAULTS } from '../lib/schema/reading-validator';

export const settings = declareSettings('telemetry-validate', {
  schema: { kind: 'config-node', value: '', nodeType: 'telemetry-schema', required: false },
  missingTimestamp: {
    kind: 'choice',
    value: VALIDATOR_DEFAULTS.missingTimestamp,
    label: 'Missing timestamp',
    options: ['now', 'reject'] as const,
  },
  maxFutureSec: { kind: 'number', value: VALIDATOR_DEFAULTS.maxFutureMs / 1000, label: 'Max future (s)', min: 0 },
  maxPastDays: { kind: 'number', value: VALIDATOR_DEFAULTS.maxPastMs / 86_400_000, label: 'Max age (days)', min: 0 },
  maxKeys: { kind: 'number', value: VALIDATOR_DEFAULTS.maxKeys, label: 'Max keys', min: 1, integer: true },
  maxPayloadBytes: {
    kind: 'number',
    value: PAYLOAD_DEFAULTS.maxPayloadBytes,
    label: 'Max payload bytes',
    min: 1,
    integer: true,
  },
  maxReadings: {
    kind: 'number',
    value: PAYLOAD_DEFAULTS.maxReadings,
    label: 'Max readings per message',
    min: 1,
    integer: true,
  },
  maxDepth: { kind: 'number', value: PAYLOAD_DEFAULTS.maxDepth, label: 'Max nesting depth', min: 2, integer: true },
  httpAnswer: { kind: 'choice', value: 'stored', label: 'HTTP requests', options: ['stored', 'none'] as const },
  httpTimeoutSec: { kind: 'number', value: 30, label: 'Answer within (s)', min: 1, max: 3600 },
});
