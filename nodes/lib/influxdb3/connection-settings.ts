// The settings of an influxdb3-config node as a checked connection: URL, token, timeout, gzip
// threshold, TLS choices and extra headers, with messages that say what to fix.

import type { ConnectionSettings } from './influxdb3-http';
import { errorMessage } from '../settings';

/** An influxdb3-config node's settings, as its declaration reads them (nodes/influxdb3-config/settings.ts). */
export interface ConfigSettings {
  url: string;
  timeout: number;
  gzipThreshold: number;
  allowSelfSigned: boolean;
  ca: string;
  headers: string;
}

/** The settings as a connection, checked; throws with what to fix. */
export function connectionSettings(s: ConfigSettings, token: string | undefined, maxSockets = 8): ConnectionSettings {
  const url = String(s.url).trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the server URL "${url}" is not a URL: write it as http://host:8181 or https://host`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`the server URL must start with http:// or https://, not ${parsed.protocol}`);
  let headers: Record<string, string> = {};
  if (String(s.headers).trim() !== '') {
    try {
      headers = JSON.parse(s.headers) as Record<string, string>;
    } catch (e) {
      throw new Error(`extra headers must be a JSON object such as {"X-Site":"plant-1"}: ${errorMessage(e)}`, {
        cause: e,
      });
    }
    if (
      headers === null ||
      typeof headers !== 'object' ||
      Array.isArray(headers) ||
      Object.values(headers).some((v) => typeof v !== 'string')
    ) {
      throw new Error('extra headers must be a JSON object of strings, such as {"X-Site":"plant-1"}');
    }
    if (Object.keys(headers).some((k) => k.toLowerCase() === 'authorization'))
      throw new Error('put the token in the Token field, not in extra headers: headers are not kept secret');
  }
  return {
    url: url.replace(/\/$/, ''),
    token: token || undefined,
    timeoutMs: s.timeout * 1000,
    gzipThreshold: s.gzipThreshold,
    headers,
    ca: String(s.ca).trim() || undefined,
    rejectUnauthorized: !s.allowSelfSigned,
    maxSockets,
  };
}
