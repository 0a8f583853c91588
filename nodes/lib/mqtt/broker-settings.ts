// telemetry-mqtt-broker's settings -> MQTT.js connect options, checked when the node starts so a
// wrong URL, a missing certificate file or a persistent session without a client id is a clear
// error rather than a silent reconnect loop.

import fs from 'node:fs';
import type { IClientOptions } from 'mqtt';

/** A telemetry-mqtt-broker node's settings, as its declaration reads them (nodes/telemetry-mqtt-broker/settings.ts). */
export interface BrokerSettings {
  url: string;
  protocol: '4' | '5';
  clientId: string;
  persistentSession: boolean;
  sessionExpiry: number;
  keepalive: number;
  verifyServer: boolean;
  ca: string;
  cert: string;
}

export interface BrokerCredentials {
  user?: string;
  password?: string;
  key?: string;
  passphrase?: string;
}

/** MQTT.js hands these on to tls.connect, passphrase included (its types leave it out). */
export type ClientOptions = IClientOptions & { passphrase?: string };

export interface ConnectOptions {
  url: string;
  options: ClientOptions;
  /** Why the session is not persistent though it was asked to be (no client id). */
  warning?: string;
}

export function connectOptions(c: BrokerSettings, creds: BrokerCredentials, randomId: () => string): ConnectOptions {
  const url = c.url.trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Broker URL "${url}" is not a URL: use mqtt://host:1883 or mqtts://host:8883`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (!['mqtt', 'mqtts', 'ws', 'wss'].includes(scheme))
    throw new Error(`Broker URL: "${scheme}" is not mqtt, mqtts, ws or wss`);
  const protocolVersion = Number(c.protocol) as 4 | 5;
  let clientId = c.clientId.trim();
  let warning: string | undefined;
  let clean = !c.persistentSession;
  if (!clientId) {
    clientId = randomId();
    if (!clean) {
      clean = true;
      warning = `no client id is set, so the session cannot persist: messages that arrive while Node-RED is down are lost (set a client id)`;
    }
  }
  const options: ClientOptions = {
    protocolVersion,
    clientId,
    clean,
    keepalive: c.keepalive,
    reconnectPeriod: 2000,
    connectTimeout: 15_000,
    // Node-RED owns the flow of messages: nothing is queued while offline (there is no publishing).
    queueQoSZero: false,
    // The broker node subscribes on every connection itself, to what its subscribers have now.
    resubscribe: false,
  };
  if (protocolVersion === 5 && !clean) {
    options.properties = {
      sessionExpiryInterval: c.sessionExpiry,
    };
  }
  if (creds.user) options.username = creds.user;
  if (creds.password) options.password = creds.password;
  const tls = scheme === 'mqtts' || scheme === 'wss';
  if (tls) {
    options.rejectUnauthorized = c.verifyServer !== false;
    const ca = pem(c.ca, 'CA certificate');
    const cert = pem(c.cert, 'Client certificate');
    const key = pem(creds.key ?? '', 'Client key');
    if (ca) options.ca = ca;
    if (cert || key) {
      if (!cert || !key) throw new Error('Client certificate and key go together: give both, or neither');
      options.cert = cert;
      options.key = key;
      if (creds.passphrase) options.passphrase = creds.passphrase;
    }
  } else if (c.ca.trim() || c.cert.trim() || creds.key) {
    throw new Error(`certificates are set but the URL is ${scheme}://: use mqtts:// (or wss://) for TLS`);
  }
  return { url, options, warning };
}

/** PEM text as given, or the contents of the file a path names. */
function pem(value: string, what: string): string | undefined {
  const v = value.trim();
  if (!v) return undefined;
  if (v.startsWith('-----BEGIN')) return v;
  try {
    return fs.readFileSync(v, 'utf8');
  } catch (e) {
    throw new Error(
      `${what}: cannot read the file "${v}" (${(e as NodeJS.ErrnoException).code ?? String(e)}); paste the PEM text or give a readable path`,
      { cause: e },
    );
  }
}
