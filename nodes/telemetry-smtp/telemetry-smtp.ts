// telemetry-smtp: one SMTP server for the pack's email nodes, with the security chosen explicitly
// (implicit TLS, STARTTLS required, or none), user and password or an OAuth 2 access token in
// Node-RED's credentials only, a custom CA or self-signed certificates by explicit choice, and
// pooled connections. The editor's "Send test email" button calls an admin endpoint of the pack.

import type { NodeAPI, NodeDef } from 'node-red';
import nodemailer, { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { SmtpCredentials, transportOptions } from '../lib/email/smtp-settings';
import { errorMessage } from '../lib/settings';
import type { SmtpConfigNode } from '../runtime/smtp-config-node';
import { withEnvironment } from '../runtime/environment';
import { settings } from './settings';

export = function (RED: NodeAPI) {
  function TelemetrySmtp(this: SmtpConfigNode & { credentials: SmtpCredentials }, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    node.from = '';
    let options: ReturnType<typeof transportOptions> | undefined;
    try {
      const c = settings.read(raw);
      node.from = c.from.trim();
      options = transportOptions(c, node.credentials ?? {});
    } catch (e) {
      node.settingsError = errorMessage(e);
    }
    let transport: Transporter | undefined;
    node.sendMail = async (mail) => {
      if (!options || node.settingsError) throw new Error(`the SMTP settings are invalid: ${node.settingsError}`);
      transport ??= nodemailer.createTransport(options);
      const info = (await transport.sendMail({ from: node.from, ...mail })) as { response: string; messageId: string };
      return info;
    };
    node.on('close', (_removed: boolean, done: () => void) => {
      transport?.close();
      transport = undefined;
      done();
    });
  }

  RED.nodes.registerType('telemetry-smtp', TelemetrySmtp as never, {
    credentials: { user: { type: 'text' }, password: { type: 'password' }, accessToken: { type: 'password' } },
  });

  // Send test email: the dialog's settings, and the stored secrets of this config node for the
  // secret fields left unchanged (the editor never receives them back). Answers what the server said.
  // A host, port or CA field that is ${NAME} is replaced as Node-RED does at deploy (the examples'
  // host is ${SMTP_HOST}): from the deployed node's environment, else the process's.
  RED.httpAdmin.post('/influxdb3-pipeline/smtp-test', RED.auth.needsPermission('telemetry-smtp.write'), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown> & SmtpCredentials & { id?: string; to?: string };
    const stored =
      typeof body.id === 'string' ? (RED.nodes.getCredentials(body.id) as SmtpCredentials | undefined) : undefined;
    const secret = (v: unknown, kept: string | undefined) => (typeof v === 'string' && v !== '__PWRD__' ? v : kept);
    const creds: SmtpCredentials = {
      user: typeof body.user === 'string' ? body.user : stored?.user,
      password: secret(body.password, stored?.password),
      accessToken: secret(body.accessToken, stored?.accessToken),
    };
    const deployed = typeof body.id === 'string' ? RED.nodes.getNode(body.id) : null;
    for (const key of ['host', 'port', 'ca'] as const)
      if (body[key] !== undefined) body[key] = withEnvironment(RED, deployed, body[key]);
    let transport: Transporter | undefined;
    try {
      const to = String(body.to ?? '').trim();
      if (!to) throw new Error('name a recipient for the test email');
      const c = settings.read(body);
      transport = nodemailer.createTransport({
        ...transportOptions(c, creds),
        pool: false,
      } as SMTPTransport.Options);
      transport
        .sendMail({
          from: c.from.trim(),
          to,
          subject: 'Test email from Node-RED (node-red-contrib-influxdb3-pipeline)',
          text: 'The SMTP settings of this Node-RED work: this email reached the server.',
        })
        .then(
          (info) => res.json({ ok: true, response: info.response ?? '' }),
          (e: unknown) => res.json({ ok: false, error: errorMessage(e) }),
        )
        .finally(() => transport?.close());
    } catch (e) {
      transport?.close();
      res.json({ ok: false, error: errorMessage(e) });
    }
  });
};
