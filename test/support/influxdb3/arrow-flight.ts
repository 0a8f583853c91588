// Arrow Flight DoGet as InfluxDB 3 serves it, on node:http2 (h2c): the JSON ticket the official
// client sends, the result as a Schema message then RecordBatch messages (dictionaries hydrated, so
// tags are plain Utf8), `iox::column::type` metadata on table columns, and gRPC errors with InfluxDB
// 3's codes. Followed from influxdata/influxdb core/service_grpc_flight/src/{request.rs,lib.rs} and
// the client's InfluxCommunity/influxdb3-js packages/client/src/impl/QueryApiImpl.ts (prepareTicket)
// and test/TestServer.ts.

import type http2 from 'node:http2';
import {
  Bool,
  Data,
  DataType,
  Decimal,
  Field,
  Float64,
  Int64,
  Message,
  Null,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeUnit,
  Timestamp,
  Uint64,
  Utf8,
  makeData,
  tableToIPC,
} from 'apache-arrow';
import type { QueryColumn, QueryResult } from './sql-engine';

export const DO_GET_PATH = '/arrow.flight.protocol.FlightService/DoGet';

/** gRPC status codes used here (grpc/grpc doc/statuscodes.md). */
export const GRPC = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  INTERNAL: 13,
  UNIMPLEMENTED: 12,
  UNAUTHENTICATED: 16,
} as const;

export interface FlightTicket {
  database: string;
  sql: string;
  queryType: 'sql' | 'influxql';
  params: Record<string, unknown>;
}

export class FlightError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The Ticket message's bytes (field 1) from a gRPC request body, decoded as InfluxDB 3's JSON form
 *  (request.rs decode_json). The protobuf ReadInfo forms are not used by the JS client. */
export function decodeTicket(body: Buffer): FlightTicket {
  const invalid = (why: string) => new FlightError(GRPC.INVALID_ARGUMENT, `Invalid ticket. Error: ${why}`);
  if (body.length < 5) throw invalid('empty request');
  const length = body.readUInt32BE(1);
  const message = body.subarray(5, 5 + length);
  if (message[0] !== 0x0a) throw invalid('the ticket has no bytes field');
  const [size, at] = readVarint(message, 1);
  const json = message.subarray(at, at + size).toString('utf8');
  let t: Record<string, unknown>;
  try {
    t = JSON.parse(json);
  } catch (e) {
    throw invalid(`Invalid JSON ticket: ${(e as Error).message}`);
  }
  if (t === null || typeof t !== 'object' || Array.isArray(t)) throw invalid('the ticket is not a JSON object');
  const database = t.database ?? t.namespace_name ?? t.bucket ?? t['bucket-name'];
  if (typeof database !== 'string') throw invalid('missing field `database`');
  if (typeof t.sql_query !== 'string') throw invalid('missing field `sql_query`');
  const queryType = t.query_type ?? 'sql';
  if (queryType !== 'sql' && queryType !== 'influxql')
    throw invalid(`Unknown query type. Expected 'sql' or 'influxql', got ${JSON.stringify(queryType)}`);
  const params = t.params ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw invalid('params must be an object');
  return { database, sql: t.sql_query, queryType, params: params as Record<string, unknown> };
}

