// telemetry-alert-email in the Node-RED runtime against a real SMTP server (smtp-server, mails
// parsed by mailparser), with the grouping times shortened so an afternoon's rules run in seconds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import should from 'should';
import type { AlertEvent } from '../../nodes/lib/alert/alert-engine';
import { eventually } from '../support/eventually';
import { catchNode, collect, completeNode, getNode, helper, onTab } from '../support/flow-helper';
import { SinkOptions, SmtpSink, startSmtpSink } from '../support/smtp-sink';
import emailNode = require('../../nodes/telemetry-alert-email/telemetry-alert-email');
import smtpNode = require('../../nodes/telemetry-smtp/telemetry-smtp');

const nodes = [emailNode, smtpNode, catchNode, completeNode];
const CA = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'support', 'tls', 'ca.pem'), 'utf8');

function event(kind: AlertEvent['event'], series: string, rule = 'temperature high'): AlertEvent {
  const alertId = `${rule}|${series}|temperature`;
  return {
    event: kind,
    alertId,
    episodeId: `${alertId}@2026-11-02T12:00:00.000Z`,
    rule,
    kind: 'threshold',
    severity: 'HIGH',
    series,
    field: 'temperature',
    value: 41.5,
    threshold: 35,
    tags: { device_type: 'temperature', location: 'warehouse_a', floor: '2' },
    startedAt: '2026-11-02T12:00:00.000Z',
    ...(kind === 'resolved' ? { resolvedAt: '2026-11-02T12:20:00.000Z' } : {}),
    at: '2026-11-02T12:00:00.000Z',
  };
}

