// The telemetry-smtp config node's settings -> nodemailer SMTP transport options. Security is chosen
// explicitly, never guessed from the port: implicit TLS (465), STARTTLS required (587: the
// connection fails rather than go on in clear text), or none (a relay on a trusted network).

import type SMTPTransport from 'nodemailer/lib/smtp-transport';

export const SECURITIES = ['tls', 'starttls', 'none'] as const;
export type SmtpSecurity = (typeof SECURITIES)[number];

/** A telemetry-smtp node's settings, as its declaration reads them (nodes/telemetry-smtp/settings.ts). */
export interface SmtpSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  from: string;
  allowSelfSigned: boolean;
  ca: string;
  pool: boolean;
  timeoutSec: number;
}

export interface SmtpCredentials {
  user?: string;
  password?: string;
  /** An OAuth 2 access token (XOAUTH2), used instead of the password (basic login). */
  accessToken?: string;
  /** OAuth 2 client secret (refresh token and client credentials grants). */
  clientSecret?: string;
  /** OAuth 2 refresh token (delegated login); a rotated one replaces it. */
  refreshToken?: string;
  /** A Google service account's private key (PEM, or the key file's JSON). */
  privateKey?: string;
}

/** Nodemailer's provisionCallback: an access token for the user, a new one when renew is set. */
export type ProvisionCallback = (
  user: string,
  renew: boolean,
  callback: (err: Error | null, accessToken?: string, expires?: number) => void,
) => void;

/** provision: the OAuth 2 token source's callback, for a login whose tokens are renewed. */
export function transportOptions(
  s: SmtpSettings,
  c: SmtpCredentials = {},
  provision?: ProvisionCallback,
): SMTPTransport.Options & { pool?: boolean } {
  const host = s.host.trim();
  if (!host) throw new Error('no SMTP host: set the server in the SMTP config');
  const security = s.security;
  const timeout = s.timeoutSec * 1000;
  const user = c.user?.trim();
  let auth: SMTPTransport.Options['auth'];
  if (user && provision) auth = { type: 'OAuth2', user, provisionCallback: provision };
  else if (user && c.accessToken) auth = { type: 'OAuth2', user, accessToken: c.accessToken };
  else if (user) auth = { user, pass: c.password ?? '' };
  return {
    host,
    port: s.port,
    secure: security === 'tls',
    requireTLS: security === 'starttls',
    ignoreTLS: security === 'none',
    auth,
    tls: { rejectUnauthorized: !s.allowSelfSigned, ca: s.ca.trim() || undefined },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    pool: s.pool,
  };
}
