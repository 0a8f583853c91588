// InfluxDB 3 parses SQL with DataFusion's parser, sqlparser-rs with its GenericDialect (the
// datafusion.sql_parser.dialect default), before it plans anything; DuckDB's parser accepts SQL that
// it refuses and the other way round. So the test server first parses each query with the same
// parser (compiled to WebAssembly) and refuses what it refuses, worded as InfluxDB 3 words it:
// DataFusionError::SQL displays as `SQL error: {ParserError:?}` (datafusion common/src/error.rs),
// a 400 over HTTP and INVALID_ARGUMENT through Flight (influxdb3_server http.rs
// datafusion_error_status_code; service_common error.rs datafusion_error_to_tonic_code).

import { init, parse } from '@guanmingchiu/sqlparser-ts';

let ready: Promise<void> | undefined;

/** The error InfluxDB 3 gives for SQL its parser refuses, or undefined when it parses. */
export async function sqlParseError(sql: string): Promise<string | undefined> {
  ready ??= init();
  await ready;
  try {
    parse(sql, 'generic');
    return undefined;
  } catch (e) {
    return `SQL error: ${parserErrorDebug(String((e as Error)?.message ?? e))}`;
  }
}

/** The Rust Debug form of sqlparser's ParserError from the message the WebAssembly build gives:
 *  `sql parser error: …` for ParserError (its Display), the bare text for a TokenizerError. */
function parserErrorDebug(message: string): string {
  const PARSER = 'sql parser error: ';
  if (message === `${PARSER}recursion limit exceeded`) return 'RecursionLimitExceeded';
  if (message.startsWith(PARSER)) return `ParserError(${rustDebugString(message.slice(PARSER.length))})`;
  return `TokenizerError(${rustDebugString(message)})`;
}

/** A string as Rust's Debug prints it: quoted, with \", \\ and control characters escaped. */
function rustDebugString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\n\r\t]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!)}"`;
}
