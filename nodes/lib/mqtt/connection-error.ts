// Why a connection to the broker failed, in two lengths: a few words for the node status, and a
// sentence that says what to change for the log. TLS failures are the ones people meet when they
// first point the node at a factory or cloud broker, and OpenSSL's own message starts with 80
// characters of codes and file names: the reason it carries is what is kept.

import { shownText } from '../shown-text';

export interface ConnectionErrorLike {
  message: string;
  code?: unknown;
  /** OpenSSL's reason, set by Node on TLS errors ("tlsv1 alert unknown ca"). */
  reason?: unknown;
}

export interface ConnectionProblem {
  /** At most 60 characters. */
  status: string;
  detail: string;
}

const STATUS_MAX = 60;

/** Errors of the broker's certificate, as Node's tls module names them, and their status. */
const SERVER_CERTIFICATE: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'server certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'server certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'server certificate not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'server certificate not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'server certificate not trusted',
  CERT_HAS_EXPIRED: 'server certificate expired',
  CERT_NOT_YET_VALID: 'server certificate not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'server certificate is for another name',
};

export function describeConnectionError(e: ConnectionErrorLike): ConnectionProblem {
  const code = typeof e.code === 'string' ? e.code : '';
  const message = e.message.trim();
  if (code === 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')
    return {
      status: 'client certificate refused: unknown ca',
      detail:
        'the broker refused the client certificate: it is not signed by a CA the broker trusts (TLS alert "unknown ca")',
    };
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')
    return {
      status: 'client certificate required',
      detail:
        'the broker requires a client certificate: set the certificate, and its key in the credentials (TLS alert "certificate required")',
    };
  if (code in SERVER_CERTIFICATE)
    return {
      status: SERVER_CERTIFICATE[code],
      detail: `the broker's certificate is not trusted: ${message} (${code}). Set the CA certificate that signed it, or, for a self-signed broker you trust, switch verification off`,
    };
  if (typeof e.reason === 'string' && e.reason)
    return { status: shorten(`TLS: ${e.reason}`), detail: `TLS: ${e.reason} (${code || 'no code'})` };
  const connect = /^connect (ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH) (.*)$/.exec(message);
  if (connect) return { status: connect[1], detail: `cannot reach ${connect[2]}: ${connect[1]}` };
  const refused = /^Connection refused: (.*)$/.exec(message);
  if (refused)
    return { status: shorten(`refused: ${refused[1]}`), detail: `the broker refused the connection: ${refused[1]}` };
  return { status: shorten(message), detail: message };
}

function shorten(text: string): string {
  return shownText(text, STATUS_MAX);
}