const fleet = (n: number) => Array.from({ length: n }, (_, i) => `TEMP_${String(i + 1).padStart(3, '0')}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('telemetry-alert-email node', function () {
  this.timeout(30_000);
  let userDir: string;
  let sink: SmtpSink | undefined;
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-email-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    await sink?.stop();
    sink = undefined;
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function load(
    sinkOptions: SinkOptions,
    smtp: Record<string, unknown> = {},
    email: Record<string, unknown> = {},
    creds?: object,
  ) {
    sink = await startSmtpSink(sinkOptions);
    const flow = onTab([
      {
        id: 'smtp',
        type: 'telemetry-smtp',
        host: '127.0.0.1',
        port: sink.port,
        security: 'none',
        from: 'node-red@factory.example',
        ...smtp,
      },
      {
        id: 'm',
        type: 'telemetry-alert-email',
        smtp: 'smtp',
        to: 'ops@factory.example',
        groupWaitSec: 1,
        groupIntervalSec: 1,
        repeatIntervalSec: 3600,
        ...email,
      },
      { id: 'complete', type: 'complete', scope: ['m'], wires: [['completed']] },
      { id: 'completed', type: 'helper' },
      { id: 'catch', type: 'catch', scope: ['m'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    await helper.load(nodes, flow, creds ? { smtp: creds } : undefined);
    return { completed: collect(getNode('completed')), caught: collect(getNode('caught')) };
  }
  const send = (e: AlertEvent) => getNode('m').receive({ payload: e });

  it('an alert storm of 80 devices is one email; repeats are none; the end is one resolved notice', async () => {
    // Waits of 2 s: a burst of 80 messages must fit in one, also on a slow machine.
    const { completed, caught } = await load({ starttls: false }, {}, { groupWaitSec: 2, groupIntervalSec: 2 });
    for (const d of fleet(80)) send(event('firing', d));
    await eventually(() => sink!.mails.length === 1);
    const [storm] = sink!.mails;
    should(storm.parsed.subject).equal('[IoT ALERT] temperature high - TEMP_001 and 79 more');
    should(storm.to).eql(['ops@factory.example']);
    for (const d of fleet(80)) should(storm.parsed.text).containEql(d);
    should(storm.parsed.html).match(/<td>warehouse_a<\/td>/);
    await eventually(() => completed.length === 80);

    for (const d of fleet(80)) send(event('reminder', d));
    await eventually(() => completed.length === 160); // completed at once: the email that carries them went out
    await sleep(2500);
    should(sink!.mails.length).equal(1);

    for (const d of fleet(80)) send(event('resolved', d));
    await eventually(() => sink!.mails.length === 2);
    should(sink!.mails[1].parsed.subject).match(/\(resolved\)$/);
    should(sink!.mails[1].parsed.text).containEql('RESOLVED TEMP_080');
    await eventually(() => completed.length === 240);
    should(caught).eql([]);
  });

  it('keeps a hostile device id out of the headers and the markup', async () => {
    await load({ starttls: false });
    send(event('firing', 'EVIL\r\nBcc: x@example.com\r\n<script>alert(1)</script>'));
    await eventually(() => sink!.mails.length === 1);
    const [mail] = sink!.mails;
    should(mail.to).eql(['ops@factory.example']);
    should(mail.parsed.headers.has('bcc')).be.false();
    should(mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'))).not.match(/^Bcc:/im); // the header section
    should(mail.parsed.subject).not.match(/[\r\n]/);
    should(mail.parsed.html).not.containEql('<script>');
    should(mail.parsed.html).containEql('&lt;script&gt;');
  });

  it('requires STARTTLS when told to: mails through it with the CA, and reports a server that offers none', async () => {
    const ok = await load({ starttls: true }, { security: 'starttls', ca: CA });
    send(event('firing', 'TEMP_001'));
    await eventually(() => sink!.mails.length === 1);
    await eventually(() => ok.completed.length === 1);
    await helper.unload();
    await sink!.stop();
    // A new server and an empty outbox: this alert was mailed above.
    fs.rmSync(path.join(userDir, 'influxdb3-pipeline'), { recursive: true, force: true });

    const refused = await load({ starttls: false }, { security: 'starttls', ca: CA });
    send(event('firing', 'TEMP_001'));
    await eventually(() => refused.caught.length === 1);
    should(refused.caught[0].error.message).match(/refused the email: .*STARTTLS/i);
    should(sink!.mails).eql([]);
  });

  it('speaks implicit TLS, with the CA', async () => {
    const { completed } = await load({ secure: true }, { security: 'tls', ca: CA });
    send(event('firing', 'TEMP_001'));
    await eventually(() => sink!.mails.length === 1);
    await eventually(() => completed.length === 1);
  });

  it("reports a refused login (535) through Catch with the server's answer, the password in nothing it says", async () => {
    const { caught } = await load(
      { starttls: false, auth: { user: 'alerts', pass: 'right' } },
      {},
      {},
      { user: 'alerts', password: 'wrong-secret' },
    );
    send(event('firing', 'TEMP_001'));
    await eventually(() => caught.length === 1);
    const message = caught[0].error.message as string;
    should(message).match(/535/);
    should(message).not.containEql('wrong-secret');
  });

  it('logs in with the credentials it was given', async () => {
    const { completed } = await load(
      { starttls: false, auth: { user: 'alerts', pass: 'right' } },
      {},
      {},
      { user: 'alerts', password: 'right' },
    );
    send(event('firing', 'TEMP_001'));
    await eventually(() => completed.length === 1);
    should(sink!.mails.length).equal(1);
  });

  it('retries after a 421 and then mails once', async () => {
    const { completed, caught } = await load({ starttls: false });
    sink!.failNext(1, 421);
    send(event('firing', 'TEMP_001'));
    await eventually(() => completed.length === 1);
    should(sink!.mails.length).equal(1);
    should(caught).eql([]);
  });

  it('mails what its outbox held after a restart, once', async () => {
    // The server is away: the email waits in the outbox, retried.
    await load({ starttls: false });
    const port = sink!.port;
    await sink!.stop();
    send(event('firing', 'TEMP_001'));
    send(event('firing', 'TEMP_002'));
    const file = path.join(userDir, 'influxdb3-pipeline', 'alert-email-m.json');
    const outbox = () => (JSON.parse(fs.readFileSync(file, 'utf8')) as { sending: unknown[] }).sending.length;
    // One email for both, or two when the second event came after the first was handed out (a
    // slow machine): either way, each email of the outbox is sent once after the restart.
    await eventually(() => fs.existsSync(file) && outbox() >= 1);
    await sleep(300);
    await helper.unload();
    const held = outbox();
    should(held >= 1 && held <= 2).be.true(`${held} emails in the outbox`);

    // Node-RED starts again, the server is back on the same port.
    sink = await startSmtpSink({ port, starttls: false });
    await helper.load(
      nodes,
      onTab([
        {
          id: 'smtp',
          type: 'telemetry-smtp',
          host: '127.0.0.1',
          port,
          security: 'none',
          from: 'node-red@factory.example',
        },
        {
          id: 'm',
          type: 'telemetry-alert-email',
          smtp: 'smtp',
          to: 'ops@factory.example',
          groupWaitSec: 0.3,
          groupIntervalSec: 1,
        },
      ]),
    );
    await eventually(() => sink!.mails.length === held);
    await sleep(1500);
    should(sink.mails.length).equal(held);
    const mailed = sink.mails.flatMap((m) => (String(m.parsed.text).match(/TEMP_\d+/g) ?? []) as string[]);
    // A group's email lists every alert firing in it: the second, if any, lists both.
    should([...new Set(mailed)].sort()).eql(['TEMP_001', 'TEMP_002']);
  });

  it('refuses a payload that is not an alert event', async () => {
    const { caught } = await load({ starttls: false });
    getNode('m').receive({ payload: { temperature: 40 } });
    await eventually(() => caught.length === 1);
    should(caught[0].error.message).match(/not an alert event/);
  });
});
