// The HTTP rules of InfluxDB 3 Core's write endpoints for the project's test server: query
// parameters per endpoint, authentication, body decoding and limits, database names, timestamp
// precision, and the exact status codes and bodies of every refusal. Followed from influxdata/
// influxdb influxdb3_server/src/http.rs (write_lp_inner, read_body, authenticate_request,
// validate_auth_header, ValidateDbNameError, IntoResponse for Error / V2WriteApiError / the
// authentication errors), influxdb3_types/src/http.rs WriteParams and influxdb3_types/src/write.rs
// Precision.

import { isAscii } from 'node:buffer';
import zlib from 'node:zlib';

export type Endpoint = 'v3' | 'v2' | 'v1';
export type Precision = 'auto' | 'second' | 'millisecond' | 'microsecond' | 'nanosecond';

export interface WriteParams {
  db: string;
  precision: Precision;
  acceptPartial: boolean;
  noSync: boolean;
}

/** A response the server sends as is. Error bodies carry no content-type, as in InfluxDB 3. */
export interface Reply {
  status: number;
  body: string;
  contentType?: string;
}

export const DEFAULT_MAX_REQUEST_BYTES = 10_485_760;

const PRECISION_NAMES: Record<string, Precision> = {
  second: 'second',
  s: 'second',
  millisecond: 'millisecond',
  ms: 'millisecond',
  microsecond: 'microsecond',
  us: 'microsecond',
  u: 'microsecond',
  nanosecond: 'nanosecond',
  ns: 'nanosecond',
  n: 'nanosecond',
};
const V3_PRECISIONS = ['auto', 'second', 'millisecond', 'microsecond', 'nanosecond', 's', 'ms', 'us', 'u', 'ns', 'n'];

const text = (status: number, body: string): Reply => ({ status, body });
const json = (status: number, body: object): Reply => ({ status, body: JSON.stringify(body) });

/** v2 turns every error into {"code","message"} (V2WriteApiError). */
export function v2Reply(status: number, message: string): Reply {
  const code =
    status === 413
      ? 'request too large'
      : status === 404
        ? 'not found'
        : status === 403
          ? 'forbidden'
          : status >= 500
            ? 'internal error'
            : 'invalid';
  return json(status, { code, message });
}

/** The write parameters from the query string (without the leading "?"; null when the URL has none). */
export function readWriteParams(endpoint: Endpoint, query: string | null): WriteParams | Reply {
  const q = query === null ? null : new URLSearchParams(query);
  if (endpoint === 'v3') {
    if (q === null) return text(400, "missing query parameter 'db'");
    const db = q.get('db');
    if (db === null) return text(400, 'serde error: missing field `db`');
    const p = q.get('precision') ?? 'auto';
    if (!V3_PRECISIONS.includes(p)) {
      return text(
        400,
        `serde error: unknown variant \`${p}\`, expected one of ${V3_PRECISIONS.map((v) => `\`${v}\``).join(', ')}`,
      );
    }
    const acceptPartial = bool(q.get('accept_partial'), true);
    const noSync = bool(q.get('no_sync'), false);
    if (typeof acceptPartial !== 'boolean') return acceptPartial;
    if (typeof noSync !== 'boolean') return noSync;
    return { db, precision: p === 'auto' ? 'auto' : PRECISION_NAMES[p], acceptPartial, noSync };
  }
  if (endpoint === 'v2') {
    if (q === null) return v2Reply(400, 'no org/bucket destination provided');
    const bucket = q.get('bucket');
    if (bucket === null || bucket === '') return v2Reply(400, 'missing bucket value');
    const p = q.get('precision') ?? 'ns';
    // Wording inferred (iox_http v2 params), as is serde's for v3 booleans below; not a verbatim text of Core.
    if (!(p in PRECISION_NAMES)) return v2Reply(400, `invalid precision value: ${p}`);
    return { db: bucket, precision: PRECISION_NAMES[p], acceptPartial: false, noSync: false };
  }
  if (q === null) return json(400, { error: 'no db destination provided' });
  const db = q.get('db');
  if (db === null) return json(400, { error: 'failed to deserialize db/rp/precision in request: missing field `db`' });
  const p = q.get('precision') ?? 'ns';
  if (!(p in PRECISION_NAMES))
    return json(400, { error: `failed to deserialize db/rp/precision in request: unknown variant \`${p}\`` });
  const rp = q.get('rp');
  const withRp =
    rp === null || rp === '' || rp === "''" || ['autogen', 'default'].includes(rp.toLowerCase()) ? db : `${db}/${rp}`;
  return { db: withRp, precision: PRECISION_NAMES[p], acceptPartial: false, noSync: false };
}

function bool(v: string | null, fallback: boolean): boolean | Reply {
  if (v === null) return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return text(400, `serde error: provided string was not \`true\` or \`false\``);
}

export const UNAUTHENTICATED: Reply = { status: 401, body: '{"error": "the request was not authenticated"}' };
export const MALFORMED_AUTH: Reply = {
  status: 400,
  body: `{"error": "Authorization header was malformed, the request was not in the form of 'Authorization: <auth-scheme> <token>', supported auth-schemes are Bearer, Token and Basic"}`,
};

