// Whether a failed send is worth trying again: a connection that failed or timed out, and SMTP's
// 4xx replies (421 service not available, 450/451/452 try later) are transient; 5xx replies and a
// refused login are permanent, and go back to the flow with the server's own answer. An OAuth 2
// access token that could not be renewed (the token endpoint refused or was away) is transient: the
// email stays in the outbox and goes out once the token can be had again.

import { isTokenError } from './oauth2-token-source';

export interface DeliveryFailure {
  permanent: boolean;
  /** What the server said, or what went wrong on the way, for a person to act on. */
  reason: string;
}

export function classifyFailure(e: unknown): DeliveryFailure {
  const err = (e ?? {}) as {
    code?: string;
    command?: string;
    responseCode?: number;
    response?: string;
    message?: string;
  };
  const said = err.response ? String(err.response).trim() : '';
  let reason = said || String(err.message ?? e);
  if (err.command === 'STARTTLS')
    reason = `the server offers no STARTTLS, which the SMTP config requires (it answered: ${reason})`;
  if (isTokenError(e)) return { permanent: false, reason };
  if (typeof err.responseCode === 'number') return { permanent: err.responseCode >= 500, reason };
  if (err.code === 'EAUTH') return { permanent: true, reason };
  // A TLS setting the server cannot meet (no STARTTLS offered, a certificate not trusted) does not
  // get better by trying again.
  if (err.code === 'ETLS' || /certificate|STARTTLS|wrong version number|SSL routines|handshake/i.test(reason))
    return { permanent: true, reason };
  return { permanent: false, reason };
}
