// Alert events -> the emails to send, grouped the way Prometheus Alertmanager groups notifications
// (dispatch/route.go, notify/dedup_stage.go):
//
// - alerts are grouped by some of their labels (default: the rule);
// - a new group waits groupWait (30 s) so that the alerts of one storm arrive in one email;
// - after an email, the group sends again at most every groupInterval (5 min), and only when
//   something changed: an alert started firing, or one that was mailed as firing resolved;
// - while alerts keep firing and nothing changes, the group is mailed again after repeatInterval (4 h);
// - an alert that resolves before anything was mailed about it is never mailed;
// - at most maxPerHour emails an hour: what is due past that is put into the next email allowed,
//   one digest of every group waiting, never dropped;
// - at most maxAlerts alerts held (waiting for an email, or firing and mailed): a new alert past
//   that is refused with the reason (add throws), so a flood of ids cannot grow it for good.
//   Entries leave when their resolution is mailed or never needs to be.
//
// Time comes from the caller, so a test can run an afternoon in milliseconds. Every input message
// is a token that completes when the email carrying its alert has been accepted, or at once when no
// email will ever carry it.

import type { AlertEvent } from '../alert/alert-engine';

export interface GrouperSettings {
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  maxPerHour: number;
  maxAlerts: number;
  sendResolved: boolean;
}

export const GROUPER_DEFAULTS: GrouperSettings = {
  groupBy: ['rule'],
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
  maxPerHour: 20,
  maxAlerts: 10_000,
  sendResolved: true,
};

const HOUR = 3_600_000;

interface Entry {
  event: AlertEvent;
  firing: boolean;
  /** What the last email that reached the server said about this alert. */
  mailed: 'nothing' | 'firing' | 'resolved';
  tokens: string[];
}

interface Group {
  key: string;
  labels: Record<string, unknown>;
  entries: Record<string, Entry>;
  /** When the group may be mailed next. */
  dueAt: number;
  lastMailedAt?: number;
}

export interface GroupMail {
  key: string;
  labels: Record<string, unknown>;
  firing: AlertEvent[];
  resolved: AlertEvent[];
}

export interface Notification {
  id: string;
  /** One group, or several in a digest when the hourly limit held them back. */
  groups: GroupMail[];
  digest: boolean;
  /** Alerts of this email that were already mailed as firing and still are (a repeat). */
  repeat: boolean;
  tokens: string[];
  createdAt: number;
}

export interface SavedGrouper {
  version: 1;
  groups: Group[];
  sending: Notification[];
  sentAt: number[];
  seq: number;
}

export class AlertGrouper {
  private groups = new Map<string, Group>();
  /** Emails handed out and not yet settled: the outbox. */
  private sending = new Map<string, Notification>();
  /** When each email of the last hour was handed out. */
  private sentAt: number[] = [];
  private seq = 0;
  /** Alerts held, in all groups: waiting for an email, or firing and mailed until their
   *  resolution is. */
  private held = 0;

  constructor(private readonly s: GrouperSettings) {}

  /** Takes an event; returns the tokens that no email will ever need to carry (complete them now). */
  add(event: AlertEvent, token: string, now: number): string[] {
    const labels: Record<string, unknown> = {};
    for (const k of this.s.groupBy)
      labels[k] = (event as unknown as Record<string, unknown>)[k] ?? event.tags?.[k] ?? '';
    const key = JSON.stringify(this.s.groupBy.map((k) => labels[k]));
    let g = this.groups.get(key);
    if (!g) {
      g = { key, labels, entries: {}, dueAt: now + this.s.groupWaitMs };
      this.groups.set(key, g);
    }
    const e = g.entries[event.alertId];
    const firing = event.event !== 'resolved';
    if (!e) {
      // A resolution of an alert this node never heard of as firing (or already mailed as resolved).
      if (!firing) return [token];
      if (this.held >= this.s.maxAlerts) {
        if (Object.keys(g.entries).length === 0) this.groups.delete(key);
        throw new Error(
          `${this.s.maxAlerts} alerts are held already (waiting for an email, or firing); this new one is not mailed. A flood of device ids, or an alert node without Forget after?`,
        );
      }
      this.held++;
      g.entries[event.alertId] = { event, firing, mailed: 'nothing', tokens: [token] };
      this.changed(g, now);
      return [];
    }
    const wasFiring = e.firing;
    e.event = event;
    e.firing = firing;
    if (firing) {
      // A reminder, or a repeat of what was already mailed: the email that carried it went out.
      if (e.mailed === 'firing') return [token];
      e.tokens.push(token);
      if (!wasFiring) this.changed(g, now);
      return [];
    }
    if (e.mailed === 'nothing') {
      // Resolved before anything was mailed about it: nothing to say, ever.
      delete g.entries[event.alertId];
      this.held--;
      if (Object.keys(g.entries).length === 0) this.groups.delete(key);
      return [...e.tokens, token];
    }
    if (!this.s.sendResolved) {
      delete g.entries[event.alertId];
      this.held--;
      return [...e.tokens, token];
    }
    e.tokens.push(token);
    this.changed(g, now);
    return [];
  }

