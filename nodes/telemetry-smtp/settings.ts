// telemetry-smtp's settings, declared once for the runtime and the editor (user, password and
// access token are credentials, declared with the type).

import { SECURITIES } from '../lib/email/smtp-settings';
import { declareSettings } from '../lib/node-settings/declared-settings';

export const settings = declareSettings('telemetry-smtp', {
  host: { kind: 'text', value: '', required: { label: 'Host' } },
  port: { kind: 'number', value: 587, label: 'Port', min: 1, max: 65535, integer: true },
  security: { kind: 'choice', value: 'starttls', label: 'Security', options: SECURITIES },
  from: { kind: 'text', value: '', required: { label: 'From' } },
  allowSelfSigned: { kind: 'flag', value: false },
  ca: { kind: 'text', value: '' },
  pool: { kind: 'flag', value: true },
  timeoutSec: { kind: 'number', value: 30, label: 'Timeout (s)', min: 1, max: 600 },
});
