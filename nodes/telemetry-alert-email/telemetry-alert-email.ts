// telemetry-alert-email: telemetry-alert events -> grouped alert emails (Alertmanager's grouping),
// through a telemetry-smtp server. An event's message completes (done) when the email that carries
// its alert was accepted by the server, or with an error a Catch node sees when the server refused
// it for good. The outbox and the groups are kept in a file under the user directory, so what was
// taken is mailed or reported, also across a redeploy or a crash.

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { isAlertEvent } from '../lib/alert/alert-event-lines';
import { readFileIfExists, writeFileAtomic } from '../lib/atomic-file';
import { AlertGrouper, GROUPER_DEFAULTS, Notification } from '../lib/email/alert-grouper';
import { DEFAULT_TEMPLATES, MailTemplates, renderMail } from '../lib/email/alert-mail';
import { classifyFailure } from '../lib/email/delivery-errors';
import { errorMessage } from '../lib/settings';
import type { SmtpConfigNode } from '../runtime/smtp-config-node';
import { retryDelayMs } from '../lib/retry-delay';
import { shownText } from '../lib/shown-text';
import type { Done } from '../runtime/input-callbacks';
import { nodeStatePath } from '../runtime/state-path';
import { settings } from './settings';

const MAX_BACKOFF_MS = 60_000;
/** How long the events taken may wait to be saved together. */
const TAKE_SAVE_MS = 100;

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

    const waiting = new Map<string, { done: Done }>();
    let seq = 0;
    let sent = 0;
    let failing: string | undefined;
    const showStatus = () => {
      if (!grouper) return;
      const queued = grouper.pending + grouper.outbox().length;
      if (failing) node.status({ fill: 'red', shape: 'ring', text: shownText(`failing: ${failing}`, 40) });
      else
        node.status({
          fill: queued ? 'yellow' : 'green',
          shape: 'dot',
          text: queued ? `${queued} queued, ${sent} sent` : `${sent} sent`,
        });
    };
    // The events taken are saved together within TAKE_SAVE_MS, without fsync: a storm of thousands
    // would otherwise write the whole outbox once per event (and flush the disk each time). A crash
    // loses at most the events of that last moment, whose messages have not completed; every email
    // handed out is saved, with fsync, before it is sent.
    let saveTimer: NodeJS.Timeout | undefined;
    const saveSoon = () => {
      saveTimer ??= setTimeout(() => {
        saveTimer = undefined;
        save(false);
      }, TAKE_SAVE_MS);
    };
    const save = (fsync = true) => {
      if (!grouper) return;
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = undefined;
      try {
        writeFileAtomic(stateFile, JSON.stringify(grouper.save()), { fsync });
      } catch (e) {
        node.error(`telemetry-alert-email: could not save the outbox to ${stateFile}: ${errorMessage(e)}`);
      }
    };
    const complete = (tokens: string[], err?: Error) => {
      for (const t of tokens) {
        waiting.get(t)?.done(err);
        waiting.delete(t);
      }
    };

    if (grouper) {
      try {
        const text = readFileIfExists(stateFile);
        if (text !== undefined) grouper.restore(JSON.parse(text));
      } catch (e) {
        node.warn(
          `telemetry-alert-email: the saved outbox in ${stateFile} cannot be read (${errorMessage(e)}); starting afresh`,
        );
      }
    }

    // Delivery: one email at a time, in order; transient failures retried with backoff.
    const queue: Notification[] = grouper ? grouper.outbox() : [];
    let delivering = false;
    let closed = false;
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    const deliverNext = (attempt = 0) => {
      if (closed || delivering || queue.length === 0 || !grouper || !smtp) return;
      delivering = true;
      const n = queue[0];
      const mail = renderMail(n, templates);
      smtp.sendMail({ ...recipients, subject: mail.subject, text: mail.text, html: mail.html }).then(
        () => {
          delivering = false;
          queue.shift();
          failing = undefined;
          sent++;
          complete(grouper.settle(n.id));
          save();
          showStatus();
          deliverNext();
        },
        (e: unknown) => {
          delivering = false;
          const why = classifyFailure(e);
          if (why.permanent) {
            queue.shift();
            failing = why.reason;
            const err = new Error(`telemetry-alert-email: the SMTP server refused the email: ${why.reason}`);
            const tokens = grouper.settle(n.id);
            save();
            // Catch sees it on every message the email carried, or once when none is left (a
            // restart, or an email of reminders).
            if (tokens.some((t) => waiting.has(t))) complete(tokens, err);
            else node.error(err.message, {});
            showStatus();
            deliverNext();
            return;
          }
          failing = `retrying: ${why.reason}`;
          showStatus();
          later(retryDelayMs(attempt + 1, 1000, MAX_BACKOFF_MS), () => deliverNext(attempt + 1));
        },
      );
    };

    // take() runs when the next group is due, not on a polling timer.
    let wake: NodeJS.Timeout | undefined;
    const pump = () => {
      if (!grouper || closed) return;
      const now = Date.now();
      const due = grouper.take(now);
      if (due.length > 0) {
        save();
        queue.push(...due);
        showStatus();
      }
      deliverNext();
      if (wake) clearTimeout(wake);
      wake = undefined;
      const next = grouper.nextDueAt();
      // At most a minute: a timer of hours (the repeat interval) would outlive clock changes.
      if (next !== undefined && Number.isFinite(next))
        wake = setTimeout(pump, Math.min(60_000, Math.max(0, next - now)));
    };

    node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: Done) => {
      if (!grouper) return done(new Error(setupError));
      if (!isAlertEvent(msg.payload)) {
        return done(
          new Error('telemetry-alert-email: msg.payload is not an alert event (wire it from a telemetry-alert node)'),
        );
      }
      const token = `${msg._msgid}:${++seq}`;
      waiting.set(token, { done });
      let now: string[];
      try {
        now = grouper.add(msg.payload, token, Date.now());
      } catch (e) {
        waiting.delete(token);
        return done(new Error(`telemetry-alert-email: ${errorMessage(e)}`));
      }
      saveSoon();
      complete(now);
      showStatus();
      pump();
    });

    if (grouper) {
      showStatus();
      // What the outbox held when Node-RED stopped goes first.
      pump();
      node.on('close', (_removed: boolean, done: () => void) => {
        closed = true;
        if (wake) clearTimeout(wake);
        for (const t of timers) clearTimeout(t);
        save();
        done();
      });
    }
  }

  RED.nodes.registerType('telemetry-alert-email', TelemetryAlertEmail);
};
