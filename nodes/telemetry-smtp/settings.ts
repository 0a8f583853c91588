// telemetry-smtp's settings, declared once for the runtime and the editor (user, password, access
// token, client secret, refresh token and private key are credentials, declared with the type).
// auth chooses the login: basic (user and password, or a static access token: flows saved before
// OAuth 2 renewal existed keep it) or an OAuth 2 grant whose tokens are renewed; provider is the
// preset the dialog filled the server and OAuth 2 fields from, all of them still editable.

import { AUTH_MODES, PROVIDERS } from '../lib/email/auth-modes';
import { SECURITIES } from '../lib/email/smtp-settings';
import { declareSettings } from '../lib/node-settings/declared-settings';

/** A token URL is http(s) (https for a real provider; http for a local test endpoint). */
function tokenUrlProblem(v: string): string | undefined {
  const t = v.trim();
  if (t === '') return undefined;
  if (!/^https?:\/\/[^\s/]+/i.test(t)) return 'Token URL must start with https://';
  return undefined;
}

export const settings = declareSettings('telemetry-smtp', {
  host: { kind: 'text', value: '', required: { label: 'Host' } },
  port: { kind: 'number', value: 587, label: 'Port', min: 1, max: 65535, integer: true },
  security: { kind: 'choice', value: 'starttls', label: 'Security', options: SECURITIES },
  from: { kind: 'text', value: '', required: { label: 'From' } },
  allowSelfSigned: { kind: 'flag', value: false },
  ca: { kind: 'text', value: '' },
  pool: { kind: 'flag', value: true },
  timeoutSec: { kind: 'number', value: 30, label: 'Timeout (s)', min: 1, max: 600 },
  auth: { kind: 'choice', value: 'basic', label: 'Login', options: AUTH_MODES },
  provider: { kind: 'choice', value: 'custom', label: 'Provider', options: PROVIDERS },
  tokenUrl: { kind: 'text', value: '', check: tokenUrlProblem },
  scope: { kind: 'text', value: '' },
  clientId: { kind: 'text', value: '' },
});

/** Its secrets: Node-RED keeps them encrypted in flows_cred.json, never in the flow. */
export const credentials = {
  user: { type: 'text' },
  password: { type: 'password' },
  accessToken: { type: 'password' },
  clientSecret: { type: 'password' },
  refreshToken: { type: 'password' },
  privateKey: { type: 'password' },
} as const;
