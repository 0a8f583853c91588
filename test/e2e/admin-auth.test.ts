// The pack's admin endpoints (Test connection, Send test email, the metrics) behind Node-RED's adminAuth, as Node-RED's own admin
// endpoints are: refused without a login, refused for a read-only user, answered for a user who may
// change config nodes.
import should from 'should';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { parsePrometheusText } from '../support/prometheus-text';

const SCRAPER_TOKEN = 'scrape-me-0123456789';

describe("end to end: Test connection is protected like Node-RED's admin endpoints", function () {
  this.timeout(60_000);
  let nr: NodeRedInstance;
  let influx: InfluxDB3Server;
  let sink: SmtpSink;

  before(async () => {
    influx = await startInfluxDB3();
    sink = await startSmtpSink({ starttls: false, auth: { user: 'alerts', pass: 'pw' } });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bcrypt = require('bcryptjs') as { hashSync(s: string, rounds: number): string };
    const password = bcrypt.hashSync('pw', 4);
    nr = await startNodeRed({
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'admin', password, permissions: '*' },
          { username: 'viewer', password, permissions: 'read' },
        ],
        // A scraper's static token, as settings.js can accept one (Node-RED's adminAuth.tokens).
        tokens: (token: string) =>
          Promise.resolve(token === SCRAPER_TOKEN ? { username: 'prometheus', permissions: 'read' } : null),
      },
    });
  });
  after(async () => {
    await nr?.stop();
    await influx?.stop();
    await sink?.stop();
  });

  const login = async (username: string) => {
    const res = await fetch(`${nr.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'node-red-editor',
        grant_type: 'password',
        scope: username === 'admin' ? '*' : 'read',
        username,
        password: 'pw',
      }),
    });
    should(res.status).equal(200, `login as ${username}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const testConnection = (token?: string) =>
    fetch(`${nr.url}/influxdb3-pipeline/test-connection`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ url: influx.url }),
    });

  it('answers 401 without a login, 401 for a read-only user, and the version for an admin', async () => {
    should((await testConnection()).status).equal(401);
    should((await testConnection(await login('viewer'))).status).equal(401);
    const res = await testConnection(await login('admin'));
    should(res.status).equal(200);
    should((await res.json()).ok).eql(true);
  });

  it("sends a test email for an admin, with the server's answer, and says why when the login is refused", async () => {
    const testEmail = (token: string | undefined, password: string) =>
      fetch(`${nr.url}/influxdb3-pipeline/smtp-test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({
          host: '127.0.0.1',
          port: sink.port,
          security: 'none',
          from: 'node-red@factory.example',
          user: 'alerts',
          password,
          to: 'ops@factory.example',
        }),
      });
    should((await testEmail(undefined, 'pw')).status).equal(401);
    should((await testEmail(await login('viewer'), 'pw')).status).equal(401);
    const admin = await login('admin');
    const ok = (await (await testEmail(admin, 'pw')).json()) as { ok: boolean; response: string };
    should(ok).match({ ok: true, response: /^250/ });
    should(sink.mails.map((m) => m.to)).eql([['ops@factory.example']]);
    const refused = (await (await testEmail(admin, 'nope')).json()) as { ok: boolean; error: string };
    should(refused.ok).be.false();
    should(refused.error).match(/535/);
  });

  it('serves the pipeline metrics to a token Node-RED accepts (a read-only user, a scraper), and 401 without one', async () => {
    const metrics = (token?: string) =>
      fetch(`${nr.url}/influxdb3-pipeline/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    should((await metrics()).status).equal(401);
    should((await metrics('not-a-token')).status).equal(401);
    for (const token of [SCRAPER_TOKEN, await login('viewer')]) {
      const res = await metrics(token);
      should(res.status).equal(200);
      should(res.headers.get('content-type')).match(/^text\/plain;.*version=0\.0\.4/);
      should(parsePrometheusText(await res.text()).types.get('telemetry_messages_in_total')).equal('counter');
    }
  });
});
