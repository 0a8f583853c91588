// The project's InfluxDB 3 compatible server (issue 3), so far its HTTP side: the three write
// endpoints, /health, /ping, authentication, CORS preflight and the reply of an unknown path, with
// the write-ahead-log acknowledgement timing of InfluxDB 3 Core. Storage is pluggable: what has
// been accepted is handed to a Storage. Loopback only.
// Routing and headers follow influxdata/influxdb influxdb3_server/src/http.rs (route_request,
// perform_routing, health, ping); see shared/reference/influxdb3-wire.md A.1, A.6 and E.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_MAX_REQUEST_BYTES, Endpoint, Reply, WriteParams, authenticate, dbNameError, decodeBody, readWriteParams, v2Reply } from './write-protocol';
import { Catalog, StoredLine, applyWrite } from './write-validation';

export type { StoredLine };

export interface Storage {
  write(db: string, lines: StoredLine[]): void | Promise<void>;
}

export interface InfluxDB3Options {
  port?: number;
  /** When set, every request needs one of these tokens. */
  token?: string | string[];
  maxRequestBytes?: number;
  /** Write-ahead-log flush interval: writes without no_sync are answered at the next flush, as in
   *  Core (default 1 s there). 0 answers at once, for fast unit tests; 'manual' holds them until
   *  flushWal() is called, so a test decides when acknowledgements happen. */
  walFlushMs?: number | 'manual';
  storage?: Storage;
}

export interface InfluxDB3Server {
  url: string;
  catalog: Catalog;
  /** With walFlushMs 'manual': answers every write waiting for the WAL flush. */
  flushWal(): void;
  /** Failure on purpose, to prove a writer's retries and spool. */
  faults: Faults;
  stop(): Promise<void>;
}

export interface Faults {
  /** The next n writes are answered with this status (500 or 503), with Retry-After when given. */
  failNextWrites(n: number, status?: 500 | 503, retryAfterSec?: number): void;
  /** Every response waits this long first. */
  delayResponses(ms: number): void;
  /** Stop accepting connections (a connecting client is refused), or accept them again. */
  refuseConnections(refuse: boolean): Promise<void>;
  /** The next n requests lose their connection after the request arrived, before any reply. */
  dropNextRequests(n: number): void;
  reset(): Promise<void>;
}

const VERSION = '3.10.1';
const WRITE_PATHS: Record<string, Endpoint> = { '/api/v3/write_lp': 'v3', '/api/v2/write': 'v2', '/write': 'v1' };

