// The secrets as a real Node-RED keeps them (the InfluxDB 3 token; the SMTP password below): deployed through the Admin API as the editor does, used
// for writes and queries (and refused when wrong), then searched for in every file of the user
// directory, every log line at trace level, every status, every message between nodes and what
// the Admin API gives back to the editor. It may only live, encrypted, in flows_cred.json.
import should from 'should';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from '../support/eventually';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';
import { startSmtpSink } from '../support/smtp-sink';

const TOKEN = 'apiv3_e2e-S3CRET-token-7f3a9c';
const WRONG = 'apiv3_e2e-WRONG-token-51b2d0';

/** Every file Node-RED wrote (the link to this pack in its node_modules is not followed). */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : [],
    );
}

describe('end to end: the token stays a secret in a real Node-RED', function () {
  this.timeout(60_000);
  let nr: NodeRedInstance;
  let influx: InfluxDB3Server;
  const logs: unknown[] = [];
  const statuses: unknown[] = [];
  const messages: unknown[] = [];

  before(async () => {
    influx = await startInfluxDB3({ token: TOKEN });
    nr = await startNodeRed({
      logging: {
        console: { level: process.env.NODE_RED_LOG ?? 'warn' },
        capture: { level: 'trace', audit: true, metrics: false, handler: () => (entry: unknown) => logs.push(entry) },
      },
    });
    nr.RED.events.on('node-status', (e: unknown) => statuses.push(e));
    nr.RED.hooks.add('onSend.secrecy', (events: { msg: unknown }[]) => {
      for (const e of events) messages.push(JSON.parse(JSON.stringify(e.msg)));
    });
  });
  /** No secret in any file of the user directory, the log, a status, a message, or the other places. */
  const assertNowhere = (secrets: string[], places: Record<string, unknown>) => {
    const text = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x));
    const files = filesUnder(nr.userDir);
    for (const secret of secrets) {
      for (const f of files)
        should(!fs.readFileSync(f).includes(secret)).be.true(`${path.relative(nr.userDir, f)} holds a secret`);
      for (const [where, what] of Object.entries({ logs, statuses, messages, ...places }))
        should(!text(what).includes(secret)).be.true(`${where} hold a secret`);
    }
  };
  after(async () => {
    nr?.RED.hooks.remove('onSend.secrecy');
    await nr?.stop();
    await influx?.stop();
  });

  it('writes and queries with the token, and it appears nowhere but encrypted in flows_cred.json', async () => {
    const tab = 'secrecytab000001';
    const node = (o: object) => ({ z: tab, x: 100, y: 100, ...o });
    await nr.deploy([
      { id: tab, type: 'tab', label: 'secrecy' },
      {
        id: 'cfgright00000001',
        type: 'influxdb3-config',
        url: influx.url,
        database: 'plant',
        credentials: { token: TOKEN },
      },
      {
        id: 'cfgwrong00000001',
        type: 'influxdb3-config',
        url: influx.url,
        database: 'plant',
        credentials: { token: WRONG },
      },
      node({
        id: 'injwrite00000001',
        type: 'inject',
        props: [{ p: 'payload' }],
        payload: 'iot_sensors,device_id=S1 temperature=21.5 1795342500000000000',
        payloadType: 'str',
        wires: [['writeright000001', 'writewrong000001']],
      }),
      node({
        id: 'writeright000001',
        type: 'influxdb3-write',
        server: 'cfgright00000001',
        wires: [['sink000000000001'], ['sink000000000001']],
      }),
      node({
        id: 'writewrong000001',
        type: 'influxdb3-write',
        server: 'cfgwrong00000001',
        wires: [['sink000000000001'], ['sink000000000001']],
      }),
      node({ id: 'injquery00000001', type: 'inject', props: [], wires: [['query00000000001']] }),
      node({
        id: 'query00000000001',
        type: 'influxdb3-query',
        server: 'cfgright00000001',
        query: 'SELECT device_id FROM iot_sensors',
        wires: [['sink000000000001']],
      }),
      node({ id: 'sink000000000001', type: 'debug', active: true, tosidebar: true, complete: 'true' }),
    ]);
    should((await nr.api('POST', '/inject/injwrite00000001')).status).equal(200);
    const text = (x: unknown) => JSON.stringify(x);
    await eventually(
      () =>
        messages.some((m) => text(m).includes('"topic":"written"')) &&
        messages.some((m) => text(m).includes('"topic":"rejected"')),
      'one write written, one refused',
    );
    should((await nr.api('POST', '/inject/injquery00000001')).status).equal(200);
    await eventually(() => messages.some((m) => text(m).includes('"device_id":"S1"')), 'the query rows');
    const tested = await nr.api('POST', '/influxdb3-pipeline/test-connection', {
      id: 'cfgright00000001',
      url: influx.url,
      token: '__PWRD__',
    });
    should(tested.json().ok).equal(true, tested.body);

    // What the editor gets back.
    const flows = await nr.api('GET', '/flows');
    const creds = await nr.api('GET', '/credentials/influxdb3-config/cfgright00000001');
    should(creds.json()).eql({ has_token: true });
    // Positive controls: each place searched really holds what this run produced.
    await eventually(
      () =>
        statuses.some((s) => /connected · 1 written/.test(text(s))) &&
        statuses.some((s) => /"error · 0 written"/.test(text(s))),
      `both write statuses: ${text(statuses)}`,
    );
    await eventually(
      () => logs.some((l) => /refused 1 line\(s\).*\(401\)/.test(text(l))),
      'the refused write in the log',
    );
    const files = filesUnder(nr.userDir);
    should(files.some((f) => path.basename(f) === 'flows.json')).be.true('the flow file is searched');
    const credFile = files.find((f) => path.basename(f) === 'flows_cred.json');
    should(Boolean(credFile && fs.readFileSync(credFile, 'utf8').includes('"$":'))).be.true(
      'credentials stored encrypted',
    );

    assertNowhere([TOKEN, WRONG], {
      'GET /flows': flows.body,
      'GET /credentials': creds.body,
      'test connection': tested.body,
    });
  });

  it('mails with the SMTP password, refused with a wrong one, and neither appears but encrypted in flows_cred.json', async () => {
    const PASS = 'smtp-S3CRET-pass-0c41';
    const BAD = 'smtp-WRONG-pass-77e2';
    const sink = await startSmtpSink({ starttls: false, auth: { user: 'alerts', pass: PASS } });
    try {
      const tab = 'mailsecrecytab01';
      const node = (o: object) => ({ z: tab, x: 100, y: 100, ...o });
      const smtp = (id: string, password: string) => ({
        id,
        type: 'telemetry-smtp',
        host: '127.0.0.1',
        port: sink.port,
        security: 'none',
        from: 'node-red@factory.example',
        credentials: { user: 'alerts', password },
      });
      const alert = {
        event: 'firing',
        alertId: 'hot|TEMP_001|temperature',
        episodeId: 'hot|TEMP_001|temperature@2026-11-02T12:00:00.000Z',
        rule: 'hot',
        kind: 'threshold',
        severity: 'HIGH',
        series: 'TEMP_001',
        field: 'temperature',
        value: 41,
        threshold: 35,
        tags: {},
        startedAt: '2026-11-02T12:00:00.000Z',
        at: '2026-11-02T12:00:00.000Z',
      };
      const email = (id: string, server: string) =>
        node({ id, type: 'telemetry-alert-email', smtp: server, to: 'ops@factory.example', groupWaitSec: 0.1 });
      await nr.deploy([
        { id: tab, type: 'tab', label: 'mail secrecy' },
        smtp('smtpright0000001', PASS),
        smtp('smtpwrong0000001', BAD),
        node({
          id: 'injalert00000001',
          type: 'inject',
          props: [{ p: 'payload' }],
          payload: JSON.stringify(alert),
          payloadType: 'json',
          wires: [['mailright0000001', 'mailwrong0000001']],
        }),
        email('mailright0000001', 'smtpright0000001'),
        email('mailwrong0000001', 'smtpwrong0000001'),
        node({ id: 'catchmail0000001', type: 'catch', scope: ['mailwrong0000001'], wires: [['sinkmail00000001']] }),
        node({ id: 'sinkmail00000001', type: 'debug', active: true, tosidebar: true, complete: 'true' }),
      ]);
      should((await nr.api('POST', '/inject/injalert00000001')).status).equal(200);
      const text = (x: unknown) => JSON.stringify(x);
      // Positive controls: the good password mailed, the bad one was refused and said so.
      await eventually(() => sink.mails.length === 1, 'the email sent with the right password');
      await eventually(() => messages.some((m) => /535/.test(text(m))), 'the refused login, caught');
      const tested = await nr.api('POST', '/influxdb3-pipeline/smtp-test', {
        id: 'smtpwrong0000001',
        host: '127.0.0.1',
        port: sink.port,
        security: 'none',
        from: 'node-red@factory.example',
        user: 'alerts',
        password: '__PWRD__',
        to: 'ops@factory.example',
      });
      should(tested.json()).match({ ok: false, error: /535/ });
      const flows = await nr.api('GET', '/flows');
      const creds = await nr.api('GET', '/credentials/telemetry-smtp/smtpright0000001');
      should(creds.json()).match({ user: 'alerts', has_password: true });
      assertNowhere([PASS, BAD], {
        'GET /flows': flows.body,
        'GET /credentials': creds.body,
        'test email': tested.body,
        'the email': sink.mails[0].raw,
      });
    } finally {
      await sink.stop();
    }
  });
});
