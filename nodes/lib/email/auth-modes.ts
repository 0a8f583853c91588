// How telemetry-smtp logs in, and the providers whose settings the dialog fills in: plain (shared by
// the runtime and the editor script, so nothing here may need Node.js).

/** basic: user and password, or user and a static access token (as before these modes existed);
 *  oauth2-refresh: a delegated refresh token (Microsoft 365, Gmail); oauth2-client: client
 *  credentials (Microsoft 365 app-only); google-service: a Google service account (JWT bearer). */
export const AUTH_MODES = ['basic', 'oauth2-refresh', 'oauth2-client', 'google-service'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const PROVIDERS = ['custom', 'microsoft365', 'google'] as const;
export type Provider = (typeof PROVIDERS)[number];