function readVarint(buf: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    if (b === undefined) return [0, at];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, at];
    shift += 7;
  }
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** One gRPC length-prefixed frame holding FlightData{data_header = 2, data_body = 1000}. */
function flightDataFrame(header: Uint8Array, body: Uint8Array): Buffer {
  const parts = [Buffer.from([0x12]), varint(header.length), header];
  if (body.length > 0) parts.push(Buffer.from([0xc2, 0x3e]), varint(body.length), body);
  const message = Buffer.concat(parts);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** Record batches are cut near 2 MiB, as arrow-rs's FlightDataEncoder does; grpc-js refuses
 *  messages over 4 MiB by default. */
const BATCH_BYTES = 2 * 1024 * 1024;

/** The result as the frames of a DoGet response: Schema first (also for zero rows), then batches. */
export function resultFrames(result: QueryResult): Buffer[] {
  const fields = result.columns.map(arrowField);
  const schema = new Schema(fields);
  const children = result.columns.map((c, i) => columnData(c, fields[i].type));
  const bytes = children.reduce((n, d) => n + d.byteLength, 0);
  const rowsPerBatch = Math.max(1, Math.floor(result.rowCount / Math.max(1, Math.ceil(bytes / BATCH_BYTES))));
  const batches: RecordBatch[] = [];
  for (let start = 0; start < result.rowCount; start += rowsPerBatch) {
    const end = Math.min(result.rowCount, start + rowsPerBatch);
    const sliced = children.map((d) => d.slice(start, end - start));
    batches.push(
      new RecordBatch(
        schema,
        makeData({ type: new Struct(fields), length: end - start, nullCount: 0, children: sliced }),
      ),
    );
  }
  const ipc = tableToIPC(batches.length > 0 ? new Table(batches) : new Table(schema), 'stream');
  return ipcMessages(ipc).map(([h, b]) => flightDataFrame(h, b));
}

/** [metadata, body] of each message in an Arrow IPC stream. */
function ipcMessages(ipc: Uint8Array): [Uint8Array, Uint8Array][] {
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  const out: [Uint8Array, Uint8Array][] = [];
  let at = 0;
  while (at + 4 <= ipc.length) {
    let length = view.getInt32(at, true);
    at += 4;
    if (length === -1) {
      length = view.getInt32(at, true);
      at += 4;
    }
    if (length === 0) break;
    const header = ipc.subarray(at, at + length);
    at += length;
    const bodyLength = Number(Message.decode(header).bodyLength);
    out.push([header, ipc.subarray(at, at + bodyLength)]);
    at += bodyLength;
  }
  return out;
}

function arrowType(c: QueryColumn): DataType {
  switch (c.kind) {
    case 'timestamp':
      return new Timestamp(TimeUnit.NANOSECOND);
    case 'int64':
      return new Int64();
    case 'uint64':
      return new Uint64();
    case 'float64':
      return new Float64();
    case 'decimal128':
      return new Decimal(c.scale!, c.precision!, 128);
    case 'utf8':
      return new Utf8();
    case 'bool':
      return new Bool();
    case 'null':
      return new Null();
    case 'struct':
      return new Struct(c.children!.map(arrowField));
  }
}

function arrowField(c: QueryColumn): Field {
  const metadata = c.ioxType ? new Map([['iox::column::type', c.ioxType]]) : undefined;
  return new Field(c.name, arrowType(c), c.ioxType !== 'iox::column_type::timestamp', metadata);
}

function columnData(c: QueryColumn, type: DataType): Data {
  const length = c.values.length;
  if (c.kind === 'null') return makeData({ type: type as Null, length, nullCount: length });
  let nullCount = 0;
  const validity = new Uint8Array(Math.ceil(length / 8));
  c.values.forEach((v, i) => {
    if (v === null || v === undefined) nullCount++;
    else validity[i >> 3] |= 1 << (i & 7);
  });
  const nullBitmap = nullCount > 0 ? validity : undefined;
  switch (c.kind) {
    case 'timestamp':
    case 'int64':
      return makeData({
        type: type as Int64,
        length,
        nullCount,
        nullBitmap,
        data: BigInt64Array.from(c.values, (v) => (v as bigint | null) ?? 0n),
      });
    case 'uint64':
      return makeData({
        type: type as Uint64,
        length,
        nullCount,
        nullBitmap,
        data: BigUint64Array.from(c.values, (v) => (v as bigint | null) ?? 0n),
      });
    case 'float64':
      return makeData({
        type: type as Float64,
        length,
        nullCount,
        nullBitmap,
        data: Float64Array.from(c.values, (v) => (v as number | null) ?? 0),
      });
    case 'decimal128': {
      // 128-bit two's complement, little-endian, as four 32-bit words a value.
      const words = new Uint32Array(length * 4);
      c.values.forEach((v, i) => {
        let x = BigInt.asUintN(128, (v as bigint | null) ?? 0n);
        for (let w = 0; w < 4; w++, x >>= 32n) words[i * 4 + w] = Number(x & 0xffffffffn);
      });
      return makeData({ type: type as Decimal, length, nullCount, nullBitmap, data: words });
    }
    case 'bool': {
      const bits = new Uint8Array(Math.ceil(length / 8));
      c.values.forEach((v, i) => {
        if (v === true) bits[i >> 3] |= 1 << (i & 7);
      });
      return makeData({ type: type as Bool, length, nullCount, nullBitmap, data: bits });
    }
    case 'utf8': {
      const encoded = c.values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : null));
      const valueOffsets = new Int32Array(length + 1);
      let total = 0;
      encoded.forEach((b, i) => {
        total += b?.length ?? 0;
        valueOffsets[i + 1] = total;
      });
      const data = new Uint8Array(total);
      encoded.forEach((b, i) => b && data.set(b, valueOffsets[i]));
      return makeData({ type: type as Utf8, length, nullCount, nullBitmap, valueOffsets, data });
    }
    case 'struct': {
      const struct = type as Struct;
      const children = c.children!.map((child, i) => columnData(child, struct.children[i].type));
      return makeData({ type: struct, length, nullCount, nullBitmap, children });
    }
  }
}

/** grpc-message is percent-encoded for bytes outside 0x20-0x7E and '%' only (gRPC HTTP/2 spec). */
export function grpcMessage(message: string): string {
  const cut = message.length > 2000 ? `${message.slice(0, 2000)}...` : message;
  let out = '';
  for (const byte of Buffer.from(cut, 'utf8'))
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** A trailers-only gRPC error response. */
export function sendGrpcError(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) return void stream.close();
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': grpcMessage(message),
    },
    { endStream: true },
  );
}

/** Streams the frames of a successful DoGet. */
export function sendFrames(stream: http2.ServerHttp2Stream, frames: Buffer[]): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  for (const f of frames) stream.write(f);
  stream.end();
}
