// The rules of one telemetry-alert node run over a stream of readings: state per series (device)
// and rule, each alert through its lifecycle, dead-man checks on a clock, and all of it saved as
// plain data so a restart carries on mid-episode.

import { parseTimestamp } from '../timestamps';
import type { Detector, Judgement, Limits } from './detector';
import { EwmaDetector } from './ewma';
import { FlatlineDetector } from './flatline';
import { AlertLifecycle, SavedLifecycle, Transition } from './lifecycle';
import { RateOfChangeDetector } from './rate-of-change';
import { RobustZScoreDetector } from './robust-zscore';
import { RULE_DEFAULTS, RuleSpec, Severity, scoreKey } from './rules';
import type { SavedWindow } from './sample-window';
import { ThresholdDetector } from './threshold';
import { ZScoreDetector } from './zscore';

export interface AlertEngineOptions {
  rules: RuleSpec[];
  /** The reading's key that names its series. */
  seriesKey: string;
  /** Keys copied from the reading onto its alerts. */
  tagKeys: string[];
  timestampKey: string;
  /** Series beyond this many are not tracked (counted), unless one that has been silent longer
   *  than the room guard (the longest dead-man timeout, at least a minute) makes room. */
  maxSeries: number;
  /** A series not seen for this long is forgotten: dropped from memory and the saved state, an
   *  open alert on it resolved with the reason. */
  forgetAfterMs: number;
  /** system: dead-man judges silence by the node's clock; readings: by the newest reading's time. */
  clock: 'system' | 'readings';
}

export interface AlertEvent {
  event: Transition;
  alertId: string;
  episodeId: string;
  rule: string;
  kind: string;
  severity: Severity;
  series: string;
  field: string;
  value: number;
  threshold?: number;
  score?: number;
  tags: Record<string, unknown>;
  startedAt: string;
  resolvedAt?: string;
  /** Why an alert was resolved without its condition clearing (its series was forgotten). */
  reason?: string;
  at: string;
}

