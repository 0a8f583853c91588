// telemetry-alert's work around its AlertEngine: each message's readings judged (with limits read
// from env, flow or global context for that message), events on output 1 only after the open alerts
// are saved, the readings with their scores on output 2, the dead-man check on the node's timer
// (clock: 'system'), the state saved every 10 s and at stop and read back at start, and the status.

import { Clock, Log, Message, Status, StatusLine, Timers, compactCount, systemClock, systemTimers } from '../node-io';
import { PAYLOAD_DEFAULTS, decodePayload } from '../schema/payload';
import { errorMessage } from '../settings';
import { shownText } from '../shown-text';
import type { AlertEngine, AlertEvent } from './alert-engine';
import type { AlertStateStore } from './alert-state';
import type { Limits } from './detector';
import type { RuleSpec, Setting } from './rules';

/** Windows and pending counters are saved at most this often; episodes at every change. */
export const SAVE_EVERY_MS = 10_000;
/** The numbers of a rule that may be a TypedInput, read at every message. */
export const LIMIT_KEYS = ['threshold', 'low', 'high', 'hysteresis', 'limit'] as const;

export type TypedSetting = Exclude<Setting, number>;

export interface RuleLimits {
  rules: readonly RuleSpec[];
  /** Each rule's numbers as given (fixedLimits). */
  fixed: readonly Limits[];
  /** Whether a rule has a number to read at every message. */
  typed: readonly boolean[];
}

export interface AlertIO {
  /** Output 1 alone: what the node's timer found (dead-man, series forgotten). */
  sendEvents(events: Message[]): void;
  /** A limit given as a TypedInput (env, flow, global), for this message. */
  evaluate(setting: TypedSetting, msg: Message): unknown;
  status: StatusLine;
  log: Log;
}

/** A TypedInput's value as a number: a number, or text that is one; anything else (an unset env
 *  variable is '', a missing context value undefined) is not. */
export function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

export class AlertRunner {
  /** Readings taken since start. */
  readingsJudged = 0;
  private dirty = false;
  private saveError: string | undefined;
  private skipped = 0;
  private warnedLimit = false;
  /** Rule/limit pairs whose TypedInput is not a number now: warned once until it is again. */
  private readonly badSettings = new Set<string>();
  private readonly intervals: unknown[] = [];

  /** Reads back the saved state (a damaged one is warned about, and the engine starts afresh). */
  constructor(
    private readonly engine: AlertEngine,
    private readonly limits: RuleLimits,
    private readonly store: AlertStateStore,
    private readonly io: AlertIO,
    private readonly clock: Clock = systemClock,
    private readonly timers: Timers = systemTimers,
  ) {
    try {
      const saved = store.read();
      engine.restore(
        saved.engine === undefined ? undefined : JSON.parse(saved.engine),
        saved.open === undefined ? undefined : JSON.parse(saved.open),
        clock.now(),
      );
    } catch (e) {
      io.log.warn(`the saved alert state in ${store.where} cannot be read (${errorMessage(e)}); starting afresh`);
    }
  }

  /** Starts the timers: the dead-man check every checkMs with the node's clock (with the
   *  readings' clock it runs after each message), and the periodic save. */
  start(checkMs: number): void {
    if (this.engine.clock === 'system') this.intervals.push(this.timers.setInterval(this.check, checkMs));
    this.intervals.push(this.timers.setInterval(() => this.dirty && this.save('all'), SAVE_EVERY_MS));
    this.showStatus();
  }

