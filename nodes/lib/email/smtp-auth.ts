// A telemetry-smtp node's OAuth 2 settings and secrets -> the token source its XOAUTH2 login asks
// (none for basic login: user and password, or a static access token).

import type { AuthMode } from './auth-modes';
import { OAuth2TokenSource } from './oauth2-token-source';
import type { SmtpCredentials } from './smtp-settings';

export interface SmtpAuthSettings {
  auth: AuthMode;
  tokenUrl: string;
  scope: string;
  clientId: string;
  timeoutSec: number;
}

/** Throws what is missing for the chosen login, in words a person can act on. */
export function tokenSourceFor(
  s: SmtpAuthSettings,
  c: SmtpCredentials,
  onRefreshToken?: (token: string) => void,
): OAuth2TokenSource | undefined {
  if (s.auth === 'basic') return undefined;
  return new OAuth2TokenSource({
    mode: s.auth,
    tokenUrl: s.tokenUrl.trim(),
    clientId: s.clientId.trim(),
    clientSecret: c.clientSecret || undefined,
    refreshToken: c.refreshToken || undefined,
    privateKey: c.privateKey || undefined,
    scope: s.scope.trim(),
    user: c.user?.trim() ?? '',
    onRefreshToken,
    timeoutMs: s.timeoutSec * 1000,
  });
}
