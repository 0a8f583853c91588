// Line-protocol writes to InfluxDB 3's /api/v3/write_lp, and what each answer means for the data.
// The writer does not use @influxdata/influxdb3-client's write(): version 2.1.0 writes through the
// v2 endpoint, which is all or nothing (no accept_partial), and it cuts an error body to 1,000
// characters when the server sends no JSON content type, which InfluxDB 3 does not, so the lines a
// partial write refused could not be read from it (influxdata/influxdb3-js packages/client/src/impl/
// WriteApiImpl.ts `_createWritePath`, errors.ts). Status handling follows influxdata/influxdb
// influxdb3_server/src/http.rs.

import http from 'http';
import https from 'https';
import { StringDecoder } from 'string_decoder';
import zlib from 'zlib';
import { Chunk, writeJoined } from './joined-text';
import { ScratchBuffers } from './scratch-buffers';
import type { Precision } from '../timestamps';
import { shownText } from '../shown-text';

export interface ConnectionSettings {
  url: string;
  token?: string;
  timeoutMs: number;
  /** Bodies larger than this many bytes are sent gzipped. */
  gzipThreshold: number;
  headers: Record<string, string>;
  /** PEM of a custom certificate authority. */
  ca?: string;
  /** False only when the user chose to accept self-signed certificates. */
  rejectUnauthorized: boolean;
  maxSockets: number;
}

export interface WriteRequest {
  database: string;
  precision: Precision;
  body: WriteBody;
  noSync: boolean;
}

export interface RejectedLine {
  /** 1-based among the payload's non-blank, non-comment lines. */
  lineNumber: number;
  message: string;
}

/** A write's body as it goes on the wire. */
export interface WriteBody {
  bytes: Buffer;
  gzip: boolean;
}

/** The lines a body holds, as text. */
export function bodyText(body: WriteBody): string {
  return (body.gzip ? zlib.gunzipSync(body.bytes) : body.bytes).toString('utf8');
}

export type WriteOutcome =
  | { kind: 'written' }
  | { kind: 'partial'; rejected: RejectedLine[] }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'too-large'; reason: string }
  | { kind: 'refused'; status: number; reason: string };

const PRECISION_NAME: Record<Precision, string> = {
  ns: 'nanosecond',
  us: 'microsecond',
  ms: 'millisecond',
  s: 'second',
};
const MAX_ERROR_BODY = 4 * 1024 * 1024;

export class InfluxDB3Http {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly scratch = new ScratchBuffers(4 * 1024 * 1024);