/** Undefined when the request may go on; without tokens every request may. /write also takes the
 *  token as ?p=, which wins over the header. */
export function authenticate(
  endpoint: Endpoint,
  authorization: string | undefined,
  query: string | null,
  tokens: ReadonlySet<string> | undefined,
): Reply | undefined {
  if (!tokens || tokens.size === 0) return undefined;
  let token: string | undefined;
  if (endpoint === 'v1' && query !== null) token = new URLSearchParams(query).get('p') ?? undefined;
  if (token === undefined && authorization !== undefined) {
    const parts = authorization.split(' ');
    if (parts.length !== 2) return MALFORMED_AUTH;
    const [scheme, credential] = parts;
    if (scheme === 'Bearer' || scheme === 'Token') token = credential;
    else if (scheme === 'Basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return MALFORMED_AUTH;
      token = decoded.slice(colon + 1);
    } else return MALFORMED_AUTH;
  }
  return token !== undefined && tokens.has(token) ? undefined : UNAUTHENTICATED;
}

/** The body as text: gunzipped (all members) when so encoded, within the size limit both before
 *  and after decompression, and valid UTF-8. */
export function decodeBody(
  endpoint: Endpoint,
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBytes = DEFAULT_MAX_REQUEST_BYTES,
): string | Reply {
  const tooLarge = () => {
    const message = `max request size (${maxBytes} bytes) exceeded`;
    return endpoint === 'v2' ? v2Reply(413, message) : text(413, message);
  };
  const bad = (message: string) => (endpoint === 'v2' ? v2Reply(400, message) : text(400, message));
  if (raw.length > maxBytes) return tooLarge();
  let bytes = raw;
  const enc = contentEncoding?.trim();
  if (enc === 'gzip') {
    try {
      bytes = zlib.gunzipSync(raw, { maxOutputLength: maxBytes + 1 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge();
      return bad(`error decoding gzip stream: ${(e as Error).message}`);
    }
    if (bytes.length > maxBytes) return tooLarge();
  } else if (enc !== undefined && enc !== '' && enc !== 'identity') {
    return bad(`unacceptable content-encoding: ${enc}`);
  }
  try {
    // ASCII (the usual body) is valid UTF-8 and decodes fastest as latin1.
    return isAscii(bytes) ? bytes.toString('latin1') : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    return bad(`body content is not valid utf8: ${(e as Error).message}`);
  }
}

/** Why a database name is refused, or undefined (ValidateDbNameError texts, verbatim). */
export function dbNameError(name: string): string | undefined {
  if (name === '') return 'db name cannot be empty';
  if (Buffer.byteLength(name) > 511) return 'db name too long: max 511';
  if (!/^[A-Za-z0-9]/.test(name)) return 'db name did not start with a number or letter';
  const slashes = name.split('/').length - 1;
  if (slashes > 1 || name.endsWith('/')) {
    return "db name with invalid retention policy, if providing a retention policy name, must be of form '<db_name>/<rp_name>'";
  }
  if (!/^[A-Za-z0-9_\-/]+$/.test(name)) {
    return 'invalid character in database or rp name: must be ASCII, containing only letters, numbers, underscores, or hyphens';
  }
  return undefined;
}

const PRECISION_DEBUG: Record<Precision, string> = {
  auto: 'Auto',
  second: 'Second',
  millisecond: 'Millisecond',
  microsecond: 'Microsecond',
  nanosecond: 'Nanosecond',
};
const MULTIPLIER: Record<Exclude<Precision, 'auto'>, bigint> = {
  second: 1_000_000_000n,
  millisecond: 1_000_000n,
  microsecond: 1_000n,
  nanosecond: 1n,
};
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** A line's timestamp in nanoseconds. `auto` guesses the unit per line from |ts| / 1e9 (below 5:
 *  seconds, 5,000: ms, 5,000,000: us, else ns). Without a timestamp: the server's time, truncated
 *  to the precision asked (not for auto). Returns the error text on overflow. */
export function toNanos(ts: bigint | undefined, precision: Precision, nowNs: bigint): bigint | string {
  if (ts === undefined) {
    if (precision === 'auto') return nowNs;
    const m = MULTIPLIER[precision];
    return (nowNs / m) * m;
  }
  let unit: Exclude<Precision, 'auto'>;
  if (precision === 'auto') {
    const magnitude = (ts < 0n ? -ts : ts) / 1_000_000_000n;
    unit =
      magnitude < 5n
        ? 'second'
        : magnitude < 5_000n
          ? 'millisecond'
          : magnitude < 5_000_000n
            ? 'microsecond'
            : 'nanosecond';
  } else {
    unit = precision;
  }
  const ns = ts * MULTIPLIER[unit];
  if (ns < I64_MIN || ns > I64_MAX)
    return `timestamp, ${ts}, out of range for precision: ${PRECISION_DEBUG[precision]}`;
  return ns;
}
