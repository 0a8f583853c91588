// telemetry-alert-email's work around its AlertGrouper: each event's message waits until the email
// that carries its alert was accepted (or refused for good), the emails go out one at a time in
// order with transient failures retried, the groups and the outbox are kept in a state file (read
// back at start, so what was taken is mailed across a redeploy or a crash), and the status.

import { isAlertEvent } from '../alert/alert-event-lines';
import { readFileIfExists, writeFileAtomic } from '../atomic-file';
import { Clock, Log, Status, StatusLine, Timers, systemClock, systemTimers } from '../node-io';
import { retryDelayMs } from '../retry-delay';
import { errorMessage } from '../settings';
import { shownText } from '../shown-text';
import type { AlertGrouper, Notification } from './alert-grouper';
import { MailTemplates, RenderedMail, renderMail } from './alert-mail';
import { classifyFailure } from './delivery-errors';

const LABEL = 'telemetry-alert-email';
/** The longest wait between two tries of one email. */
export const MAX_BACKOFF_MS = 60_000;
/** How long the events taken may wait to be saved together. */
export const TAKE_SAVE_MS = 100;
/** The longest timer to the next due group: one of hours (the repeat interval) would outlive
 *  clock changes. */
const MAX_WAKE_MS = 60_000;

/** A message's completion, as Node-RED's done: with an error when its email was refused. */
export type Done = (err?: Error) => void;

/** Where the groups and the outbox are kept (the text of AlertGrouper.save()). */
export interface OutboxStore {
  /** Where it is kept, as messages name it. */
  readonly where: string;
  /** The saved text; undefined when nothing was saved. */
  read(): string | undefined;
  write(text: string, opts: { fsync: boolean }): void;
}

/** The state file, written atomically. */
export class OutboxFile implements OutboxStore {
  constructor(readonly where: string) {}

  read(): string | undefined {
    return readFileIfExists(this.where);
  }

  write(text: string, opts: { fsync: boolean }): void {
    writeFileAtomic(this.where, text, opts);
  }
}

export interface OutboxIO {
  /** Hands one email to the SMTP server; resolves when the server accepted it. */
  sendMail(mail: RenderedMail): Promise<unknown>;
  /** A refusal that no waiting message carries (after a restart, an email of reminders): the node
   *  reports it where a Catch node sees it. */
  reportRefusal(err: Error): void;
  status: StatusLine;
  log: Log;
}

export class AlertMailOutbox {
  /** The messages whose alerts are not yet mailed, by token. */
  private readonly waiting = new Map<string, Done>();
  /** The emails to send, in order; the first is the one being sent. */
  private readonly queue: Notification[];
  private seq = 0;
  private sent = 0;
  private failing: string | undefined;
  private delivering = false;
  private closed = false;
  private saveTimer: unknown;
  private wake: unknown;
  private readonly retryTimers = new Set<unknown>();

  /** Reads back the saved groups and outbox (a damaged file is warned about, and the grouper
   *  starts afresh). */
  constructor(
    private readonly grouper: AlertGrouper,
    private readonly templates: MailTemplates,
    private readonly store: OutboxStore,
    private readonly io: OutboxIO,
    private readonly clock: Clock = systemClock,
    private readonly timers: Timers = systemTimers,
  ) {
    try {
      const text = store.read();
      if (text !== undefined) grouper.restore(JSON.parse(text));
    } catch (e) {
      io.log.warn(`the saved outbox in ${store.where} cannot be read (${errorMessage(e)}); starting afresh`);
    }
    this.queue = grouper.outbox();
  }

  /** Emails waiting to be sent (the one being sent included). */
  get queued(): number {
    return this.queue.length;
  }

  /** Shows the status and sends what the outbox held when Node-RED stopped, first. */
  start(): void {
    this.showStatus();
    this.pump();
  }

  /** Takes an event; `done` is called when the email that carries its alert was accepted, or
   *  refused for good, or at once when no email will ever carry it. Returns why the payload is
   *  refused (done is then left to the caller). */
  input(payload: unknown, msgId: string | undefined, done: Done): string | undefined {
    if (!isAlertEvent(payload)) return 'msg.payload is not an alert event (wire it from a telemetry-alert node)';
    const token = `${msgId}:${++this.seq}`;
    this.waiting.set(token, done);
    let now: string[];
    try {
      now = this.grouper.add(payload, token, this.clock.now());
    } catch (e) {
      this.waiting.delete(token);
      return errorMessage(e);
    }
    this.saveSoon();
    this.complete(now);
    this.showStatus();
    this.pump();
    return undefined;
  }