export async function startInfluxDB3(o: InfluxDB3Options = {}): Promise<InfluxDB3Server> {
  const tokens = o.token === undefined ? undefined : new Set(Array.isArray(o.token) ? o.token : [o.token]);
  const walFlushMs = o.walFlushMs ?? 0;
  const catalog = new Catalog();
  const clusterUuid = randomUUID();
  const processId = randomUUID();
  let failWrites = 0;
  let failStatus: 500 | 503 = 503;
  let failRetryAfter: number | undefined;
  let delayMs = 0;
  let dropRequests = 0;
  let walWaiters: (() => void)[] = [];

  const server = http.createServer((req, res) => {
    if (dropRequests > 0) {
      dropRequests--;
      req.socket.destroy();
      return;
    }
    handle(req).then(
      async (reply) => {
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        send(res, reply);
      },
      (e) => send(res, { status: 500, body: JSON.stringify({ error: String((e as Error)?.message ?? e) }) }),
    )
      // A reply that cannot be sent (the client went away) must not become an unhandled rejection.
      .catch(() => res.destroy());
  });

  const send = (res: http.ServerResponse, reply: Reply & { headers?: Record<string, string> }) => {
    res.setHeader('cluster-uuid', clusterUuid);
    if (reply.status < 400) res.setHeader('Access-Control-Allow-Origin', '*');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.contentType) res.setHeader('content-type', reply.contentType);
    res.statusCode = reply.status;
    res.end(reply.body);
  };

  async function handle(req: http.IncomingMessage): Promise<Reply & { headers?: Record<string, string> }> {
    const [path, query] = splitUrl(req.url ?? '/');
    if (req.method === 'OPTIONS') {
      return {
        status: 204,
        body: '',
        headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': '*', 'Access-Control-Allow-Headers': '*', 'Access-Control-Max-Age': '86400' },
      };
    }
    const endpoint = WRITE_PATHS[path];
    const denied = authenticate(endpoint ?? 'v3', header(req, 'authorization'), endpoint === 'v1' ? query : null, tokens);
    if (denied) {
      await drain(req);
      return denied;
    }
    if ((path === '/health' || path === '/api/v1/health') && req.method === 'GET') {
      return { status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8' };
    }
    if (path === '/ping' && (req.method === 'GET' || req.method === 'POST')) {
      const id = randomUUID();
      return {
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ product_name: 'InfluxDB 3 Core', version: VERSION, revision: 'testsrv', process_id: processId }),
        headers: { 'X-Influxdb-Build': 'Core', 'X-Influxdb-Version': VERSION, 'Request-Id': id, 'X-Request-Id': id },
      };
    }
    if (endpoint && req.method === 'POST') return write(endpoint, query, req);
    await drain(req);
    return { status: 404, body: 'Not found' };
  }

  async function write(endpoint: Endpoint, query: string | null, req: http.IncomingMessage): Promise<Reply & { headers?: Record<string, string> }> {
    if (failWrites > 0) {
      failWrites--;
      await drain(req);
      const message = failStatus === 503 ? 'service unavailable (injected by the test server)' : 'internal error (injected by the test server)';
      const reply = endpoint === 'v2' ? v2Reply(failStatus, message) : { status: failStatus, body: JSON.stringify({ error: message }) };
      return failRetryAfter === undefined ? reply : { ...reply, headers: { 'Retry-After': String(failRetryAfter) } };
    }
    const params = readWriteParams(endpoint, query);
    if (!isParams(params)) return params;
    const nameError = dbNameError(params.db);
    if (nameError) return endpoint === 'v2' ? v2Reply(400, nameError) : { status: 400, body: JSON.stringify({ error: nameError }) };
    const limit = catalog.admitDatabase(params.db);
    if (limit) return endpoint === 'v2' ? v2Reply(400, `write buffer error: catalog update error: ${limit}`) : { status: 422, body: JSON.stringify({ error: limit }) };

    const raw = await readRaw(req, (o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES) + 1);
    const body = decodeBody(endpoint, raw, header(req, 'content-encoding'), o.maxRequestBytes);
    if (typeof body !== 'string') return body;

    const { reply, accepted } = applyWrite(catalog, endpoint, params, body, BigInt(Date.now()) * 1_000_000n);
    if (accepted.length > 0) {
      await o.storage?.write(params.db, accepted);
      if (!params.noSync) {
        if (walFlushMs === 'manual') await new Promise<void>((resolve) => walWaiters.push(resolve));
        else if (walFlushMs > 0) await nextFlush(walFlushMs);
      }
    }
    return reply;
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  await listen(o.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  let refusing = false;

  const faults: Faults = {
    failNextWrites(n, status = 503, retryAfterSec) {
      failWrites = n;
      failStatus = status;
      failRetryAfter = retryAfterSec;
    },
    delayResponses(ms) {
      delayMs = ms;
    },
    async refuseConnections(refuse) {
      if (refuse === refusing) return;
      refusing = refuse;
      if (refuse) {
        server.close();
        server.closeAllConnections();
      } else {
        await listen(port);
      }
    },
    dropNextRequests(n) {
      dropRequests = n;
    },
    async reset() {
      failWrites = 0;
      delayMs = 0;
      dropRequests = 0;
      await faults.refuseConnections(false);
    },
  };

  return {
    url: `http://127.0.0.1:${port}`,
    catalog,
    faults,
    flushWal() {
      const waiting = walWaiters;
      walWaiters = [];
      for (const w of waiting) w();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const w of walWaiters) w();
        walWaiters = [];
        server.closeAllConnections();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

function isParams(p: WriteParams | Reply): p is WriteParams {
  return (p as WriteParams).db !== undefined;
}

function splitUrl(url: string): [string, string | null] {
  const q = url.indexOf('?');
  return q < 0 ? [url, null] : [url.slice(0, q), url.slice(q + 1)];
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The body, reading at most `cap` bytes (more is refused as too large by decodeBody anyway). */
async function readRaw(req: http.IncomingMessage, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    if (size < cap) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks);
}

async function drain(req: http.IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // discard
  }
}

/** Resolves at the next tick of a WAL that flushes every intervalMs. */
function nextFlush(intervalMs: number): Promise<void> {
  const wait = intervalMs - (Date.now() % intervalMs);
  return new Promise((resolve) => setTimeout(resolve, wait));
}
