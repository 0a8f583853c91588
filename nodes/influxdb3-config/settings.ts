// influxdb3-config's settings, declared once for the runtime and the editor (the token is a
// credential, declared with the type).

import { declareSettings } from '../lib/node-settings/declared-settings';

export const settings = declareSettings('influxdb3-config', {
  url: { kind: 'text', value: 'http://127.0.0.1:8181', required: { label: 'URL' } },
  database: { kind: 'text', value: 'iot-sensors' },
  timeout: { kind: 'number', value: 10, label: 'Timeout (s)', min: 1, max: 600 },
  gzipThreshold: { kind: 'number', value: 1000, label: 'Gzip threshold (bytes)', min: 0, integer: true },
  allowSelfSigned: { kind: 'flag', value: false },
  ca: { kind: 'text', value: '' },
  headers: { kind: 'text', value: '' },
});

/** Its secrets: Node-RED keeps them encrypted in flows_cred.json, never in the flow. */
export const credentials = { token: { type: 'password' } } as const;
