// telemetry-alert-email's settings, declared once for the runtime and the editor.

import { GROUPER_DEFAULTS } from '../lib/email/alert-grouper';
import { declareSettings } from '../lib/node-settings/declared-settings';

export const settings = declareSettings('telemetry-alert-email', {
  smtp: { kind: 'config-node', value: '', nodeType: 'telemetry-smtp', required: true },
  to: { kind: 'text', value: '', required: { label: 'To' } },
  cc: { kind: 'text', value: '' },
  subject: { kind: 'text', value: '' },
  text: { kind: 'text', value: '' },
  html: { kind: 'text', value: '' },
  groupBy: { kind: 'text', value: GROUPER_DEFAULTS.groupBy.join(',') },
  groupWaitSec: { kind: 'number', value: GROUPER_DEFAULTS.groupWaitMs / 1000, label: 'Group wait (s)', min: 0 },
  groupIntervalSec: {
    kind: 'number',
    value: GROUPER_DEFAULTS.groupIntervalMs / 1000,
    label: 'Group interval (s)',
    min: 0.1,
  },
  repeatIntervalSec: {
    kind: 'number',
    value: GROUPER_DEFAULTS.repeatIntervalMs / 1000,
    label: 'Repeat interval (s)',
    min: 1,
  },
  maxPerHour: { kind: 'number', value: GROUPER_DEFAULTS.maxPerHour, label: 'Emails per hour', min: 1, integer: true },
  sendResolved: { kind: 'flag', value: GROUPER_DEFAULTS.sendResolved },
});
