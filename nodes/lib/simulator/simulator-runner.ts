// telemetry-simulator's control, without Node-RED: a FleetSimulator driven by the clock (simulated
// time runs at `speed` simulated seconds per real second) or, with the manual clock, only by
// advance commands; started, paused, resumed, stopped and re-rated by commands. One timer at a
// time: the next tick, or the start a moment after the flows run.

import { errorMessage, numberSetting } from '../settings';
import { Clock, Status, Timers, compactCount, systemClock, systemTimers } from '../node-io';
import type { FleetSpec } from './fleet-spec';
import { Emission, FaultRule, FleetSimulator } from './fleet-simulator';
import { checkFault, parseStart, readCommand } from './simulator-commands';

const LABEL = 'telemetry-simulator';
// A busy fleet is sent in slices at most this often rather than one timer per reading.
const MIN_TICK_MS = 20;
// Most messages one tick sends: a fleet that falls behind (a huge fleet, a high speed) catches up
// in slices instead of building one burst that could exhaust memory.
const MAX_MESSAGES_PER_TICK = 20_000;
// Most readings one advance command may produce at once.
const MAX_READINGS_PER_ADVANCE = 2_000_000;
// Below setTimeout's longest wait (2^31 - 1 ms): a longer one ends in a tick with nothing due.
const LONGEST_WAIT_MS = 2_147_000_000;

export interface SimulatorRunSettings {
  /** Undefined when the node's settings are unusable: a start then fails with `setupError`. */
  fleet?: FleetSpec;
  setupError?: string;
  seed: string;
  /** The start time as set ('' = now), read at each start. */
  startTime: string;
  intervalMs: number;
  speed: number;
  mode: 'spread' | 'array';
  topicTemplate: string;
  clock: 'real' | 'manual';
  utcOffsetMinutes?: number;
  faults: FaultRule[];
}

/** One reading (spread) or one interval's readings (array), ready for an mqtt out node. */
export type SimulatorMessage = { topic: string; payload: unknown; simulatedFaults?: Emission['faults'] };

export interface SimulatorHost {
  send(msg: SimulatorMessage): void;
  /** A tick or the delayed start failed, with no message to answer. */
  error(message: string): void;
  /** status() has changed. */
  statusChanged(): void;
}

export class SimulatorRunner {
  private sim?: FleetSimulator;
  private state: 'stopped' | 'running' | 'paused' = 'stopped';
  /** The next tick or the delayed start (undefined when neither is waiting). */
  private timer: unknown;
  // Simulated time = simAtAnchor + (real time since anchorReal) * speed, while running.
  private anchorReal = 0;
  private simAtAnchor = 0;
  private intervalMs: number;

  constructor(
    private readonly settings: SimulatorRunSettings,
    private readonly host: SimulatorHost,
    private readonly time: Clock & Timers = { ...systemClock, ...systemTimers },
  ) {
    this.intervalMs = settings.intervalMs;
  }

  /** No fleet: never started, or stopped. */
  get stopped(): boolean {
    return !this.sim;
  }

  /** Starts after `delayMs`; a command before then that clears the timer (start, stop, rate)
   *  cancels it. */
  startSoon(delayMs: number): void {
    this.timer = this.time.setTimeout(() => {
      this.timer = undefined;
      try {
        this.start();
      } catch (e) {
        this.host.error(`${LABEL}: ${errorMessage(e)}`);
      }
    }, delayMs);
  }

  /** Carries out msg.payload; throws why it cannot. */
  command(payload: unknown): void {
    const cmd = readCommand(payload);
    switch (cmd.command) {
      case 'start':
        return this.start(cmd.startTime === undefined ? undefined : parseStart(cmd.startTime));
      case 'stop':
        return this.stop();
      case 'pause':
        return this.pause();
      case 'resume':
        return this.resume();
      case 'rate':
        return this.rate(cmd.intervalSec);
      case 'fault':
        return this.fault(cmd);
      case 'advance':
        return this.advance(cmd.ms, cmd.startTime);
    }
  }

  /** Nothing more is sent; no status is shown (the node is going). */
  close(): void {
    this.clearTimer();
    this.sim = undefined;
    this.state = 'stopped';
  }

