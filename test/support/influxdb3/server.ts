// The project's InfluxDB 3 compatible server (issue 3): the three write endpoints, /api/v3/query_sql,
// Arrow Flight DoGet, the database configure API, /health and /ping, authentication, CORS preflight
// and the reply of an unknown path, with the write-ahead-log acknowledgement timing of InfluxDB 3
// Core. HTTP/1.1 and gRPC (h2c) share one port as in Core, where a request is gRPC iff it is
// HTTP/2 with an application/grpc content type (influxdata/influxdb influxdb3_server/src/lib.rs
// is_grpc_request). Loopback only. Routing and headers follow influxdb3_server/src/http.rs
// (route_request, perform_routing, health, ping).

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import tls from 'node:tls';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { DO_GET_PATH, FlightError, GRPC, decodeTicket, resultFrames, sendFrames, sendGrpcError } from './arrow-flight';
import { answerQuery, readQueryRequest } from './query-protocol';
import { QueryError, SqlEngine } from './sql-engine';
import { KnownSeries } from './known-series';
import { TableStore } from './table-store';
import { LoggedWrite, WriteLog } from './write-log';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  Endpoint,
  Reply,
  WriteParams,
  authenticate,
  dbNameError,
  decodeBody,
  readWriteParams,
  v2Reply,
} from './write-protocol';
import { Catalog, applyWrite } from './write-validation';

export interface InfluxDB3Options {
  port?: number;
  /** When set, every request needs one of these tokens. */
  token?: string | string[];
  maxRequestBytes?: number;
  /** Write-ahead-log flush interval: writes without no_sync are answered at the next flush, as in
   *  Core (default 1 s there). 0 answers at once, for fast unit tests; 'manual' holds them until
   *  flushWal() is called, so a test decides when acknowledgements happen. */
  walFlushMs?: number | 'manual';
  /** Keeps what was written in this directory and reads it back on start; in memory otherwise. */
  dataDir?: string;
  /** Serves HTTPS (and gRPC over TLS, by ALPN) with this key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface InfluxDB3Server {
  url: string;
  port: number;
  catalog: Catalog;
  /** With walFlushMs 'manual': answers every write waiting for the WAL flush. */
  flushWal(): void;
  /** Failure on purpose, to prove a writer's retries and spool. */
  faults: Faults;
  /** Open gRPC (Arrow Flight) connections: how many query clients are connected. */
  grpcSessions(): number;
  stop(): Promise<void>;
}

export interface Faults {
  /** The next n writes are answered with this status (500 or 503), with Retry-After when given. */
  failNextWrites(n: number, status?: 500 | 503, retryAfterSec?: number): void;
  /** The next n queries through /api/v3/query_sql are answered with this status (500 or 503). */
  failNextQueries(n: number, status?: 500 | 503): void;
  /** Every response waits this long first. */
  delayResponses(ms: number): void;
  /** Stop accepting connections (a connecting client is refused), or accept them again. */
  refuseConnections(refuse: boolean): Promise<void>;
  /** The next n requests lose their connection after the request arrived, before any reply. */
  dropNextRequests(n: number): void;
  reset(): Promise<void>;
}

type HttpReply = Reply & { headers?: Record<string, string> };