  constructor(private readonly settings: ConnectionSettings) {
    this.base = new URL(settings.url);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:')
      throw new Error(`the URL must start with http:// or https://, not ${this.base.protocol}`);
    const options = { keepAlive: true, maxSockets: settings.maxSockets };
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ ...options, ca: settings.ca || undefined, rejectUnauthorized: settings.rejectUnauthorized })
        : new http.Agent(options);
  }

  /** The body of a write of these batches of lines (`bytes`: their joined UTF-8 length), gzipped
   *  past the threshold. The plain bytes are needed only until gzip is done with them. */
  async encode(chunks: readonly Chunk[], bytes: number): Promise<WriteBody> {
    if (bytes <= this.settings.gzipThreshold) {
      const plain = Buffer.allocUnsafe(bytes);
      writeJoined(plain, 0, chunks);
      return { bytes: plain, gzip: false };
    }
    const scratch = this.scratch.take(bytes);
    try {
      const plain = scratch.subarray(0, writeJoined(scratch, 0, chunks));
      return {
        bytes: await new Promise<Buffer>((resolve, reject) =>
          zlib.gzip(plain, (e, out) => (e ? reject(e) : resolve(out))),
        ),
        gzip: true,
      };
    } finally {
      this.scratch.give(scratch);
    }
  }

  async write(req: WriteRequest): Promise<WriteOutcome> {
    const query = new URLSearchParams({
      db: req.database,
      precision: PRECISION_NAME[req.precision],
      accept_partial: 'true',
    });
    if (req.noSync) query.set('no_sync', 'true');
    const headers = this.headers({ 'content-type': 'text/plain; charset=utf-8' });
    const body = req.body.bytes;
    if (req.body.gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
    let response: { status: number; headers: http.IncomingHttpHeaders; body: string };
    try {
      response = await this.post(`${this.path('/api/v3/write_lp')}?${query}`, headers, body);
    } catch (e) {
      return { kind: 'retry', reason: `cannot reach ${this.base.host}: ${(e as Error).message}` };
    }
    return classify(response.status, response.headers, response.body);
  }

  /** GET /ping: the server's version, or why it cannot be reached or refuses. */
  async ping(): Promise<{ version: string; build: string }> {
    const r = await this.request('GET', this.path('/ping'), this.headers({}));
    if (r.status !== 200)
      throw new Error(
        r.status === 401
          ? 'the server refused the token (401)'
          : `the server answered ${r.status}: ${r.body.slice(0, 200)}`,
      );
    let version = String(r.headers['x-influxdb-version'] ?? '');
    try {
      const fromBody = (JSON.parse(r.body) as { version?: unknown } | null)?.version;
      version ||= typeof fromBody === 'string' ? fromBody : '';
    } catch {
      // not JSON: keep the header's
    }
    return { version, build: String(r.headers['x-influxdb-build'] ?? '') };
  }

  /** Runs SQL through /api/v3/query_sql with $name parameters, handing each row to onRow as its
   *  line of JSON arrives (format jsonl), so a large answer is never held whole. Rejects with a
   *  QueryFailure. */
  async querySql(
    database: string,
    sql: string,
    params: Record<string, string | number | boolean>,
    onRow: (row: Record<string, unknown>) => void,
  ): Promise<void> {
    return onceMoreOnStaleSocket(() => this.querySqlOnce(database, sql, params, onRow)).catch((e: Error) => {
      throw e instanceof QueryFailure ? e : QueryFailure.unreachable(this.base.host, e);
    });
  }

  private async querySqlOnce(
    database: string,
    sql: string,
    params: Record<string, string | number | boolean>,
    onRow: (row: Record<string, unknown>) => void,
  ): Promise<void> {
    const body = Buffer.from(JSON.stringify({ db: database, q: sql, params, format: 'jsonl' }));
    const headers = this.headers({ 'content-type': 'application/json', 'content-length': String(body.length) });
    const lib = this.base.protocol === 'https:' ? https : http;
    await new Promise<void>((resolve, reject) => {
      const req = lib.request({ ...this.target(this.path('/api/v3/query_sql')), method: 'POST', headers }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= 64 * 1024) chunks.push(c);
          });
          res.on('end', () => reject(QueryFailure.fromAnswer(status, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (e) => reject(QueryFailure.unreachable(this.base.host, e)));
          return;
        }
        let rest = '';
        const decoder = new StringDecoder('utf8');
        const take = (text: string, last: boolean) => {
          const parts = (rest + text).split('\n');
          rest = last ? '' : parts.pop()!;
          for (const line of parts) if (line.trim()) onRow(JSON.parse(line) as Record<string, unknown>);
        };
        res.on('data', (c: Buffer) => {
          try {
            take(decoder.write(c), false);
          } catch (e) {
            req.destroy(e as Error);
          }
        });
        res.on('end', () => {
          try {
            take(decoder.end(), true);
            resolve();
          } catch (e) {
            reject(new QueryFailure(`the answer could not be read: ${(e as Error).message}`, 0, false, false));
          }
        });
        res.on('error', (e) => reject(QueryFailure.unreachable(this.base.host, e)));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.settings.timeoutMs} ms`)));
      req.on('error', (e) =>
        reject(e instanceof QueryFailure ? e : (staleSocket(req, e) ?? QueryFailure.unreachable(this.base.host, e))),
      );
      req.end(body);
    });
  }

  /** The names of the server's databases (GET /api/v3/configure/database). */
  async databases(): Promise<string[]> {
    const r = await this.request('GET', `${this.path('/api/v3/configure/database')}?format=json`, this.headers({}));
    if (r.status !== 200) throw QueryFailure.fromAnswer(r.status, r.body);
    const rows = JSON.parse(r.body) as { 'iox::database'?: unknown }[];
    return rows.map((row) => String(row['iox::database']));
  }

  /** Creates a database, with a retention period (InfluxDB 3 Core 3.2+, a humantime duration such
   *  as "90d") when given. "exists" when it already did (409). */
  async createDatabase(database: string, retentionPeriod?: string): Promise<'created' | 'exists'> {
    const body = Buffer.from(
      JSON.stringify(retentionPeriod ? { db: database, retention_period: retentionPeriod } : { db: database }),
    );
    const r = await this.request(
      'POST',
      this.path('/api/v3/configure/database'),
      this.headers({ 'content-type': 'application/json', 'content-length': String(body.length) }),
      body,
    );
    if (r.status === 409) return 'exists';
    if (r.status < 200 || r.status >= 300) throw QueryFailure.fromAnswer(r.status, r.body);
    return 'created';
  }

  /** Creates a last value cache on a table with InfluxDB 3's defaults (the series key as key
   *  columns, every other column as values, the newest row per key, kept 4 hours): POST
   *  /api/v3/configure/last_cache (influxdb3_types/src/http.rs LastCacheCreateRequest). "exists"
   *  when the table has a cache of that name (409, whatever its definition); "no-table" while the
   *  table (or database) does not exist yet (404). Rejects with a QueryFailure otherwise. */
  async createLastCache(database: string, table: string, name: string): Promise<'created' | 'exists' | 'no-table'> {
    const body = Buffer.from(JSON.stringify({ db: database, table, name }));
    const r = await this.request(
      'POST',
      this.path('/api/v3/configure/last_cache'),
      this.headers({ 'content-type': 'application/json', 'content-length': String(body.length) }),
      body,
    ).catch((e: Error) => {
      throw QueryFailure.unreachable(this.base.host, e);
    });
    if (r.status === 409) return 'exists';
    // Core's texts: "Table <t> not in DB schema for <db>", "Database not found <db>" (3.10 on);
    // "the requested resource was not found: <name>" before. Any other 404 is a server without
    // the endpoint, which the caller reports.
    if (r.status === 404 && /not in DB schema|Database not found|requested resource was not found/.test(r.body))
      return 'no-table';
    if (r.status < 200 || r.status >= 300) throw QueryFailure.fromAnswer(r.status, r.body);
    return 'created';
  }

  /** A database's retention period in nanoseconds (null: none), read from the _internal
   *  database's system.databases as `influxdb3 show retention` does; undefined when the server
   *  does not say (before Core 3.7, or no permission). */
  async retentionNs(database: string): Promise<bigint | null | undefined> {
    let found: bigint | null | undefined;
    try {
      await this.querySql(
        '_internal',
        // In seconds: a year in nanoseconds is past what a JSON number holds exactly.
        'SELECT retention_period_ns / 1000000000 AS s FROM system.databases WHERE database_name = $db',
        { db: database },
        (row) => {
          found = typeof row.s === 'number' ? BigInt(row.s) * 1_000_000_000n : null;
        },
      );
    } catch {
      return undefined;
    }
    return found;
  }

  close(): void {
    this.agent.destroy();
  }

  private path(p: string): string {
    return this.base.pathname.replace(/\/$/, '') + p;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...this.settings.headers, ...extra };
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    return headers;
  }

  private target(path: string) {
    return {
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      port: this.base.port,
      path,
      agent: this.agent,
      timeout: this.settings.timeoutMs,
    };
  }

  private post(path: string, headers: Record<string, string>, body: Buffer) {
    return this.request('POST', path, headers, body);
  }

  private request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return onceMoreOnStaleSocket(() => this.requestOnce(method, path, headers, body));
  }

  private requestOnce(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    const lib = this.base.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request({ ...this.target(path), method, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ERROR_BODY) chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.settings.timeoutMs} ms`)));
      req.on('error', (e) => reject(staleSocket(req, e) ?? e));
      req.end(body);
    });
  }
}

