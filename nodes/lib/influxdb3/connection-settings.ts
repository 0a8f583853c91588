// The settings of an influxdb3-config node as a checked connection: URL, token, timeout, gzip
// threshold, TLS choices and extra headers, with messages that say what to fix.

import type { ConnectionSettings } from './influxdb3-http';
import { CONFIG_VERSION, errorMessage, numberSetting, withDefaults } from '../settings';

export interface ConfigSettings {
  name: string;
  version: number;
  url: string;
  database: string;
  timeout: number | string;
  gzipThreshold: number | string;
  allowSelfSigned: boolean;
  ca: string;
  headers: string;
}

export const CONFIG_DEFAULTS: ConfigSettings = {
  name: '',
  version: CONFIG_VERSION,
  url: 'http://127.0.0.1:8181',
  database: 'iot-sensors',
  timeout: 10,
  gzipThreshold: 1000,
  allowSelfSigned: false,
  ca: '',
  headers: '',
};

/** The settings as a connection, checked; throws with what to fix. */
export function connectionSettings(
  c: Partial<ConfigSettings>,
  token: string | undefined,
  maxSockets = 8,
): ConnectionSettings {
  const s = withDefaults(c, CONFIG_DEFAULTS);
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
    timeoutMs: numberSetting(s.timeout, 'Timeout (s)', { min: 1, max: 600 }) * 1000,
    gzipThreshold: numberSetting(s.gzipThreshold, 'Gzip threshold (bytes)', { min: 0, integer: true }),
    headers,
    ca: String(s.ca).trim() || undefined,
    rejectUnauthorized: !s.allowSelfSigned,
    maxSockets,
  };
}