  /** The emails to send now. Each stays in the outbox until settle() is called for it. */
  take(now: number): Notification[] {
    this.sentAt = this.sentAt.filter((t) => t > now - HOUR);
    const due: { g: Group; mail: GroupMail; repeat: boolean }[] = [];
    for (const g of this.groups.values()) {
      if (g.dueAt > now) continue;
      const mail = this.mailOf(g, now);
      if (mail) due.push({ g, mail: mail.mail, repeat: mail.repeat });
    }
    if (due.length === 0) return [];
    const budget = this.s.maxPerHour - this.sentAt.length;
    if (budget <= 0) {
      // Held until the oldest email of the hour leaves the window; nothing is dropped.
      const at = this.sentAt[0] + HOUR;
      for (const d of due) d.g.dueAt = Math.max(d.g.dueAt, at);
      return [];
    }
    const out: Notification[] = [];
    const single = due.length <= budget ? due : due.slice(0, budget - 1);
    for (const d of single) out.push(this.hand([d], false, d.repeat, now));
    const rest = due.slice(single.length);
    if (rest.length > 0)
      out.push(
        this.hand(
          rest,
          true,
          rest.every((d) => d.repeat),
          now,
        ),
      );
    return out;
  }

  /** The email reached the server, or never will (a permanent failure, reported by the caller):
   *  it leaves the outbox. Returns the tokens it carried. The caller retries transient failures
   *  and settles only at the end. */
  settle(id: string): string[] {
    const n = this.sending.get(id);
    if (!n) return [];
    this.sending.delete(id);
    return n.tokens;
  }

  /** Emails handed out and not settled (after a restart: to send again). */
  outbox(): Notification[] {
    return [...this.sending.values()];
  }

  /** The earliest time take() may have something to do. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const g of this.groups.values()) if (next === undefined || g.dueAt < next) next = g.dueAt;
    return next;
  }

  /** Alerts waiting for an email or in one being sent. */
  get pending(): number {
    let n = 0;
    for (const g of this.groups.values())
      for (const e of Object.values(g.entries)) if (e.mailed !== (e.firing ? 'firing' : 'resolved')) n++;
    return n;
  }

  save(): SavedGrouper {
    return {
      version: 1,
      groups: [...this.groups.values()],
      sending: [...this.sending.values()],
      sentAt: this.sentAt,
      seq: this.seq,
    };
  }

  /** Tokens of a saved grouper belong to messages of a process that is gone: they are dropped. */
  restore(saved: unknown): void {
    const d = saved as Partial<SavedGrouper> | null;
    if (!d || d.version !== 1 || !Array.isArray(d.groups) || !Array.isArray(d.sending)) return;
    for (const g of d.groups) {
      if (!g || typeof g.key !== 'string' || !g.entries) continue;
      for (const e of Object.values(g.entries)) e.tokens = [];
      this.groups.set(g.key, g);
      this.held += Object.keys(g.entries).length;
    }
    for (const n of d.sending) if (n && typeof n.id === 'string') this.sending.set(n.id, { ...n, tokens: [] });
    this.sentAt = Array.isArray(d.sentAt) ? d.sentAt.filter((t) => typeof t === 'number') : [];
    this.seq = typeof d.seq === 'number' ? d.seq : 0;
  }

  private changed(g: Group, now: number): void {
    // In its first wait, the group waits on. After an email, a change is mailed a group interval
    // after that email at the earliest, and a group wait after the change itself, so that a burst
    // of changes (a storm resolving) lands in one email, not split at its first change.
    if (g.lastMailedAt === undefined) return;
    g.dueAt = Math.min(g.dueAt, Math.max(g.lastMailedAt + this.s.groupIntervalMs, now + this.s.groupWaitMs));
  }

  /** What the group's email says now, if it has anything to say. */
  private mailOf(g: Group, now: number): { mail: GroupMail; repeat: boolean } | undefined {
    const entries = Object.values(g.entries);
    const firing = entries.filter((e) => e.firing);
    const resolved = entries.filter((e) => !e.firing && e.mailed === 'firing');
    const news = firing.some((e) => e.mailed !== 'firing') || resolved.length > 0;
    const repeat =
      !news && firing.length > 0 && g.lastMailedAt !== undefined && now >= g.lastMailedAt + this.s.repeatIntervalMs;
    if (!news && !repeat) {
      g.dueAt = firing.length > 0 && g.lastMailedAt !== undefined ? g.lastMailedAt + this.s.repeatIntervalMs : Infinity;
      if (entries.length === 0) this.groups.delete(g.key);
      return undefined;
    }
    return {
      mail: {
        key: g.key,
        labels: g.labels,
        firing: firing.map((e) => e.event),
        resolved: resolved.map((e) => e.event),
      },
      repeat,
    };
  }

  private hand(due: { g: Group; mail: GroupMail }[], digest: boolean, repeat: boolean, now: number): Notification {
    const tokens: string[] = [];
    for (const { g, mail } of due) {
      g.lastMailedAt = now;
      g.dueAt = now + this.s.groupIntervalMs;
      // Counted as mailed when handed out: the email is in the outbox, sent again after a restart.
      for (const ev of mail.firing) {
        const e = g.entries[ev.alertId];
        tokens.push(...e.tokens);
        e.tokens = [];
        e.mailed = 'firing';
      }
      for (const ev of mail.resolved) {
        tokens.push(...g.entries[ev.alertId].tokens);
        delete g.entries[ev.alertId];
        this.held--;
      }
      if (Object.keys(g.entries).length === 0) this.groups.delete(g.key);
    }
    const n: Notification = {
      id: `mail-${++this.seq}-${now}`,
      groups: due.map((d) => d.mail),
      digest,
      repeat,
      tokens,
      createdAt: now,
    };
    this.sending.set(n.id, n);
    this.sentAt.push(now);
    return n;
  }
}