  /** Nothing more is sent; the state is saved. An email already with the server still settles. */
  close(): void {
    this.closed = true;
    if (this.wake !== undefined) this.timers.clearTimeout(this.wake);
    for (const t of this.retryTimers) this.timers.clearTimeout(t);
    this.save();
  }

  // take() runs when the next group is due, not on a polling timer.
  private readonly pump = (): void => {
    if (this.closed) return;
    const now = this.clock.now();
    const due = this.grouper.take(now);
    if (due.length > 0) {
      this.save();
      this.queue.push(...due);
      this.showStatus();
    }
    this.deliverNext();
    if (this.wake !== undefined) this.timers.clearTimeout(this.wake);
    this.wake = undefined;
    const next = this.grouper.nextDueAt();
    if (next !== undefined && Number.isFinite(next))
      this.wake = this.timers.setTimeout(this.pump, Math.min(MAX_WAKE_MS, Math.max(0, next - now)));
  };

  /** One email at a time, in order: a transient failure is tried again after a growing delay. */
  private deliverNext(attempt = 0): void {
    if (this.closed || this.delivering || this.queue.length === 0) return;
    this.delivering = true;
    const n = this.queue[0];
    this.io.sendMail(renderMail(n, this.templates)).then(
      () => {
        this.delivering = false;
        this.queue.shift();
        this.failing = undefined;
        this.sent++;
        this.complete(this.grouper.settle(n.id));
        this.save();
        this.showStatus();
        this.deliverNext();
      },
      (e: unknown) => {
        this.delivering = false;
        const why = classifyFailure(e);
        if (why.permanent) {
          this.queue.shift();
          this.failing = why.reason;
          const err = new Error(`${LABEL}: the SMTP server refused the email: ${why.reason}`);
          const tokens = this.grouper.settle(n.id);
          this.save();
          // Catch sees it on every message the email carried, or once when none is left.
          if (tokens.some((t) => this.waiting.has(t))) this.complete(tokens, err);
          else this.io.reportRefusal(err);
          this.showStatus();
          this.deliverNext();
          return;
        }
        this.failing = `retrying: ${why.reason}`;
        this.showStatus();
        this.later(retryDelayMs(attempt + 1, 1000, MAX_BACKOFF_MS), () => this.deliverNext(attempt + 1));
      },
    );
  }

  private later(ms: number, fn: () => void): void {
    const t = this.timers.setTimeout(() => {
      this.retryTimers.delete(t);
      fn();
    }, ms);
    this.retryTimers.add(t);
  }

  private complete(tokens: string[], err?: Error): void {
    for (const t of tokens) {
      this.waiting.get(t)?.(err);
      this.waiting.delete(t);
    }
  }

  // The events taken are saved together within TAKE_SAVE_MS, without fsync: a storm of thousands
  // would otherwise write the whole outbox once per event (and flush the disk each time). A crash
  // loses at most the events of that last moment, whose messages have not completed; every email
  // handed out is saved, with fsync, before it is sent.
  private saveSoon(): void {
    this.saveTimer ??= this.timers.setTimeout(() => {
      this.saveTimer = undefined;
      this.save(false);
    }, TAKE_SAVE_MS);
  }

  private save(fsync = true): void {
    if (this.saveTimer !== undefined) this.timers.clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      this.store.write(JSON.stringify(this.grouper.save()), { fsync });
    } catch (e) {
      this.io.log.error(`could not save the outbox to ${this.store.where}: ${errorMessage(e)}`);
    }
  }

  private showStatus(): void {
    this.io.status.set(this.describeStatus);
  }

  private readonly describeStatus = (): Status => {
    if (this.failing) return { fill: 'red', shape: 'ring', text: shownText(`failing: ${this.failing}`, 40) };
    const queued = this.grouper.pending + this.grouper.outbox().length;
    return {
      fill: queued ? 'yellow' : 'green',
      shape: 'dot',
      text: queued ? `${queued} queued, ${this.sent} sent` : `${this.sent} sent`,
    };
  };
}