export const SKIP_REASONS = [
  'not_a_reading',
  'no_series',
  'bad_timestamp',
  'missing',
  'not_a_number',
  'not_finite',
  'bad_setting',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface ProcessResult {
  events: AlertEvent[];
  /** For each reading, its scores by `<rule>_score` key (undefined when no rule scored it). */
  scores: (Record<string, number> | undefined)[];
  skipped: Partial<Record<SkipReason, number>>;
  /** Readings of series past the limit, not judged. */
  untracked: number;
  /** Series dropped to make room for a new one (silent longer than the room guard). */
  evicted: number;
  /** Judgements made: one per reading and rule that could judge it. */
  judged: number;
}

interface AlertSlot {
  detector: Detector | undefined;
  lifecycle: AlertLifecycle;
}

interface Series {
  key: string;
  tags: Record<string, unknown>;
  lastSeen: number;
  /** When it was last moved to the end of the map (see seriesFor). */
  placedAt: number;
  slots: AlertSlot[];
}

/** A series is moved to the end of the map at most this often: the order is last-seen to within
 *  a second (forgetting and making room work in minutes), and the hot path stays a lookup. */
const REPLACE_EVERY_MS = 1000;

interface SavedSeries {
  key: string;
  tags: Record<string, unknown>;
  lastSeen: number;
  alerts: Record<string, { rule: string; detector?: unknown; lifecycle: SavedLifecycle }>;
}

export interface SavedEngine {
  version: 1;
  /** The node's clock when this was saved. */
  savedAt?: number;
  series: SavedSeries[];
}

/** The alerts that are not normal (pending, firing, recovering): small, saved at every change. */
export interface SavedOpenAlerts {
  version: 1;
  alerts: { series: string; tags: Record<string, unknown>; rule: string; lifecycle: SavedLifecycle }[];
}

export class AlertEngine {
  private readonly series = new Map<string, Series>();
  private readonly fingerprints: string[];
  private readonly scoreKeys: string[];
  /** The newest reading times of the two series furthest ahead: the clock of clock: 'readings' is
   *  the second, so one device with a clock far in the future cannot make all others look silent. */
  private ahead: { key: string; t: number }[] = [];
  untrackedTotal = 0;
  /** Series forgotten (silent for forgetAfterMs) or evicted to make room, since start. */
  forgottenTotal = 0;
  /** Silent at least this long before a series may give its place to a new one when full: a dead
   *  device's dead-man alert has fired by then, so its silence is never hidden. */
  private readonly roomGuardMs: number;

  constructor(private readonly o: AlertEngineOptions) {
    this.fingerprints = o.rules.map((r) => JSON.stringify(r));
    this.scoreKeys = o.rules.map(scoreKey);
    const deadmanMs = longestDeadmanMs(o.rules);
    if (o.forgetAfterMs <= deadmanMs)
      throw new Error(
        `Forget after (${o.forgetAfterMs / 1000} s) must be longer than the longest dead-man timeout (${deadmanMs / 1000} s), or a silent device would be forgotten before its alert fires`,
      );
    this.roomGuardMs = Math.max(60_000, deadmanMs);
  }

  get seriesCount(): number {
    return this.series.size;
  }

  /** The stream's own time (clock: 'readings'). */
  get streamTime(): number {
    return this.ahead.length > 1 ? this.ahead[1].t : -Infinity;
  }

  private advanceStream(key: string, t: number): void {
    const a = this.ahead;
    const mine = a.findIndex((x) => x.key === key);
    if (mine >= 0) a[mine].t = Math.max(a[mine].t, t);
    else a.push({ key, t });
    a.sort((x, y) => y.t - x.t);
    a.length = Math.min(a.length, 2);
  }

  get seriesLimit(): number {
    return this.o.maxSeries;
  }

  get clock(): AlertEngineOptions['clock'] {
    return this.o.clock;
  }

  /** Alerts firing now (recovering ones included). */
  openAlerts(): number {
    let n = 0;
    for (const s of this.series.values()) for (const slot of s.slots) if (slot.lifecycle.firing) n++;
    return n;
  }

  /** Alerts firing now (recovering ones included), by their rule's severity. */
  firingBySeverity(): Record<string, number> {
    const by: Record<string, number> = {};
    for (const s of this.series.values())
      s.slots.forEach((slot, i) => {
        if (!slot.lifecycle.firing) return;
        const severity = slot.lifecycle.severity ?? this.o.rules[i].severity;
        by[severity] = (by[severity] ?? 0) + 1;
      });
    return by;
  }

  /** Judges readings (in arrival order); nowMs is the node's clock. A rule whose limits are
   *  undefined (a TypedInput that is not a number now) is skipped. */
  process(readings: readonly unknown[], nowMs: number, limits: readonly (Limits | undefined)[]): ProcessResult {
    const result: ProcessResult = { events: [], scores: [], skipped: {}, untracked: 0, evicted: 0, judged: 0 };
    const skip = (why: SkipReason) => (result.skipped[why] = (result.skipped[why] ?? 0) + 1);
    const rules = this.o.rules;
    for (const raw of readings) {
      result.scores.push(undefined);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        skip('not_a_reading');
        continue;
      }
      const r = raw as Record<string, unknown>;
      const id = r[this.o.seriesKey];
      if ((typeof id !== 'string' || id === '') && typeof id !== 'number') {
        skip('no_series');
        continue;
      }
      const ts = r[this.o.timestampKey];
      let t = nowMs;
      if (ts !== undefined && ts !== null) {
        const parsed = parseTimestamp(ts);
        if (typeof parsed === 'string') {
          skip('bad_timestamp');
          continue;
        }
        t = parsed.ms;
      }
      const s = this.seriesFor(String(id), r, this.o.clock === 'readings' ? t : nowMs, result);
      if (!s) {
        result.untracked++;
        continue;
      }
      if (this.o.clock === 'readings') {
        this.advanceStream(s.key, t);
        s.lastSeen = Number.isFinite(s.lastSeen) ? Math.max(s.lastSeen, t) : t;
      } else s.lastSeen = nowMs;
      let scores: Record<string, number> | undefined;
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        const slot = s.slots[i];
        if (rule.kind === 'deadman') {
          // Its next reading resolves a silent series (and ends a pending silence).
          if (slot.lifecycle.state !== 'normal')
            this.emit(result.events, s, i, slot.lifecycle.step(false, s.lastSeen, rule, rule.severity), 0, s.lastSeen);
          continue;
        }
        const l = limits[i];
        if (!l) {
          skip('bad_setting');
          continue;
        }
        const v = r[rule.field];
        if (typeof v !== 'number') {
          skip(v === undefined || v === null ? 'missing' : 'not_a_number');
          continue;
        }
        if (!Number.isFinite(v)) {
          skip('not_finite');
          continue;
        }
        result.judged++;
        const j = slot.detector!.judge(v, t, slot.lifecycle.firing, l);
        if (!j) continue;
        // An infinite score (no spread in the window) is not a number a database can store.
        if (j.score !== undefined && Number.isFinite(j.score)) (scores ??= {})[this.scoreKeys[i]] = j.score;
        const transition = slot.lifecycle.step(j.breach, t, rule, j.severity ?? rule.severity);
        if (transition) this.emit(result.events, s, i, transition, v, t, j);
      }
      result.scores[result.scores.length - 1] = scores;
    }
    this.untrackedTotal += result.untracked;
    return result;
  }

  /** Dead-man: every series silent longer than its rule allows fires (and is reminded). Series
   *  silent for forgetAfterMs are forgotten, their open alerts resolved with the reason. */
  tick(nowMs: number): AlertEvent[] {
    const events: AlertEvent[] = [];
    this.forgetSilent(nowMs, events);
    const rules = this.o.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule.kind !== 'deadman') continue;
      const limitMs = (rule.seconds ?? 0) * 1000;
      for (const s of this.series.values()) {
        const silentMs = nowMs - s.lastSeen;
        if (!(silentMs > limitMs)) continue; // NaN: never seen since a restore, nothing to judge yet
        const transition = s.slots[i].lifecycle.step(true, nowMs, rule, rule.severity);
        if (transition)
          this.emit(events, s, i, transition, silentMs / 1000, nowMs, { breach: true, threshold: rule.seconds });
      }
    }
    return events;
  }

  save(nowMs?: number): SavedEngine {
    const series: SavedSeries[] = [];
    for (const s of this.series.values()) {
      const alerts: SavedSeries['alerts'] = {};
      s.slots.forEach((slot, i) => {
        alerts[this.o.rules[i].name] = {
          rule: this.fingerprints[i],
          detector: slot.detector?.save(),
          lifecycle: slot.lifecycle.save(),
        };
      });
      series.push({ key: s.key, tags: s.tags, lastSeen: s.lastSeen, alerts });
    }
    return { version: 1, savedAt: nowMs, series };
  }

  saveOpen(): SavedOpenAlerts {
    const alerts: SavedOpenAlerts['alerts'] = [];
    for (const s of this.series.values()) {
      s.slots.forEach((slot, i) => {
        if (slot.lifecycle.state !== 'normal')
          alerts.push({ series: s.key, tags: s.tags, rule: this.o.rules[i].name, lifecycle: slot.lifecycle.save() });
      });
    }
    return { version: 1, alerts };
  }

  /** Carries on from saved state: open episodes keep their ids; a rule whose settings changed
   *  keeps its episode but starts its statistics afresh; state of removed rules is dropped.
   *  With the node's clock, nowMs is the restart: no series counts as silent for the time the
   *  node itself was not running, so a restart is not a storm of dead-man alerts. */
  restore(saved: unknown, open?: unknown, nowMs?: number): void {
    const data = saved as Partial<SavedEngine> | null;
    if (data && data.version === 1 && Array.isArray(data.series)) this.restoreSeries(data.series);
    const savedAt = typeof data?.savedAt === 'number' ? data.savedAt : undefined;
    // The open alerts were saved at their last change, after the full state: they win.
    const o = open as Partial<SavedOpenAlerts> | null;
    if (!o || o.version !== 1 || !Array.isArray(o.alerts)) return this.forgiveDowntime(nowMs, savedAt);
    const wasOpen = new Set<string>();
    for (const a of o.alerts) {
      const i = this.o.rules.findIndex((r) => r.name === a?.rule);
      if (i < 0 || typeof a.series !== 'string') continue;
      const s = this.seriesFor(a.series, a.tags && typeof a.tags === 'object' ? a.tags : {});
      if (!s) continue;
      s.slots[i].lifecycle = new AlertLifecycle(alertId(this.o.rules[i], s.key), a.lifecycle);
      wasOpen.add(`${i}|${s.key}`);
    }
    // An alert the full state still had open but the open-alerts file does not was closed since.
    for (const s of this.series.values()) {
      s.slots.forEach((slot, i) => {
        if (slot.lifecycle.state !== 'normal' && !wasOpen.has(`${i}|${s.key}`))
          slot.lifecycle = new AlertLifecycle(alertId(this.o.rules[i], s.key));
      });
    }
    this.forgiveDowntime(nowMs, savedAt);
  }

  /** With the node's clock, the time between the last save and this restart is the node's own
   *  downtime, not the devices' silence: every series' last-seen time moves forward by it. */
  private forgiveDowntime(nowMs: number | undefined, savedAt: number | undefined): void {
    if (this.o.clock !== 'system' || nowMs === undefined) return;
    const down = savedAt !== undefined && savedAt <= nowMs ? nowMs - savedAt : 0;
    for (const s of this.series.values()) s.lastSeen = Number.isFinite(s.lastSeen) ? s.lastSeen + down : nowMs;
  }

  private restoreSeries(saved: SavedSeries[]): void {
    for (const ss of saved) {
      if (this.series.size >= this.o.maxSeries) break;
      if (!ss || typeof ss.key !== 'string') continue;
      const s: Series = {
        key: ss.key,
        tags: ss.tags && typeof ss.tags === 'object' ? ss.tags : {},
        lastSeen: typeof ss.lastSeen === 'number' ? ss.lastSeen : NaN,
        placedAt: -Infinity,
        slots: this.o.rules.map((rule, i) => {
          const a = ss.alerts?.[rule.name];
          const same = a?.rule === this.fingerprints[i];
          return {
            detector: createDetector(rule, same ? a?.detector : undefined),
            lifecycle: new AlertLifecycle(alertId(rule, ss.key), a?.lifecycle),
          };
        }),
      };
      this.series.set(s.key, s);
    }
  }

  /** The series are kept in the order they were last seen, to within a second (a reading moves its
   *  series to the end), so the silent ones are at the front: forgetting stops at the first that is
   *  not silent. */
  private forgetSilent(nowMs: number, events: AlertEvent[]): void {
    const cutoff = nowMs - this.o.forgetAfterMs;
    for (const s of this.series.values()) {
      if (Number.isNaN(s.lastSeen)) continue; // not seen since a restore: no time to judge by
      if (s.lastSeen >= cutoff) break;
      this.forget(s, nowMs, events);
    }
  }

  private forget(s: Series, nowMs: number, events: AlertEvent[], why?: string): void {
    const silentSec = Math.round((nowMs - s.lastSeen) / 1000);
    const reason = `no reading for ${silentSec} s: the series is no longer tracked (${why ?? `Forget after ${this.o.forgetAfterMs / 1000} s`})`;
    s.slots.forEach((slot, i) => {
      const transition = slot.lifecycle.forget();
      if (!transition) return;
      this.emit(events, s, i, transition, this.o.rules[i].kind === 'deadman' ? silentSec : NaN, nowMs);
      events[events.length - 1].reason = reason;
    });
    this.series.delete(s.key);
    this.forgottenTotal++;
  }

  /** When full, a series silent past the room guard gives its place: among the longest silent
   *  few, one with no alert open if there is one, else the longest silent, its alerts resolved
   *  with the reason (a flood of one-time ids would otherwise fill the table with their own
   *  dead-man alerts). */
  private makeRoom(nowMs: number, events: AlertEvent[]): boolean {
    let first: Series | undefined;
    let looked = 0;
    for (const s of this.series.values()) {
      if (!(nowMs - s.lastSeen > this.roomGuardMs) || ++looked > 16) break;
      first ??= s;
      if (s.slots.every((slot) => slot.lifecycle.state === 'normal')) {
        this.forget(s, nowMs, events);
        return true;
      }
    }
    if (!first) return false;
    this.forget(first, nowMs, events, `Max series ${this.o.maxSeries} reached: it made room for a new series`);
    return true;
  }

  private seriesFor(
    key: string,
    r: Record<string, unknown>,
    nowMs?: number,
    result?: ProcessResult,
  ): Series | undefined {
    let s = this.series.get(key);
    if (s) {
      // Last seen goes last: delete and set again keeps the map in last-seen order.
      if (nowMs !== undefined && !(nowMs - s.placedAt < REPLACE_EVERY_MS)) {
        this.series.delete(key);
        this.series.set(key, s);
        s.placedAt = nowMs;
      }
    } else {
      if (this.series.size >= this.o.maxSeries) {
        if (nowMs === undefined || !result || !this.makeRoom(nowMs, result.events)) return undefined;
        result.evicted++;
      }
      s = {
        key,
        tags: {},
        lastSeen: NaN, // not seen yet: set by the reading that creates it, or unknown after a restore
        placedAt: nowMs ?? -Infinity,
        slots: this.o.rules.map((rule) => ({
          detector: createDetector(rule),
          lifecycle: new AlertLifecycle(alertId(rule, key)),
        })),
      };
      this.series.set(key, s);
    }
    for (const k of this.o.tagKeys) {
      const v = r[k];
      if (v !== undefined && s.tags[k] !== v) s.tags[k] = v;
    }
    return s;
  }

  private emit(
    out: AlertEvent[],
    s: Series,
    i: number,
    transition: Transition | undefined,
    value: number,
    t: number,
    j?: Judgement,
  ): void {
    if (!transition) return;
    const rule = this.o.rules[i];
    const lc = s.slots[i].lifecycle;
    const event: AlertEvent = {
      event: transition,
      alertId: alertId(rule, s.key),
      episodeId: lc.episode!,
      rule: rule.name,
      kind: rule.kind,
      severity: lc.severity ?? rule.severity,
      series: s.key,
      field: rule.field,
      value,
      tags: { ...s.tags },
      startedAt: new Date(lc.startedAt!).toISOString(),
      at: new Date(t).toISOString(),
    };
    if (j?.threshold !== undefined) event.threshold = j.threshold;
    if (j?.score !== undefined) event.score = j.score;
    if (transition === 'resolved') event.resolvedAt = event.at;
    out.push(event);
  }
}

