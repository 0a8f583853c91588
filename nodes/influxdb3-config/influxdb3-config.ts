// influxdb3-config: one shared, authenticated connection to an InfluxDB 3 server. The token lives
// in Node-RED's credentials only. Every node that uses the config shares one HTTP writer and one
// @influxdata/influxdb3-client (for queries), opened by the first user and closed when the last
// lets go (the pattern of Node-RED's mqtt-broker). The editor's "Test connection" button calls an
// admin endpoint of the pack that pings the server with the settings in the dialog.

import type { InfluxDBClient } from '@influxdata/influxdb3-client';
import type { NodeAPI, NodeDef } from 'node-red';
import { connectionSettings } from '../lib/influxdb3/connection-settings';
import { ConnectionSettings, InfluxDB3Http } from '../lib/influxdb3/influxdb3-http';
import { errorMessage } from '../lib/settings';
import { credentials, settings } from './settings';
import type { InfluxDB3ConfigNode } from '../runtime/influxdb3-config-node';
import { withEnvironment } from '../runtime/environment';

type ClientModule = typeof import('@influxdata/influxdb3-client');

interface Credentials {
  token?: string;
}

export = function (RED: NodeAPI) {
  function InfluxDB3Config(this: InfluxDB3ConfigNode & { credentials: Credentials }, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    let c = settings.defaults();
    try {
      c = settings.read(raw);
      connectionSettings(c, node.credentials?.token);
    } catch (e) {
      node.settingsError = errorMessage(e);
    }
    node.database = c.database.trim();
    let http: InfluxDB3Http | undefined;
    let httpUsers = 0;
    let client: InfluxDBClient | undefined;
    let clientUsers = 0;

    node.connection = (maxSockets = 8) => connectionSettings(c, node.credentials?.token, maxSockets);
    node.acquireHttp = () => {
      http ??= new InfluxDB3Http(node.connection(16));
      httpUsers++;
      return http;
    };
    node.releaseHttp = () => {
      if (--httpUsers > 0 || !http) return;
      http.close();
      http = undefined;
    };
    node.acquireClient = () => {
      if (!client) {
        const s = node.connection();
        // Loaded on first use: only the query node needs the client and its gRPC stack.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { InfluxDBClient } = require('@influxdata/influxdb3-client') as ClientModule;
        // The client refuses to start without a token; a server without authentication (InfluxDB 3
        // started with --without-auth, npm start's test server) takes '', for which it sends none.
        client = new InfluxDBClient({
          host: s.url,
          token: s.token ?? '',
          database: node.database,
          queryTimeout: s.timeoutMs,
          headers: s.headers,
          grpcOptions: flightTlsOptions(s),
        });
      }
      clientUsers++;
      return client;
    };
    node.releaseClient = async () => {
      if (--clientUsers > 0 || !client) return;
      const c = client;
      client = undefined;
      await c.close().catch(() => undefined);
    };
    node.on('close', (done: () => void) => {
      http?.close();
      http = undefined;
      const c = client;
      client = undefined;
      if (c) c.close().then(done, done);
      else done();
    });
  }

  /** The client (2.1.0) opens its Flight channel with the system's CAs and no way to pass others:
   *  with a custom CA or self-signed certificates allowed, it gets a channel made here instead,
   *  through @grpc/grpc-js's channelOverride client option. */
  function flightTlsOptions(s: ConnectionSettings): Record<string, unknown> | undefined {
    const url = new URL(s.url);
    if (url.protocol !== 'https:' || (!s.ca && s.rejectUnauthorized)) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for custom TLS
    const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
    const credentials = grpc.credentials.createSsl(s.ca ? Buffer.from(s.ca) : null, null, null, {
      rejectUnauthorized: s.rejectUnauthorized,
    });
    return { channelOverride: new grpc.Channel(`${url.hostname}:${url.port || 443}`, credentials, {}) };
  }

  RED.nodes.registerType('influxdb3-config', InfluxDB3Config as never, {
    credentials,
  });

  // Test connection: the dialog's settings, and the stored token of this config node when the
  // token field was left unchanged (the editor never receives the token back). A URL, CA or headers
  // field that is ${NAME} is replaced as Node-RED does at deploy (the example flow's URL is
  // ${INFLUXDB3_URL}): from the deployed node's flow and global environment, else the process's.
  RED.httpAdmin.post(
    '/influxdb3-pipeline/test-connection',
    RED.auth.needsPermission('influxdb3-config.write'),
    (req, res) => {
      const body = { ...((req.body ?? {}) as Record<string, unknown> & { id?: string; token?: string }) };
      let token = typeof body.token === 'string' && body.token !== '__PWRD__' ? body.token : undefined;
      if (token === undefined && typeof body.id === 'string')
        token = (RED.nodes.getCredentials(body.id) as Credentials | undefined)?.token;
      const deployed = typeof body.id === 'string' ? RED.nodes.getNode(body.id) : null;
      for (const key of ['url', 'ca', 'headers'] as const)
        if (body[key] !== undefined) body[key] = withEnvironment(RED, deployed, body[key]);
      let http: InfluxDB3Http | undefined;
      try {
        http = new InfluxDB3Http(connectionSettings(settings.read(body), token, 1));
      } catch (e) {
        res.json({ ok: false, error: errorMessage(e) });
        return;
      }
      http
        .ping()
        .then(
          (v) => res.json({ ok: true, version: v.version, build: v.build }),
          (e) => res.json({ ok: false, error: errorMessage(e) }),
        )
        .finally(() => http?.close());
    },
  );
};
