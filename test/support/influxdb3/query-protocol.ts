// The HTTP rules of /api/v3/query_sql: parameters from the query string (GET) or a JSON body
// (POST), the output format from `format` or the Accept header, and the status and body of each
// refusal. Followed from influxdata/influxdb influxdb3_server/src/http.rs (query_sql, extract_query,
// QueryFormat::try_from_headers, IntoResponse for Error, datafusion_error_status_code) and
// influxdb3_types/src/http.rs QueryRequest.

import { CONTENT_TYPE, QueryFormat, formatResult } from './query-formats';
import { QueryError, QueryParams, SqlEngine } from './sql-engine';
import type { Reply } from './write-protocol';

export interface QueryRequest {
  db: string;
  q: string;
  format: QueryFormat;
  params: QueryParams;
}

const text = (status: number, body: string): Reply => ({ status, body, contentType: 'text/plain; charset=utf-8' });
const FORMATS: Record<string, QueryFormat | 'parquet'> = {
  json: 'json',
  jsonl: 'jsonl',
  json_lines: 'jsonl',
  csv: 'csv',
  pretty: 'pretty',
  parquet: 'parquet',
};

/** The request's parameters, or the reply refusing them. */
export function readQueryRequest(
  method: string,
  query: string | null,
  body: string,
  accept: string | undefined,
): QueryRequest | Reply {
  let raw: Record<string, unknown>;
  if (method === 'GET') {
    if (query === null) return text(400, "missing query parameters 'db' and 'q'");
    const q = new URLSearchParams(query);
    raw = Object.fromEntries(q.entries());
    if (typeof raw.params === 'string') {
      try {
        raw.params = JSON.parse(raw.params);
      } catch (e) {
        return text(400, `serde json error: ${(e as Error).message}`);
      }
    }
  } else {
    try {
      raw = JSON.parse(body);
    } catch (e) {
      return text(400, `serde json error: ${(e as Error).message}`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      return text(400, 'serde json error: invalid type: expected struct QueryRequest');
  }
  for (const field of ['db', 'q']) {
    if (raw[field] === undefined) return text(400, `serde error: missing field \`${field}\``);
    if (typeof raw[field] !== 'string')
      return text(400, `serde error: invalid type for field \`${field}\`, expected a string`);
  }
  const params = raw.params ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params))
    return text(400, 'serde error: invalid type for field `params`, expected a map');
  let format: QueryFormat | 'parquet' | undefined;
  if (raw.format !== undefined) {
    format = FORMATS[String(raw.format)];
    if (!format)
      return text(
        400,
        `serde error: unknown variant \`${String(raw.format)}\`, expected one of \`parquet\`, \`csv\`, \`pretty\`, \`json\`, \`jsonl\``,
      );
  } else {
    const fromAccept = formatForAccept(accept);
    if (typeof fromAccept !== 'string') return fromAccept;
    format = fromAccept;
  }
  if (format === 'parquet')
    return text(405, "The parquet format is not bridged by the project's test server; use json, jsonl, csv or pretty");
  return { db: raw.db as string, q: raw.q as string, format, params: params as QueryParams };
}

function formatForAccept(accept: string | undefined): QueryFormat | 'parquet' | Reply {
  if (
    accept === undefined ||
    accept === '' ||
    accept.includes('*/*') ||
    accept.includes('text/html') ||
    accept.startsWith('application/json')
  )
    return 'json';
  if (accept.startsWith('application/vnd.apache.parquet')) return 'parquet';
  if (accept.startsWith('text/csv')) return 'csv';
  if (accept.startsWith('text/plain')) return 'pretty';
  return text(400, `invalid mime type (${accept})`);
}

/** Runs the query and answers as InfluxDB 3 does, errors included. */
export async function answerQuery(engine: SqlEngine, request: QueryRequest): Promise<Reply> {
  try {
    const result = await engine.query(request.db, request.q, request.params);
    return { status: 200, body: formatResult(result, request.format), contentType: CONTENT_TYPE[request.format] };
  } catch (e) {
    if (!(e instanceof QueryError)) throw e;
    switch (e.kind) {
      case 'database-not-found':
        return {
          status: 404,
          body: JSON.stringify({ error: `query error: ${e.message}` }),
          contentType: 'application/json',
        };
      case 'planning':
        return text(400, e.message);
      case 'schema':
        // SchemaError is not among the DataFusion errors Core answers with a 400.
        return text(500, e.message);
      case 'not-implemented':
        return text(405, e.message);
      case 'execution':
        return text(500, `query error: ${e.message}`);
    }
  }
}
