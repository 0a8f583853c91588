// OAuth 2 access tokens for SMTP's XOAUTH2 login, renewed before they expire: a refresh token
// (delegated: Microsoft 365, Gmail), client credentials (Microsoft 365 app-only) or a Google
// service account (a JWT bearer grant, RS256-signed here with node:crypto, the mailbox as `sub`).
// Nodemailer asks through provisionCallback: for the cached token, or for a new one after the server
// said the token is invalid (its one retry of the login). A refused renewal answers the provider's
// own error (error: error_description) and one sentence on what to do; a rotated refresh token is
// handed to onRefreshToken so the node keeps it.

import crypto from 'node:crypto';
import type { AuthMode } from './auth-modes';

export interface TokenSourceOptions {
  mode: Exclude<AuthMode, 'basic'>;
  tokenUrl: string;
  /** The app's client ID; for a Google service account, its client_email (the JWT's issuer). */
  clientId: string;
  clientSecret?: string;
  refreshToken?: string;
  /** PEM, as Google's key file holds it (with \n escapes) or pasted on one line. */
  privateKey?: string;
  scope: string;
  /** The mailbox: the JWT's subject for a service account. */
  user: string;
  /** A new refresh token the provider returned (rotation): the caller keeps it. */
  onRefreshToken?: (token: string) => void;
  /** The longest a token request may take. */
  timeoutMs?: number;
  now?: () => number;
}

/** A token could not be had: the provider refused, or its endpoint could not be reached. Either way
 *  a mail waiting for it is tried again later (the endpoint or the grant may come back). */