const VERSION = '3.10.1';
const WRITE_PATHS: Record<string, Endpoint> = { '/api/v3/write_lp': 'v3', '/api/v2/write': 'v2', '/write': 'v1' };
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export async function startInfluxDB3(o: InfluxDB3Options = {}): Promise<InfluxDB3Server> {
  const tokens = o.token === undefined ? undefined : new Set(Array.isArray(o.token) ? o.token : [o.token]);
  const walFlushMs = o.walFlushMs ?? 0;
  const catalog = new Catalog();
  const store = new TableStore();
  const known = new KnownSeries();
  const engine = new SqlEngine(store);
  const log = o.dataDir
    ? await WriteLog.open(o.dataDir, (entry) => apply(entry.endpoint, entry.params, entry.body, entry.nowNs))
    : undefined;
  const clusterUuid = randomUUID();
  const processId = randomUUID();
  let failWrites = 0;
  let failStatus: 500 | 503 = 503;
  let failRetryAfter: number | undefined;
  let failQueries = 0;
  let failQueryStatus: 500 | 503 = 503;
  let delayMs = 0;
  let dropRequests = 0;
  let walWaiters: (() => void)[] = [];

  const web = http.createServer((req, res) => {
    if (dropRequests > 0) {
      dropRequests--;
      req.socket.destroy();
      return;
    }
    handle(req)
      .then(
        async (reply) => {
          if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
          send(res, reply);
        },
        (e) => send(res, { status: 500, body: JSON.stringify({ error: String((e as Error)?.message ?? e) }) }),
      )
      // A reply that cannot be sent (the client went away) must not become an unhandled rejection.
      .catch(() => res.destroy());
  });

  const grpc = http2.createServer();
  grpc.on('stream', (stream, headers) => {
    flight(stream, headers).catch((e) => sendGrpcError(stream, GRPC.INTERNAL, String((e as Error)?.message ?? e)));
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  grpc.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => s.destroy());
  });

  // One port: the HTTP/2 connection preface (or over TLS, ALPN) decides which server takes the
  // connection.
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const secure = o.tls
    ? tls.createServer({ key: o.tls.key, cert: o.tls.cert, ALPNProtocols: ['h2', 'http/1.1'] }, (socket) => {
        track(socket);
        (socket.alpnProtocol === 'h2' ? grpc : web).emit('connection', socket);
      })
    : undefined;
  secure?.on('tlsClientError', (_e, socket) => socket.destroy());
  const plain = net.createServer((socket) => {
    track(socket);
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, HTTP2_PREFACE.length);
      const isPreface = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      if (isPreface && seen.length < HTTP2_PREFACE.length) return;
      socket.removeListener('data', onData);
      socket.pause();
      socket.unshift(seen);
      if (isPreface) {
        // http2 takes over the socket's handle and first reads what is buffered (setupHandle).
        grpc.emit('connection', socket);
      } else {
        web.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });
  const front: net.Server = secure ?? plain;

  const send = (res: http.ServerResponse, reply: HttpReply) => {
    res.setHeader('cluster-uuid', clusterUuid);
    if (reply.status < 400) res.setHeader('Access-Control-Allow-Origin', '*');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.contentType) res.setHeader('content-type', reply.contentType);
    res.statusCode = reply.status;
    res.end(reply.body);
  };

  async function handle(req: http.IncomingMessage): Promise<HttpReply> {
    const [path, query] = splitUrl(req.url ?? '/');
    if (req.method === 'OPTIONS') {
      return {
        status: 204,
        body: '',
        headers: {
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Methods': '*',
          'Access-Control-Allow-Headers': '*',
          'Access-Control-Max-Age': '86400',
        },
      };
    }
    const endpoint = WRITE_PATHS[path];
    const denied = authenticate(
      endpoint ?? 'v3',
      header(req, 'authorization'),
      endpoint === 'v1' ? query : null,
      tokens,
    );
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
        body: JSON.stringify({
          product_name: 'InfluxDB 3 Core',
          version: VERSION,
          revision: 'testsrv',
          process_id: processId,
        }),
        headers: { 'X-Influxdb-Build': 'Core', 'X-Influxdb-Version': VERSION, 'Request-Id': id, 'X-Request-Id': id },
      };
    }
    if (endpoint && req.method === 'POST') return write(endpoint, query, req);
    if (path === '/api/v3/query_sql' && (req.method === 'GET' || req.method === 'POST')) {
      const body =
        req.method === 'POST'
          ? (await readRaw(req, o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES)).toString('utf8')
          : (await drain(req), '');
      if (failQueries > 0) {
        failQueries--;
        return {
          status: failQueryStatus,
          body: JSON.stringify({ error: 'query failed on purpose (injected by the test server)' }),
          contentType: 'application/json',
        };
      }
      const request = readQueryRequest(req.method, query, body, header(req, 'accept'));
      return 'q' in request ? answerQuery(engine, request) : request;
    }
    if (path === '/api/v3/configure/database') return configureDatabase(req, query);
    if (path === '/api/v3/configure/last_cache' && (req.method === 'POST' || req.method === 'DELETE'))
      return configureLastCache(req, query);
    await drain(req);
    return { status: 404, body: 'Not found' };
  }

  /** GET lists databases (names only, as Core: no retention), POST {"db", "retention_period"?}
   *  creates one (http.rs create_database; retention_period a humantime duration, Core 3.2+). */
  async function configureDatabase(req: http.IncomingMessage, query: string | null): Promise<HttpReply> {
    if (req.method === 'GET') {
      await drain(req);
      const rows = store
        .databaseNames()
        .sort()
        .map((db) => ({ 'iox::database': db, deleted: false }));
      const format = new URLSearchParams(query ?? '').get('format') ?? 'json';
      if (format !== 'json')
        return { status: 405, body: "Only format=json is bridged by the project's test server for this endpoint" };
      return { status: 200, body: JSON.stringify(rows), contentType: 'application/json' };
    }
    if (req.method !== 'POST') {
      await drain(req);
      return { status: 404, body: 'Not found' };
    }
    const raw = (await readRaw(req, 64 * 1024)).toString('utf8');
    if (!(header(req, 'content-type') ?? '').startsWith('application/json'))
      return { status: 415, body: 'unsupported media type' };
    let db: unknown;
    let retentionNs: bigint | undefined;
    try {
      const request = JSON.parse(raw) as { db?: unknown; retention_period?: unknown };
      db = request.db;
      if (request.retention_period !== undefined && request.retention_period !== null)
        retentionNs = humantimeNs(request.retention_period);
    } catch (e) {
      return { status: 400, body: `serde json error: ${(e as Error).message}` };
    }
    if (typeof db !== 'string') return { status: 400, body: 'serde json error: missing field `db`' };
    const nameError = dbNameError(db);
    if (nameError) return { status: 400, body: JSON.stringify({ error: nameError }) };
    if (store.has(db)) return { status: 409, body: 'attempted to create a resource that already exists' };
    const limit = catalog.admitDatabase(db);
    if (limit) return { status: 422, body: JSON.stringify({ error: limit }) };
    const created: LoggedWrite = {
      endpoint: 'create',
      params: { db, precision: 'auto', acceptPartial: true, noSync: false },
      body: retentionNs === undefined ? '' : JSON.stringify({ retention_period_ns: String(retentionNs) }),
      nowNs: 0n,
    };
    apply(created.endpoint, created.params, created.body, created.nowNs);
    await log?.append(created);
    return { status: 200, body: '' };
  }

  /** POST creates a last value cache, DELETE removes one (last-value-cache.ts); both are logged,
   *  so a restart keeps the definitions. The body is JSON, except that DELETE may use the query
   *  string instead (http.rs configure_last_cache_delete). */
  async function configureLastCache(req: http.IncomingMessage, query: string | null): Promise<HttpReply> {
    const raw = (await readRaw(req, 64 * 1024)).toString('utf8');
    let request: Record<string, unknown>;
    if (req.method === 'DELETE' && query) {
      request = Object.fromEntries(new URLSearchParams(query));
    } else {
      if (!(header(req, 'content-type') ?? '').startsWith('application/json'))
        return { status: 415, body: 'unsupported media type' };
      try {
        request = JSON.parse(raw) as Record<string, unknown>;
      } catch (e) {
        return { status: 400, body: `serde json error: ${(e as Error).message}` };
      }
    }
    const endpoint = req.method === 'POST' ? 'last_cache' : 'last_cache_delete';
    const reply = applyLastCache(endpoint, request);
    if (reply.status < 300)
      await log?.append({ endpoint, params: noParams(), body: JSON.stringify(request), nowNs: 0n });
    return reply;
  }

  function applyLastCache(endpoint: 'last_cache' | 'last_cache_delete', request: Record<string, unknown>) {
    const columnsOf = (db: string, table: string) => {
      const tables = catalog.databases.get(db);
      if (!tables || !store.has(db)) return 'no-db' as const;
      return tables.get(table) ?? ('no-table' as const);
    };
    if (endpoint === 'last_cache')
      return store.lastCaches.create(request, columnsOf, (db, cache) =>
        store.table(db, cache.definition.table).lastCaches.push(cache),
      );
    return store.lastCaches.delete(
      request,
      (db, table) => {
        const c = columnsOf(db, table);
        return typeof c === 'string' ? c : 'ok';
      },
      (db, cache) => {
        const caches = store.table(db, cache.definition.table).lastCaches;
        caches.splice(caches.indexOf(cache), 1);
      },
    );
  }

  /** A write with accept_partial that refused lines: their new tables and columns stay. */
  function refusedPartially(params: WriteParams, reply: Reply): boolean {
    return params.acceptPartial && reply.status >= 400;
  }

  /** Parses, checks and stores a write body; the same path replays the data directory's log. */
  function apply(
    endpoint: LoggedWrite['endpoint'],
    params: WriteParams,
    body: string,
    nowNs: bigint,
  ): { reply: Reply; stored: number } {
    if (endpoint === 'last_cache' || endpoint === 'last_cache_delete')
      return { reply: applyLastCache(endpoint, JSON.parse(body) as Record<string, unknown>), stored: 0 };
    if (endpoint === 'create') {
      catalog.databases.set(params.db, catalog.databases.get(params.db) ?? new Map());
      const retention = body ? (JSON.parse(body) as { retention_period_ns: string }).retention_period_ns : undefined;
      store.createDatabase(params.db, retention === undefined ? undefined : BigInt(retention));
      return { reply: { status: 200, body: '' }, stored: 0 };
    }
    const { reply, accepted } = applyWrite(catalog, endpoint, params, body, nowNs, known);
    if (accepted.length > 0) store.write(params.db, accepted);
    if (refusedPartially(params, reply)) {
      // The catalog transaction is committed even when every line was refused, database included
      // (v3 catalog.rs begin_database_transaction creates it; validator.rs commit_catalog_changes).
      const tables = catalog.databases.get(params.db) ?? new Map();
      catalog.databases.set(params.db, tables);
      store.createDatabase(params.db);
      store.declareSchema(params.db, tables);
    }
    return { reply, stored: accepted.reduce((n, a) => n + ('ranges' in a ? a.ranges.length / 2 : 1), 0) };
  }

  async function write(endpoint: Endpoint, query: string | null, req: http.IncomingMessage): Promise<HttpReply> {
    if (failWrites > 0) {
      failWrites--;
      await drain(req);
      const message =
        failStatus === 503
          ? 'service unavailable (injected by the test server)'
          : 'internal error (injected by the test server)';
      const reply =
        endpoint === 'v2'
          ? v2Reply(failStatus, message)
          : { status: failStatus, body: JSON.stringify({ error: message }) };
      return failRetryAfter === undefined ? reply : { ...reply, headers: { 'Retry-After': String(failRetryAfter) } };
    }
    const params = readWriteParams(endpoint, query);
    if (!isParams(params)) return params;
    const nameError = dbNameError(params.db);
    if (nameError)
      return endpoint === 'v2' ? v2Reply(400, nameError) : { status: 400, body: JSON.stringify({ error: nameError }) };
    const limit = catalog.admitDatabase(params.db);
    if (limit)
      return endpoint === 'v2'
        ? v2Reply(400, `write buffer error: catalog update error: ${limit}`)
        : { status: 422, body: JSON.stringify({ error: limit }) };

    const raw = await readRaw(req, (o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES) + 1);
    const body = decodeBody(endpoint, raw, header(req, 'content-encoding'), o.maxRequestBytes);
    if (typeof body !== 'string') return body;

    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const { reply, stored } = apply(endpoint, params, body, nowNs);
    // Refused lines can change the schema: such a write is logged too, so a restart keeps it.
    if (stored > 0 || refusedPartially(params, reply)) await log?.append({ endpoint, params, body, nowNs });
    if (stored > 0) {
      if (!params.noSync) {
        if (walFlushMs === 'manual') await new Promise<void>((resolve) => walWaiters.push(resolve));
        else if (walFlushMs > 0) await nextFlush(walFlushMs);
      }
    }
    return reply;
  }

  /** Arrow Flight DoGet (the only Flight call the client makes). */
  async function flight(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    stream.on('error', () => undefined);
    if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) {
      stream.respond({ ':status': 404 });
      stream.end('Not found');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    if (headers[':path'] !== DO_GET_PATH)
      return sendGrpcError(
        stream,
        GRPC.UNIMPLEMENTED,
        `the project's test server implements only DoGet of Arrow Flight, not ${headers[':path']}`,
      );
    if (tokens && tokens.size > 0) {
      const auth = headers.authorization;
      if (!auth) return sendGrpcError(stream, GRPC.UNAUTHENTICATED, 'Unauthenticated');
      if (authenticate('v3', auth, null, tokens))
        return sendGrpcError(stream, GRPC.PERMISSION_DENIED, 'Permission denied');
    }
    try {
      const ticket = decodeTicket(Buffer.concat(chunks));
      if (ticket.queryType === 'influxql')
        throw new FlightError(GRPC.UNIMPLEMENTED, "InfluxQL is not bridged by the project's test server; use SQL");
      const frames = resultFrames(await engine.query(ticket.database, ticket.sql, ticket.params));
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      sendFrames(stream, frames);
    } catch (e) {
      if (e instanceof FlightError) return sendGrpcError(stream, e.code, e.message);
      if (!(e instanceof QueryError)) throw e;
      switch (e.kind) {
        case 'database-not-found':
          return sendGrpcError(stream, GRPC.INTERNAL, `Cannot retrieve database: External error: ${e.message}`);
        case 'planning':
        case 'schema':
          return sendGrpcError(stream, GRPC.INVALID_ARGUMENT, `Error while planning query: ${e.message}`);
        case 'not-implemented':
          return sendGrpcError(stream, GRPC.UNIMPLEMENTED, e.message);
        case 'execution':
          return sendGrpcError(stream, GRPC.INTERNAL, `Error while executing query: ${e.message}`);
      }
    }
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.listen(port, '127.0.0.1', () => {
        front.removeListener('error', reject);
        resolve();
      });
    });
  const closeConnections = () => {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
  };
  await listen(o.port ?? 0);
  const port = (front.address() as AddressInfo).port;
  let refusing = false;

  const faults: Faults = {
    failNextQueries(n, status = 503) {
      failQueries = n;
      failQueryStatus = status;
    },
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
        front.close();
        closeConnections();
      } else {
        await listen(port);
      }
    },
    dropNextRequests(n) {
      dropRequests = n;
    },
    async reset() {
      failWrites = 0;
      failQueries = 0;
      delayMs = 0;
      dropRequests = 0;
      await faults.refuseConnections(false);
    },
  };

  return {
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    catalog,
    faults,
    grpcSessions: () => sessions.size,
    flushWal() {
      const waiting = walWaiters;
      walWaiters = [];
      for (const w of waiting) w();
    },
    async stop() {
      for (const w of walWaiters) w();
      walWaiters = [];
      await new Promise<void>((resolve) => {
        closeConnections();
        if (!front.listening) return resolve();
        front.close(() => resolve());
      });
      await engine.close();
      await log?.close();
    },
  };
}