  status(): Status {
    const s = this.sim;
    if (!s) return { fill: 'grey', shape: 'ring', text: 'stopped' };
    const rate = s.ratePerSecond;
    const text = `${s.devices.length} dev ${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s ${compactCount(s.readingsSent)}`;
    const running = this.state === 'running';
    return { fill: running ? 'green' : 'yellow', shape: running ? 'dot' : 'ring', text };
  }

  private simNow(): number {
    return this.settings.clock === 'manual' || this.state !== 'running'
      ? this.simAtAnchor
      : this.simAtAnchor + (this.time.now() - this.anchorReal) * this.settings.speed;
  }

  private start(startMs?: number): void {
    const s = this.settings;
    if (!s.fleet) throw new Error(s.setupError);
    const configured = s.startTime.trim() === '' ? undefined : parseStart(s.startTime);
    const t0 = startMs ?? configured ?? this.time.now();
    this.sim = new FleetSimulator(s.fleet, {
      seed: s.seed,
      startMs: t0,
      intervalMs: this.intervalMs,
      mode: s.mode,
      topicTemplate: s.topicTemplate,
      utcOffsetMinutes: s.utcOffsetMinutes,
      faults: s.faults,
    });
    this.simAtAnchor = t0;
    this.anchorReal = this.time.now();
    this.state = 'running';
    this.schedule();
    this.host.statusChanged();
  }

  private pause(): void {
    if (this.state !== 'running') return;
    this.simAtAnchor = this.simNow();
    this.state = 'paused';
    this.clearTimer();
    this.host.statusChanged();
  }

  private resume(): void {
    if (!this.sim || this.state !== 'paused') return;
    // Devices were off while paused: no backlog of readings is sent for that time.
    this.anchorReal = this.time.now();
    this.sim.skipTo(this.simAtAnchor);
    this.state = 'running';
    this.schedule();
    this.host.statusChanged();
  }

  private stop(): void {
    this.close();
    this.host.statusChanged();
  }

  /** A new interval, for the fleet running and for the next start. */
  private rate(intervalSec: unknown): void {
    this.intervalMs = numberSetting(intervalSec, 'intervalSec', { min: 0.001 }) * 1000;
    this.sim?.setInterval(this.intervalMs);
    this.schedule();
    this.host.statusChanged();
  }

  private fault(cmd: Record<string, unknown>): void {
    const rule = checkFault(cmd, false);
    if (!this.sim) throw new Error('the simulator is stopped: send "start" before injecting a fault');
    const reached = this.sim.injectFault(rule, this.simNow());
    if (reached === 0) throw new Error(`no device matches "${rule.device}"`);
  }

  private advance(msValue: unknown, startTime: unknown): void {
    if (this.settings.clock !== 'manual') throw new Error('"advance" needs the clock set to manual');
    // With a start time, a replay from that moment (again the same readings for the same seed and
    // start); without one, on from where the last advance ended.
    if (startTime !== undefined) this.start(parseStart(startTime));
    else if (!this.sim) this.start();
    const sim = this.sim!;
    const ms = numberSetting(msValue, 'ms', { min: 0 });
    const due = sim.readingsDueBy(this.simAtAnchor + ms);
    if (due > MAX_READINGS_PER_ADVANCE) {
      throw new Error(
        `advancing ${ms} ms would make ${due} readings at once; the limit is ${MAX_READINGS_PER_ADVANCE}: advance in smaller steps`,
      );
    }
    this.simAtAnchor += ms;
    this.sendAll(sim.advance(this.simAtAnchor));
    this.host.statusChanged();
  }

  private schedule(): void {
    this.clearTimer();
    if (!this.sim || this.state !== 'running' || this.settings.clock === 'manual') return;
    const waitMs = Math.max(MIN_TICK_MS, (this.sim.nextTickMs - this.simNow()) / this.settings.speed);
    this.timer = this.time.setTimeout(() => this.tick(), Math.min(waitMs, LONGEST_WAIT_MS));
  }

  private tick(): void {
    this.timer = undefined;
    try {
      if (this.sim && this.state === 'running') this.sendAll(this.sim.advance(this.simNow(), MAX_MESSAGES_PER_TICK));
      this.host.statusChanged();
    } catch (e) {
      this.host.error(`${LABEL}: ${errorMessage(e)}`);
    }
    this.schedule();
  }

  private sendAll(emissions: Emission[]): void {
    for (const e of emissions)
      this.host.send({ topic: e.topic, payload: e.payload, ...(e.faults ? { simulatedFaults: e.faults } : {}) });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.time.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