export class TokenError extends Error {
  readonly tokenRenewal = true;
  constructor(
    message: string,
    /** The provider's `error` code, when it answered one. */
    readonly providerError?: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export function isTokenError(e: unknown): boolean {
  return (e as { tokenRenewal?: unknown } | null)?.tokenRenewal === true;
}

/** The server refused the access token with a 535 to AUTH XOAUTH2 (Microsoft 365 answers so at
 *  once; Gmail and smtp-server first send a 334 with the error, on which nodemailer renews). */
export function isRefusedToken(e: unknown): boolean {
  const err = (e ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  return err.code === 'EAUTH' && err.responseCode === 535 && err.command === 'AUTH XOAUTH2';
}

/** The longest a token is kept before its expiry: renewed this early, or at 10% of a shorter life. */
const MAX_MARGIN_MS = 60_000;

const ADVICE: Record<string, string> = {
  invalid_grant:
    'The refresh token (or the grant) was revoked or has expired: sign in again, and enter the new refresh token in the SMTP config.',
  invalid_client:
    'The client ID or client secret is wrong or the secret has expired: create a new secret in the app registration and enter it in the SMTP config.',
  unauthorized_client:
    'The app may not use this grant: check the app registration (or the domain-wide delegation of the service account).',
  invalid_scope: 'The scope is not granted to the app: check the scope in the SMTP config and the API permissions.',
  invalid_request: 'Check the token URL, client ID and scope in the SMTP config.',
};

export class OAuth2TokenSource {
  private accessToken: string | undefined;
  private expiresAt = 0;
  private pending: Promise<{ accessToken: string; expiresAt: number }> | undefined;
  private refreshToken: string | undefined;
  private readonly now: () => number;
  /** How many times a new token was asked for because the server refused one. */
  renewals = 0;

  constructor(private readonly o: TokenSourceOptions) {
    this.refreshToken = o.refreshToken?.trim() || undefined;
    this.now = o.now ?? Date.now;
    const missing = requiredProblem(o);
    if (missing) throw new Error(missing);
  }

  /** Whether another source logs in as this one does (the same settings and secrets, its refresh
   *  token this one's first or current): then this one, with its cached token and its rotated
   *  refresh token, serves for both. */
  sameLogin(other: OAuth2TokenSource): boolean {
    const a = this.o;
    const b = other.o;
    const keys = ['mode', 'tokenUrl', 'clientId', 'clientSecret', 'privateKey', 'scope', 'user'] as const;
    return (
      keys.every((k) => (a[k] ?? '') === (b[k] ?? '')) &&
      [this.o.refreshToken?.trim() || undefined, this.refreshToken].includes(other.refreshToken)
    );
  }

  /** The refresh token now in use (a rotated one once the provider rotated it). */
  get currentRefreshToken(): string | undefined {
    return this.refreshToken;
  }

  /** Takes a refresh token kept elsewhere (the test endpoint's rotation): the next renewal uses it. */
  setRefreshToken(token: string): void {
    this.refreshToken = token;
  }

  /** A valid access token: the cached one until shortly before it expires, or a new one (renew:
   *  the server refused the cached one). Concurrent callers share one request. */
  async token(renew = false): Promise<{ accessToken: string; expiresAt: number }> {
    if (!renew && this.accessToken && this.now() < this.expiresAt)
      return { accessToken: this.accessToken, expiresAt: this.expiresAt };
    if (renew) {
      this.renewals++;
      this.accessToken = undefined;
    }
    this.pending ??= this.request().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Sends with a token, and once more with a new one when the server refused the token with a 535
   *  and nothing renewed it meanwhile (nodemailer renews after a 334). reset: drop the transport,
   *  whose login caches the token. */
  async sendRenewingOnce<T>(send: () => Promise<T>, reset: () => void): Promise<T> {
    const renewals = this.renewals;
    try {
      return await send();
    } catch (e) {
      if (!isRefusedToken(e) || this.renewals !== renewals) throw e;
      reset();
      await this.token(true);
      return send();
    }
  }

  /** For nodemailer: auth: { type: 'OAuth2', user, provisionCallback }. */
  readonly provisionCallback = (
    _user: string,
    renew: boolean,
    callback: (err: Error | null, accessToken?: string, expires?: number) => void,
  ): void => {
    this.token(renew).then(
      (t) => callback(null, t.accessToken, t.expiresAt),
      (e: Error) => callback(e),
    );
  };

  private async request(): Promise<{ accessToken: string; expiresAt: number }> {
    const o = this.o;
    const form = new URLSearchParams();
    if (o.mode === 'oauth2-refresh') {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', this.refreshToken ?? '');
      form.set('client_id', o.clientId);
      if (o.clientSecret) form.set('client_secret', o.clientSecret);
      if (o.scope) form.set('scope', o.scope);
    } else if (o.mode === 'oauth2-client') {
      form.set('grant_type', 'client_credentials');
      form.set('client_id', o.clientId);
      form.set('client_secret', o.clientSecret ?? '');
      if (o.scope) form.set('scope', o.scope);
    } else {
      form.set('grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
      form.set('assertion', serviceAccountJwt(o, this.now()));
    }
    const asked = this.now();
    let res: Response;
    try {
      res = await fetch(o.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      throw new TokenError(
        `OAuth 2 token endpoint unreachable (${o.tokenUrl}): ${cause}. Check the token URL and the network; the email is tried again.`,
      );
    }
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: the status and the start of the text are what there is to show
    }
    if (!res.ok || typeof body.access_token !== 'string') {
      const code = typeof body.error === 'string' ? body.error : undefined;
      const said = code
        ? `${code}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`
        : `HTTP ${res.status} ${text.slice(0, 200)}`.trim();
      const advice =
        (code && ADVICE[code]) ?? 'Check the OAuth 2 settings of the SMTP config (token URL, client ID, scope).';
      throw new TokenError(`OAuth 2 token refused: ${said} ${advice}`, code);
    }
    const lifeMs = Math.max(0, Number(body.expires_in) || 3600) * 1000;
    this.accessToken = body.access_token;
    this.expiresAt = asked + lifeMs - Math.min(MAX_MARGIN_MS, lifeMs / 10);
    if (typeof body.refresh_token === 'string' && body.refresh_token && body.refresh_token !== this.refreshToken) {
      this.refreshToken = body.refresh_token;
      o.onRefreshToken?.(body.refresh_token);
    }
    return { accessToken: this.accessToken, expiresAt: this.expiresAt };
  }
}

/** What a mode is missing, in words a person can act on; undefined when nothing is. */
function requiredProblem(o: TokenSourceOptions): string | undefined {
  if (!o.user.trim()) return 'OAuth 2 needs the mailbox as the user';
  if (!/^https?:\/\//i.test(o.tokenUrl.trim())) return 'OAuth 2 needs the token URL (https://…)';
  if (!o.clientId.trim())
    return o.mode === 'google-service'
      ? 'a service account needs its email (client_email)'
      : 'OAuth 2 needs the client ID';
  if (o.mode === 'oauth2-refresh' && !o.refreshToken?.trim())
    return 'OAuth 2 with a refresh token needs the refresh token';
  if (o.mode === 'oauth2-client' && !o.clientSecret) return 'OAuth 2 client credentials need the client secret';
  if (o.mode === 'google-service') {
    try {
      crypto.createPrivateKey(privateKeyPem(o.privateKey ?? ''));
    } catch {
      return "a service account needs its private key (the private_key of the key file, or the whole file's JSON)";
    }
  }
  return undefined;
}

/** The PEM of a private key as it may be pasted: Google's whole JSON key file, its private_key with
 *  \n escapes, or a PEM whose line breaks a one-line field removed. */
export function privateKeyPem(pasted: string): string {
  let text = pasted.trim();
  if (text.startsWith('{')) {
    try {
      const key = (JSON.parse(text) as { private_key?: unknown }).private_key;
      text = typeof key === 'string' ? key : '';
    } catch {
      // not the key file: taken as it is
    }
  }
  text = text.replace(/\\n/g, '\n');
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return text;
  const body = m[2].replace(/\s+/g, '');
  return `-----BEGIN ${m[1]}-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${m[1]}-----\n`;
}

const base64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Google's JWT bearer assertion: the service account as issuer, the mailbox as subject. */
export function serviceAccountJwt(
  o: Pick<TokenSourceOptions, 'clientId' | 'privateKey' | 'scope' | 'tokenUrl' | 'user'>,
  nowMs: number,
): string {
  const iat = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      iss: o.clientId.trim(),
      sub: o.user.trim(),
      scope: o.scope.trim() || 'https://mail.google.com/',
      aud: o.tokenUrl.trim(),
      iat,
      exp: iat + 3600,
    }),
  );
  const signature = crypto.sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), privateKeyPem(o.privateKey ?? ''));
  return `${header}.${claims}.${base64url(signature)}`;
}