function noParams(): WriteParams {
  return { db: '', precision: 'auto', acceptPartial: true, noSync: false };
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

/** humantime's units in seconds (humantime 2.3 src/duration.rs, which Core's retention_period
 *  is parsed with): "7d", "1y" (365.25 days), "1h 30m". */
const HUMANTIME: [RegExp, number][] = [
  [/^(ns|nsec|nanos)$/, 1e-9],
  [/^(us|usec|micros|µs)$/, 1e-6],
  [/^(ms|msec|millis)$/, 1e-3],
  [/^(s|sec|secs|seconds?)$/, 1],
  [/^(m|min|mins|minutes?)$/, 60],
  [/^(h|hr|hrs|hours?)$/, 3600],
  [/^(d|days?)$/, 86400],
  [/^(w|wk|wks|weeks?)$/, 604800],
  [/^(M|months?)$/, 2_630_016],
  [/^(y|yr|yrs|years?)$/, 31_557_600],
];

function humantimeNs(v: unknown): bigint {
  if (typeof v !== 'string') throw new Error('invalid type: expected a duration string for `retention_period`');
  let rest = v.trim();
  let ns = 0n;
  if (!rest) throw new Error('value was empty for `retention_period`');
  while (rest) {
    const m = /^(\d+)\s*([a-zA-Zµ]+)\s*/.exec(rest);
    const unit = m && HUMANTIME.find(([re]) => re.test(m[2]));
    if (!m || !unit) throw new Error(`unknown time unit or number in "${v}" for \`retention_period\``);
    ns += BigInt(m[1]) * BigInt(Math.round(unit[1] * 1e9));
    rest = rest.slice(m[0].length);
  }
  return ns;
}
