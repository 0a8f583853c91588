// telemetry-mqtt-broker's settings, declared once for the runtime and the editor (user, password,
// key and passphrase are credentials, declared with the type).

import { declareSettings } from '../lib/node-settings/declared-settings';

export const settings = declareSettings('telemetry-mqtt-broker', {
  url: { kind: 'text', value: 'mqtt://localhost:1883', required: { label: 'URL' } },
  protocol: { kind: 'choice', value: '4', label: 'MQTT version', options: ['4', '5'] as const },
  clientId: { kind: 'text', value: '' },
  persistentSession: { kind: 'flag', value: true },
  sessionExpiry: {
    kind: 'number',
    value: 86_400,
    label: 'Session expiry (s)',
    min: 1,
    max: 4_294_967_295,
    integer: true,
  },
  keepalive: { kind: 'number', value: 60, label: 'Keep alive (s)', min: 1, max: 65535, integer: true },
  verifyServer: { kind: 'flag', value: true },
  ca: { kind: 'text', value: '' },
  cert: { kind: 'text', value: '' },
});

/** Its secrets: Node-RED keeps them encrypted in flows_cred.json, never in the flow. */
export const credentials = {
  user: { type: 'text' },
  password: { type: 'password' },
  key: { type: 'password' },
  passphrase: { type: 'password' },
} as const;
