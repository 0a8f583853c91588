// A real OAuth 2 token endpoint on a local port, for the XOAUTH2 tests: it issues short-lived access
// tokens (expires_in configurable), rotates the refresh token on each use (the used one is revoked,
// as the strictest providers do), takes the refresh_token, client_credentials and jwt-bearer grants
// (checking the JWT's RS256 signature with the service account's public key), and refuses with
// invalid_grant when told to. An SMTP server checks logins against validAccessToken().
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const REVOKED =
  'AADSTS70000: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. Trace ID: 0f0e';

export interface TokenServerOptions {
  expiresInSec?: number;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** The service account's email and public key (jwt-bearer). */
  serviceAccount?: { email: string; publicKey: crypto.KeyObject | string };
  /** Rotate the refresh token on each use (default true). */
  rotate?: boolean;
}

export interface TokenRequest {
  grant: string;
  /** The JWT's claims, for the jwt-bearer grant. */
  claims?: Record<string, unknown>;
  scope?: string;
  /** The error the server answered with, if it refused the grant. */
  refused?: string;
}

export interface TokenServer {
  url: string;
  /** The refresh token now valid. */
  refreshToken: string;
  requests: TokenRequest[];
  /** Whether an access token was issued by this server and has not expired. */
  validAccessToken(token: string): boolean;
  /** false: take no access token, not even new ones (SMTP AUTH switched off for the mailbox). */
  acceptAccessTokens(on: boolean): void;
  /** Revoke every access token issued so far (as a password reset does). */
  invalidateAccessTokens(): void;
  /** Refuse every grant with invalid_grant (the description given) until told otherwise. */
  refuse(description: string | false): void;
  stop(): Promise<void>;
}

export async function startTokenServer(o: TokenServerOptions = {}): Promise<TokenServer> {
  const clientId = o.clientId ?? 'client-1';
  const clientSecret = o.clientSecret ?? 'client-secret-1';
  const issued = new Map<string, number>();
  let refusing: string | false = false;
  let accepting = true;
  let seq = 0;
  const state: TokenServer = {
    url: '',
    refreshToken: o.refreshToken ?? 'refresh-0',
    requests: [],
    validAccessToken: (t) => accepting && (issued.get(t) ?? 0) > Date.now(),
    acceptAccessTokens: (on) => (accepting = on),
    refuse: (d) => (refusing = d),
    invalidateAccessTokens: () => issued.clear(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const answer = (res: http.ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: http.ServerResponse, error: string, description: string) => {
    state.requests[state.requests.length - 1].refused = error;
    answer(res, 400, { error, error_description: description });
  };
  const issue = (res: http.ServerResponse, withRefresh: boolean) => {
    const token = `access-${++seq}-${crypto.randomBytes(6).toString('hex')}`;
    const expiresIn = o.expiresInSec ?? 2;
    issued.set(token, Date.now() + expiresIn * 1000);
    const body: Record<string, unknown> = { token_type: 'Bearer', access_token: token, expires_in: expiresIn };
    if (withRefresh && o.rotate !== false) {
      state.refreshToken = `refresh-${seq}-${crypto.randomBytes(6).toString('hex')}`;
      body.refresh_token = state.refreshToken;
    }
    answer(res, 200, body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const grant = form.get('grant_type') ?? '';
      const request: TokenRequest = { grant, scope: form.get('scope') ?? undefined };
      state.requests.push(request);
      if (refusing) return refuse(res, 'invalid_grant', refusing);
      if (grant === 'refresh_token') {
        if (form.get('client_id') !== clientId) return refuse(res, 'invalid_client', 'AADSTS700016: unknown client');
        if (form.get('refresh_token') !== state.refreshToken) return refuse(res, 'invalid_grant', REVOKED);
        return issue(res, true);
      }
      if (grant === 'client_credentials') {
        if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret)
          return refuse(res, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
        return issue(res, false);
      }
      if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
        const ok =
          o.serviceAccount &&
          signature &&
          crypto.verify(
            'RSA-SHA256',
            Buffer.from(`${header}.${claims}`),
            o.serviceAccount.publicKey,
            Buffer.from(signature, 'base64url'),
          );
        if (!ok) return refuse(res, 'invalid_grant', 'Invalid JWT Signature.');
        request.claims = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>;
        if (request.claims.iss !== o.serviceAccount!.email) return refuse(res, 'invalid_grant', 'Invalid issuer.');
        return issue(res, false);
      }
      refuse(res, 'unsupported_grant_type', `grant_type ${grant} is not supported`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenant-1/oauth2/v2.0/token`;
  return state;
}
