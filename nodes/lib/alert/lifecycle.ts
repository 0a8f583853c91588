// The life of one alert (rule + series + field), as Prometheus and Grafana run it:
//
//   normal -> pending   a breach, while it has not lasted `pending` readings or seconds
//   pending -> firing   it has: `firing`, a new episode
//   pending -> normal   it cleared first: nothing was ever said
//   firing -> firing    repeats are suppressed; `reminder` every reminderSec while it lasts
//   firing -> recovering  it cleared, and keepFiringSec is not over
//   recovering -> firing  a breach again: the same episode, nothing said
//   firing/recovering -> normal  cleared for keepFiringSec: `resolved`, same episode id
//
// Time is whatever the caller judges by: the readings' timestamps, or the node's clock (dead-man).

import { RULE_DEFAULTS, RuleSpec, Severity } from './rules';

export type AlertState = 'normal' | 'pending' | 'firing' | 'recovering';
export type Transition = 'firing' | 'resolved' | 'reminder';

export interface SavedLifecycle {
  state: AlertState;
  /** pending: first breach; firing: the episode's start; recovering: when it cleared. */
  since: number;
  count: number;
  episode?: string;
  startedAt?: number;
  notifiedAt?: number;
  severity?: Severity;
}

export class AlertLifecycle {
  state: AlertState = 'normal';
  episode: string | undefined;
  startedAt: number | undefined;
  severity: Severity | undefined;
  private since = 0;
  private count = 0;
  private notifiedAt = 0;

  constructor(
    private readonly alertId: string,
    saved?: SavedLifecycle,
  ) {
    if (saved && ['normal', 'pending', 'firing', 'recovering'].includes(saved.state)) {
      this.state = saved.state;
      this.since = Number(saved.since) || 0;
      this.count = Number(saved.count) || 0;
      this.episode = typeof saved.episode === 'string' ? saved.episode : undefined;
      // A start that is not a time (a damaged file) would make every event about it throw.
      this.startedAt =
        typeof saved.startedAt === 'number' && !Number.isNaN(new Date(saved.startedAt).getTime())
          ? saved.startedAt
          : undefined;
      this.notifiedAt = Number(saved.notifiedAt) || 0;
      this.severity = typeof saved.severity === 'string' ? saved.severity : undefined;
      if ((this.state === 'firing' || this.state === 'recovering') && (!this.episode || this.startedAt === undefined))
        this.state = 'normal';
    }
  }

  get firing(): boolean {
    return this.state === 'firing' || this.state === 'recovering';
  }

  /** One judgement at time t; returns what there is to say, if anything. */
  step(breach: boolean, t: number, rule: RuleSpec, severity: Severity): Transition | undefined {
    if (this.state === 'normal') {
      if (!breach) return undefined;
      this.state = 'pending';
      this.since = t;
      this.count = 0;
    }
    switch (this.state) {
      case 'pending':
        if (!breach) {
          this.state = 'normal';
          return undefined;
        }
        this.count++;
        if (this.count < (rule.pendingReadings ?? 0) || t - this.since < (rule.pendingSec ?? 0) * 1000)
          return undefined;
        this.state = 'firing';
        this.startedAt = this.since;
        this.episode = `${this.alertId}@${new Date(this.since).toISOString()}`;
        this.notifiedAt = t;
        this.severity = severity;
        return 'firing';
      case 'recovering':
        if (breach) {
          this.state = 'firing';
          return this.remind(t, rule, severity);
        }
        if (t - this.since < (rule.keepFiringSec ?? 0) * 1000) return undefined;
        this.state = 'normal';
        return 'resolved';
      default:
        if (breach) return this.remind(t, rule, severity);
        if (!rule.keepFiringSec) {
          this.state = 'normal';
          return 'resolved';
        }
        this.state = 'recovering';
        this.since = t;
        return undefined;
    }
  }

  /** Ends the alert without a judgement (its series is no longer tracked): 'resolved' when an
   *  episode was open, nothing when it was only pending or normal. */
  forget(): Transition | undefined {
    const wasFiring = this.firing;
    this.state = 'normal';
    return wasFiring ? 'resolved' : undefined;
  }

  private remind(t: number, rule: RuleSpec, severity: Severity): Transition | undefined {
    this.severity = severity;
    const every = (rule.reminderSec ?? RULE_DEFAULTS.reminderSec) * 1000;
    if (every <= 0 || t - this.notifiedAt < every) return undefined;
    this.notifiedAt = t;
    return 'reminder';
  }

  save(): SavedLifecycle {
    return {
      state: this.state,
      since: this.since,
      count: this.count,
      episode: this.episode,
      startedAt: this.startedAt,
      notifiedAt: this.notifiedAt,
      severity: this.severity,
    };
  }
}