/** A kept-alive socket the server closed as idle just as a request went out on it: the request
 *  never reached the server's handler, and Node.js's own advice is to send it again. */
class StaleSocket extends Error {
  constructor(readonly first: Error) {
    super(first.message);
  }
}

function staleSocket(req: http.ClientRequest, e: Error): StaleSocket | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  return req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE') ? new StaleSocket(e) : undefined;
}

/** Runs a request, and once more on a fresh socket when the first went out on a stale one. */
async function onceMoreOnStaleSocket<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    if (!(e instanceof StaleSocket)) throw e;
    return send().catch((again: unknown) => {
      throw again instanceof StaleSocket ? again.first : again;
    });
  }
}

/** What an answer of /api/v3/write_lp means for the lines that were sent. */
export function classify(status: number, headers: http.IncomingHttpHeaders, body: string): WriteOutcome {
  if (status >= 200 && status < 300) return { kind: 'written' };
  const text = body.trim();
  if (status === 413) return { kind: 'too-large', reason: text || 'request too large (413)' };
  if (status === 429 || status >= 500) {
    return {
      kind: 'retry',
      reason: `the server answered ${status}${text ? `: ${shownText(text, 300)}` : ''}`,
      retryAfterMs: retryAfterMs(headers['retry-after']),
    };
  }
  let json: { error?: unknown; data?: unknown; message?: unknown } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = undefined;
  }
  if ((status === 400 || status === 422) && json && json.data !== undefined) {
    const items: unknown[] = Array.isArray(json.data) ? json.data : [json.data];
    const rejected = items
      .filter(
        (d): d is { line_number: number; error_message: unknown } =>
          typeof (d as { line_number?: unknown } | null)?.line_number === 'number',
      )
      .map((d) => ({ lineNumber: d.line_number, message: shownText(d.error_message, 500) }));
    if (rejected.length > 0) return { kind: 'partial', rejected };
  }
  const reason =
    typeof json?.error === 'string'
      ? json.error
      : typeof json?.message === 'string'
        ? json.message
        : text || `status ${status}`;
  const hint =
    status === 401
      ? ' (check the token)'
      : status === 403
        ? ' (the token may not write to this database)'
        : status === 404
          ? ' (is the URL an InfluxDB 3 server?)'
          : '';
  // The server's words can quote the refused line: shown, not as they came.
  return { kind: 'refused', status, reason: `${shownText(reason, 500)}${hint}` };
}

/** Retry-After in milliseconds: seconds, or an HTTP date. */
export function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Why a query or an admin request failed: the server's status and message, whether it is worth
 *  retrying (the network, 429, 5xx) and whether the table or database does not exist. */
export class QueryFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly missing: boolean,
  ) {
    super(message);
  }

  static fromAnswer(status: number, body: string): QueryFailure {
    let text = body.trim();
    try {
      const json = JSON.parse(text) as { error?: unknown } | null;
      if (typeof json?.error === 'string') text = json.error;
    } catch {
      // plain text
    }
    const missing = (status === 404 || status === 400) && /\b(table|database)\b.*\bnot found\b/i.test(text);
    return new QueryFailure(
      `the server answered ${status}: ${text.slice(0, 500) || '(no message)'}`,
      status,
      status === 429 || status >= 500,
      missing,
    );
  }

  static unreachable(host: string, e: Error): QueryFailure {
    return new QueryFailure(`cannot reach ${host}: ${e.message}`, 0, true, false);
  }
}
