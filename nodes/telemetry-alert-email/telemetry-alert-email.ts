// telemetry-alert-email: telemetry-alert events -> grouped alert emails (Alertmanager's grouping),
// through a telemetry-smtp server. An event's message completes (done) when the email that carries
// its alert was accepted by the server, or with an error a Catch node sees when the server refused
// it for good. The outbox and the groups are kept in a file under the user directory, so what was
// taken is mailed or reported, also across a redeploy or a crash. The work around the grouper is
// lib/email/alert-mail-outbox.ts; here are its settings, its state file and the SMTP server.

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { AlertGrouper, GROUPER_DEFAULTS } from '../lib/email/alert-grouper';
import { DEFAULT_TEMPLATES, MailTemplates } from '../lib/email/alert-mail';
import { AlertMailOutbox, OutboxFile } from '../lib/email/alert-mail-outbox';
import { isTokenError } from '../lib/email/oauth2-token-source';
import type { StatusLine } from '../lib/node-io';
import { errorMessage } from '../lib/settings';
import type { Done } from '../runtime/input-callbacks';
import { counted, meterOf } from '../runtime/node-metrics';
import { nodeLog } from '../runtime/node-log';
import type { SmtpConfigNode } from '../runtime/smtp-config-node';
import { nodeStatePath } from '../runtime/state-path';
import { settings } from './settings';

export = function (RED: NodeAPI) {
  function TelemetryAlertEmail(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const stateFile = `${nodeStatePath(RED, 'alert-email', node.id)}.json`;
    let setupError: string | undefined;
    let grouper: AlertGrouper | undefined;
    let smtp: SmtpConfigNode | undefined;
    let recipients: { to: string; cc?: string } = { to: '' };
    let templates: MailTemplates = DEFAULT_TEMPLATES;
    try {
      const c = settings.read(raw);
      templates = {
        subject: c.subject.trim() || DEFAULT_TEMPLATES.subject,
        text: c.text.trim() || DEFAULT_TEMPLATES.text,
        html: c.html.trim() || DEFAULT_TEMPLATES.html,
      };
      smtp = (RED.nodes.getNode(c.smtp) as SmtpConfigNode | null) ?? undefined;
      if (!smtp) throw new Error('no SMTP server selected: open this node and choose or add a telemetry-smtp config');
      if (smtp.settingsError) throw new Error(`the SMTP settings are invalid: ${smtp.settingsError}`);
      recipients = { to: c.to.trim(), cc: c.cc.trim() || undefined };
      grouper = new AlertGrouper({
        groupBy: c.groupBy
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        groupWaitMs: c.groupWaitSec * 1000,
        groupIntervalMs: c.groupIntervalSec * 1000,
        repeatIntervalMs: c.repeatIntervalSec * 1000,
        maxPerHour: c.maxPerHour,
        maxAlerts: GROUPER_DEFAULTS.maxAlerts,
        sendResolved: c.sendResolved,
      });
    } catch (e) {
      setupError = `telemetry-alert-email: ${errorMessage(e)}`;
      node.error(setupError);
      node.status({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    const meter = meterOf(node);
    // Drawn at once, as this node always has: its status changes a few times per email.
    const status: StatusLine = {
      set: (make) => node.status(make()),
      now: (s) => node.status(s),
      stop: () => undefined,
    };
    // An OAuth 2 token that cannot be renewed keeps the email in the outbox (tried again); Catch
    // hears of it once, with the provider's words, until an email goes through again.
    let tokenTrouble: string | undefined;
    const sendMail = (mail: { subject: string; text: string; html: string }) =>
      smtp!.sendMail({ ...recipients, ...mail }).then(
        (info) => ((tokenTrouble = undefined), meter.emailsSent++, info),
        (e: unknown) => {
          meter.emailsFailed++;
          if (isTokenError(e) && errorMessage(e) !== tokenTrouble) {
            tokenTrouble = errorMessage(e);
            node.error(`telemetry-alert-email: ${tokenTrouble} The email stays in the outbox and is tried again.`, {});
          }
          throw e;
        },
      );
    const outbox =
      grouper &&
      smtp &&
      new AlertMailOutbox(grouper, templates, new OutboxFile(stateFile), {
        sendMail: (mail) => sendMail({ subject: mail.subject, text: mail.text, html: mail.html }),
        reportRefusal: (err) => node.error(err.message, {}),
        status,
        log: nodeLog(node, 'telemetry-alert-email'),
      });

    if (outbox) meter.readings.emailsQueued = () => outbox.queued;
    node.on(
      'input',
      counted(meter, (msg: NodeMessageInFlow, _send: unknown, done: Done) => {
        if (!outbox) return done(new Error(setupError));
        const refused = outbox.input(msg.payload, msg._msgid, done);
        if (refused !== undefined) done(new Error(`telemetry-alert-email: ${refused}`));
      }),
    );

    if (outbox) {
      // What the outbox held when Node-RED stopped goes first.
      outbox.start();
      node.on('close', (_removed: boolean, done: () => void) => {
        outbox.close();
        done();
      });
    }
  }

  RED.nodes.registerType('telemetry-alert-email', TelemetryAlertEmail);
};