function longestDeadmanMs(rules: RuleSpec[]): number {
  return Math.max(0, ...rules.filter((r) => r.kind === 'deadman').map((r) => (r.seconds ?? 0) * 1000));
}

export function alertId(rule: RuleSpec, series: string): string {
  return rule.field ? `${rule.name}|${series}|${rule.field}` : `${rule.name}|${series}`;
}

function createDetector(rule: RuleSpec, saved?: unknown): Detector | undefined {
  switch (rule.kind) {
    case 'threshold':
      return new ThresholdDetector(rule);
    case 'zscore':
      return new ZScoreDetector(rule, saved as SavedWindow | undefined);
    case 'robust_zscore':
      return new RobustZScoreDetector(rule, saved as SavedWindow | undefined);
    case 'ewma':
      return new EwmaDetector(rule, saved as ConstructorParameters<typeof EwmaDetector>[1]);
    case 'flatline':
      return new FlatlineDetector(rule, saved as ConstructorParameters<typeof FlatlineDetector>[1]);
    case 'rate':
      return new RateOfChangeDetector(saved as ConstructorParameters<typeof RateOfChangeDetector>[0]);
    case 'deadman':
      return undefined;
  }
}

/** A rule's numbers when none of them comes from a TypedInput. */
export function fixedLimits(rule: RuleSpec): Limits {
  const n = (v: RuleSpec['threshold'], fallback: number) => (typeof v === 'number' ? v : fallback);
  return {
    threshold: n(rule.threshold, NaN),
    low: n(rule.low, NaN),
    high: n(rule.high, NaN),
    hysteresis: n(rule.hysteresis, RULE_DEFAULTS.hysteresis),
    limit: n(rule.limit, RULE_DEFAULTS.limit[rule.kind] ?? NaN),
  };
}
