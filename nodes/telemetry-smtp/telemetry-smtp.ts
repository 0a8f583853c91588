// telemetry-smtp: one SMTP server for the pack's email nodes, with the security chosen explicitly
// (implicit TLS, STARTTLS required, or none), user and password, a static OAuth 2 access token, or
// OAuth 2 tokens renewed from a refresh token, client credentials or a Google service account
// (lib/email/oauth2-token-source.ts), the secrets in Node-RED's credentials only, a custom CA or
// self-signed certificates by explicit choice, and pooled connections. A refresh token the provider
// rotates goes back into Node-RED's credentials (RED.nodes.addCredentials): used at once and across
// redeploys, and written to flows_cred.json at the next deploy (Node-RED writes that file only
// then). The editor's "Send test email" button calls an admin endpoint of the pack.

import type { NodeAPI, NodeDef } from 'node-red';
import nodemailer, { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { tokenSourceFor } from '../lib/email/smtp-auth';
import { SmtpCredentials, transportOptions } from '../lib/email/smtp-settings';
import { errorMessage } from '../lib/settings';
import type { SmtpConfigNode } from '../runtime/smtp-config-node';
import { withEnvironment } from '../runtime/environment';
import { credentials, settings } from './settings';

export = function (RED: NodeAPI) {
  function TelemetrySmtp(this: SmtpConfigNode & { credentials: SmtpCredentials }, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    node.from = '';
    let options: ReturnType<typeof transportOptions> | undefined;
    try {
      const c = settings.read(raw);
      node.from = c.from.trim();
      const creds = node.credentials ?? {};
      node.oauth2 = tokenSourceFor(c, creds, (token) => keepRefreshToken(node.id, token));
      options = transportOptions(c, creds, node.oauth2?.provisionCallback);
    } catch (e) {
      node.settingsError = errorMessage(e);
    }
    let transport: Transporter | undefined;
    node.sendMail = async (mail) => {
      if (!options || node.settingsError) throw new Error(`the SMTP settings are invalid: ${node.settingsError}`);
      const send = async () => {
        transport ??= nodemailer.createTransport(options);
        return (await transport.sendMail({ from: node.from, ...mail })) as { response: string; messageId: string };
      };
      const reset = () => {
        transport?.close();
        transport = undefined;
      };
      return node.oauth2 ? node.oauth2.sendRenewingOnce(send, reset) : send();
    };
    node.on('close', (_removed: boolean, done: () => void) => {
      transport?.close();
      transport = undefined;
      done();
    });
  }

  /** A rotated refresh token, into Node-RED's credentials of the node: a new object, so Node-RED
   *  sees the change and writes it at the next deploy. */
  function keepRefreshToken(id: string, refreshToken: string): void {
    const kept = (RED.nodes.getCredentials(id) as SmtpCredentials | undefined) ?? {};
    // A promise in Node-RED 4: a failure is logged, never left unhandled.
    Promise.resolve(RED.nodes.addCredentials(id, { ...kept, refreshToken })).catch((e: unknown) =>
      RED.log.warn(`telemetry-smtp: could not keep the rotated refresh token: ${errorMessage(e)}`),
    );
  }

  RED.nodes.registerType('telemetry-smtp', TelemetrySmtp as never, { credentials });

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
      clientSecret: secret(body.clientSecret, stored?.clientSecret),
      refreshToken: secret(body.refreshToken, stored?.refreshToken),
      privateKey: secret(body.privateKey, stored?.privateKey),
    };
    const deployed = typeof body.id === 'string' ? RED.nodes.getNode(body.id) : null;
    for (const key of ['host', 'port', 'ca'] as const)
      if (body[key] !== undefined) body[key] = withEnvironment(RED, deployed, body[key]);
    let transport: Transporter | undefined;
    try {
      const to = String(body.to ?? '').trim();
      if (!to) throw new Error('name a recipient for the test email');
      const c = settings.read(body);
      // The deployed node's login when the dialog has not changed it: one refresh token, rotated
      // in one place. Else a stored refresh token the provider rotates is still kept.
      const node = deployed as SmtpConfigNode | null;
      const keep =
        typeof body.id === 'string' && creds.refreshToken === stored?.refreshToken
          ? (token: string) => {
              keepRefreshToken(body.id!, token);
              node?.oauth2?.setRefreshToken(token);
            }
          : undefined;
      const asked = tokenSourceFor(c, creds, keep);
      const oauth2 = asked && node?.oauth2?.sameLogin(asked) ? node.oauth2 : asked;
      transport = nodemailer.createTransport({
        ...transportOptions(c, creds, oauth2?.provisionCallback),
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