  /** Judges a message's readings: events on output 1, the message with its scores on output 2.
   *  Returns why the message holds no readings, when it holds none. */
  input(msg: Message, send: (out: [Message[] | null, Message]) => void): string | undefined {
    const engine = this.engine;
    const decoded = decodePayload(msg.payload, PAYLOAD_DEFAULTS);
    if (decoded.kind === 'refused') return `msg.payload holds no readings: ${decoded.error.message}`;
    const readings = decoded.kind === 'one' ? [decoded.reading] : decoded.readings;
    this.readingsJudged += readings.length;
    const result = engine.process(readings, this.clock.now(), this.limitsFor(msg));
    if (engine.clock === 'readings') result.events.push(...engine.tick(engine.streamTime));
    // A reading without the field is normal (other device types); the status counts the rest.
    for (const [why, n] of Object.entries(result.skipped)) if (why !== 'missing') this.skipped += n ?? 0;
    if (result.untracked > 0 && !this.warnedLimit) {
      this.warnedLimit = true;
      this.io.log.warn(
        `${engine.seriesLimit} series tracked, none silent long enough to give its place; readings of new series are not judged until one does (raise Max series, or lower Forget after)`,
      );
    }
    this.dirty = true;
    const events = result.events.length > 0 ? this.eventMessages(result.events) : null;
    // The message is this node's to change (Node-RED clones it for every other wire): the
    // scores go onto the readings themselves, with no copy of each.
    for (let i = 0; i < readings.length; i++) {
      const s = result.scores[i];
      if (s) Object.assign(readings[i] as object, s);
    }
    msg.payload = decoded.kind === 'one' ? readings[0] : readings;
    msg.alert = {
      readings: readings.length,
      events: result.events.length,
      judged: result.judged,
      skipped: result.skipped,
      untracked: result.untracked,
    };
    send([events, msg]);
    this.showStatus();
    return undefined;
  }

  /** Stops the timers; a node deleted from the flows forgets its state, any other stop keeps it. */
  close(removed: boolean): void {
    for (const t of this.intervals) this.timers.clearInterval(t);
    if (removed) this.store.remove();
    else if (this.dirty) this.save('all');
  }

  private readonly check = () => {
    try {
      const events = this.engine.tick(this.clock.now());
      if (events.length > 0) {
        this.io.sendEvents(this.eventMessages(events));
        this.showStatus();
      }
    } catch (err) {
      this.io.log.error(`dead-man check failed: ${errorMessage(err)}`);
    }
  };

  /** Output 1 messages, one per event; the state is saved before any of them leaves. */
  private eventMessages(events: AlertEvent[]): Message[] {
    this.save('open');
    // The topic is for routing (an MQTT out, a switch): shown, so a hostile id cannot break it.
    return events.map((e) => ({ topic: shownText(e.alertId), payload: e }));
  }

  private save(what: 'all' | 'open'): void {
    try {
      if (what === 'all') this.store.writeEngine(JSON.stringify(this.engine.save(this.clock.now())));
      this.store.writeOpen(JSON.stringify(this.engine.saveOpen()));
      if (what === 'all') this.dirty = false;
      if (this.saveError) this.io.log.log('the alert state is saved again');
      this.saveError = undefined;
    } catch (e) {
      if (!this.saveError)
        this.io.log.error(`could not save the alert state to ${this.store.where}: ${errorMessage(e)}`);
      this.saveError = errorMessage(e);
    }
  }

  private limitsFor(msg: Message): (Limits | undefined)[] {
    const { rules, fixed, typed } = this.limits;
    return rules.map((rule, i) => {
      if (!typed[i]) return fixed[i];
      const l = { ...fixed[i] };
      for (const k of LIMIT_KEYS) {
        const v = rule[k];
        if (v === undefined || typeof v === 'number') continue;
        const n = asNumber(this.io.evaluate(v, msg));
        const problem = `${rule.name}/${k}`;
        if (!Number.isFinite(n)) {
          if (!this.badSettings.has(problem))
            this.io.log.warn(`rule "${rule.name}" is skipped while ${k} (${v.type} "${v.value}") is not a number`);
          this.badSettings.add(problem);
          return undefined;
        }
        this.badSettings.delete(problem);
        l[k] = n;
      }
      return l;
    });
  }

  private showStatus(): void {
    this.io.status.set(this.describeStatus);
  }

  private readonly describeStatus = (): Status => {
    if (this.saveError) return { fill: 'red', shape: 'ring', text: 'cannot save state' };
    const open = this.engine.openAlerts();
    const extra = this.engine.untrackedTotal
      ? ` ${compactCount(this.engine.untrackedTotal)} untracked`
      : this.skipped
        ? ` ${compactCount(this.skipped)} skipped`
        : '';
    return { fill: open > 0 ? 'red' : extra ? 'yellow' : 'green', shape: 'dot', text: `${open} firing${extra}` };
  };
}
