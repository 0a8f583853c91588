// telemetry-simulator: a reproducible fleet of sensors with faults on demand. It sends one message
// per reading (msg.topic per device, ready for an mqtt out node) or one array per interval.
// Controlled by messages: start, stop, pause, resume, rate, fault, advance (manual clock).

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { FleetSpec, checkFleetSpec, referenceFleet } from '../lib/simulator/fleet-spec';
import {
  Emission,
  FAULT_KINDS,
  FaultKind,
  FaultRule,
  FleetSimulator,
  SIMULATOR_DEFAULTS,
} from '../lib/simulator/fleet-simulator';
import { describeType } from '../lib/describe';
import { isPlainObject } from '../lib/schema/schema';
import { CONFIG_VERSION, errorMessage, numberSetting, oneOf, withDefaults } from '../lib/settings';
import { parseTimestamp } from '../lib/timestamps';
import type { Done, Send } from '../runtime/input-callbacks';
import { compactCount, ThrottledStatus } from '../runtime/node-status';

interface SimulatorConfig {
  name: string;
  version: number;
  fleet: string; // '' = the reference fleet, else JSON
  seed: string;
  intervalSec: number | string;
  mode: 'spread' | 'array';
  topic: string;
  autoStart: boolean;
  startTime: string; // '' = now; ISO 8601 or epoch
  speed: number | string; // simulated seconds per real second
  clock: 'real' | 'manual';
  utcOffset: string; // '' = this machine's zone, else minutes east of UTC
  faults: FaultRule[];
}

const DEFAULTS: SimulatorConfig = {
  name: '',
  version: CONFIG_VERSION,
  fleet: '',
  seed: 'factory-1',
  intervalSec: SIMULATOR_DEFAULTS.intervalMs / 1000,
  mode: SIMULATOR_DEFAULTS.mode,
  topic: SIMULATOR_DEFAULTS.topicTemplate,
  autoStart: true,
  startTime: '',
  speed: 1,
  clock: 'real',
  utcOffset: '',
  faults: [],
};

// A busy fleet is sent in slices at most this often rather than one timer per reading.
const MIN_TICK_MS = 20;
// Most messages one tick sends: a fleet that falls behind (a huge fleet, a high speed) catches up
// in slices instead of building one burst that could exhaust memory.
const MAX_MESSAGES_PER_TICK = 20_000;
// Most readings one advance command may produce at once.
const MAX_READINGS_PER_ADVANCE = 2_000_000;

export = function (RED: NodeAPI) {
  function TelemetrySimulatorNode(this: Node, raw: NodeDef & Partial<SimulatorConfig>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node, 1000);
    let fleet: FleetSpec | undefined;
    let c: SimulatorConfig = DEFAULTS;
    let intervalMs = SIMULATOR_DEFAULTS.intervalMs;
    let speed = 1;
    let utcOffsetMinutes: number | undefined;
    let faultRules: FaultRule[] = [];
    let setupError: string | undefined;
    try {
      c = withDefaults(raw, DEFAULTS);
      fleet = c.fleet.trim() === '' ? referenceFleet() : checkFleetSpec(JSON.parse(c.fleet));
      intervalMs = numberSetting(c.intervalSec, 'Interval (s)', { min: 0.001 }) * 1000;
      speed = numberSetting(c.speed, 'Speed', { min: 0.001, max: 1e6 });
      oneOf(c.mode, ['spread', 'array'], 'Output');
      oneOf(c.clock, ['real', 'manual'], 'Clock');
      utcOffsetMinutes =
        c.utcOffset.trim() === ''
          ? undefined
          : numberSetting(c.utcOffset, 'UTC offset (minutes)', { min: -840, max: 840 });
      faultRules = c.faults.map((f) => checkFault(f, true));
    } catch (e) {
      setupError = errorMessage(e);
      node.error(setupError);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    let sim: FleetSimulator | undefined;
    let state: 'stopped' | 'running' | 'paused' = 'stopped';
    let timer: NodeJS.Timeout | undefined;
    // Simulated time = simAtAnchor + (real time since anchor) * speed, while running.
    let anchorReal = 0;
    let simAtAnchor = 0;

    const simNow = (): number =>
      c.clock === 'manual' || state !== 'running' ? simAtAnchor : simAtAnchor + (Date.now() - anchorReal) * speed;

    const showStatus = () => {
      if (!sim) return status.now({ fill: 'grey', shape: 'ring', text: 'stopped' });
      const s = sim;
      status.set(() => {
        const rate = s.ratePerSecond;
        const text = `${s.devices.length} dev ${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s ${compactCount(s.readingsSent)}`;
        return { fill: state === 'running' ? 'green' : 'yellow', shape: state === 'running' ? 'dot' : 'ring', text };
      });
    };

    const sendAll = (emissions: Emission[]) => {
      for (const e of emissions) {
        node.send({ topic: e.topic, payload: e.payload, ...(e.faults ? { simulatedFaults: e.faults } : {}) });
      }
    };

    const clearTimer = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };

    const schedule = () => {
      clearTimer();
      if (!sim || state !== 'running' || c.clock === 'manual') return;
      const waitMs = Math.max(MIN_TICK_MS, (sim.nextTickMs - simNow()) / speed);
      timer = setTimeout(tick, Math.min(waitMs, 2_147_000_000));
    };

    function tick() {
      timer = undefined;
      try {
        if (sim && state === 'running') sendAll(sim.advance(simNow(), MAX_MESSAGES_PER_TICK));
        showStatus();
      } catch (e) {
        node.error(`telemetry-simulator: ${errorMessage(e)}`);
      }
      schedule();
    }

    const start = (startMs?: number) => {
      if (!fleet) throw new Error(setupError);
      const configured = c.startTime.trim() === '' ? undefined : parseStart(c.startTime);
      const t0 = startMs ?? configured ?? Date.now();
      sim = new FleetSimulator(fleet, {
        seed: String(c.seed),
        startMs: t0,
        intervalMs,
        mode: c.mode,
        topicTemplate: c.topic || SIMULATOR_DEFAULTS.topicTemplate,
        utcOffsetMinutes,
        faults: faultRules,
      });
      simAtAnchor = t0;
      anchorReal = Date.now();
      state = 'running';
      schedule();
      showStatus();
    };

    const pause = () => {
      if (state !== 'running') return;
      simAtAnchor = simNow();
      state = 'paused';
      clearTimer();
      showStatus();
    };

    const resume = () => {
      if (!sim || state !== 'paused') return;
      // Devices were off while paused: no backlog of readings is sent for that time.
      anchorReal = Date.now();
      sim.skipTo(simAtAnchor);
      state = 'running';
      schedule();
      showStatus();
    };

    const stop = () => {
      clearTimer();
      sim = undefined;
      state = 'stopped';
      showStatus();
    };

    node.on('input', (msg: NodeMessageInFlow, _send: Send, done: Done) => {
      try {
        const cmd = readCommand(msg.payload);
        switch (cmd.command) {
          case 'start':
            start(cmd.startTime === undefined ? undefined : parseStart(cmd.startTime));
            break;
          case 'stop':
            stop();
            break;
          case 'pause':
            pause();
            break;
          case 'resume':
            resume();
            break;
          case 'rate': {
            const sec = numberSetting(cmd.intervalSec, 'intervalSec', { min: 0.001 });
            intervalMs = sec * 1000;
            sim?.setInterval(intervalMs);
            schedule();
            showStatus();
            break;
          }
          case 'fault': {
            const rule = checkFault(cmd, false);
            if (!sim) throw new Error('the simulator is stopped: send "start" before injecting a fault');
            const reached = sim.injectFault(rule, simNow());
            if (reached === 0) throw new Error(`no device matches "${rule.device}"`);
            break;
          }
          case 'advance': {
            if (c.clock !== 'manual') throw new Error('"advance" needs the clock set to manual');
            // With a start time, a replay from that moment (again the same readings for the same
            // seed and start); without one, on from where the last advance ended.
            if (cmd.startTime !== undefined) start(parseStart(cmd.startTime));
            else if (!sim) start();
            const ms = numberSetting(cmd.ms, 'ms', { min: 0 });
            const due = sim!.readingsDueBy(simAtAnchor + ms);
            if (due > MAX_READINGS_PER_ADVANCE) {
              throw new Error(
                `advancing ${ms} ms would make ${due} readings at once; the limit is ${MAX_READINGS_PER_ADVANCE}: advance in smaller steps`,
              );
            }
            simAtAnchor += ms;
            sendAll(sim!.advance(simAtAnchor));
            showStatus();
            break;
          }
        }
        done();
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimer();
      status.stop();
      sim = undefined;
      state = 'stopped';
      done();
    });

    if (!setupError) {
      if (c.autoStart) {
        // Start once the flows are running, so the first readings have somewhere to go.
        timer = setTimeout(() => {
          timer = undefined;
          try {
            start();
          } catch (e) {
            node.error(`telemetry-simulator: ${errorMessage(e)}`);
          }
        }, 100);
      } else {
        showStatus();
      }
    }
  }
  RED.nodes.registerType('telemetry-simulator', TelemetrySimulatorNode);
};

type Command =
  | { command: 'start'; startTime?: unknown }
  | { command: 'stop' | 'pause' | 'resume' }
  | { command: 'rate'; intervalSec: unknown }
  | ({ command: 'fault' } & Record<string, unknown>)
  | { command: 'advance'; ms: unknown; startTime?: unknown };

const COMMANDS = ['start', 'stop', 'pause', 'resume', 'rate', 'fault', 'advance'];

function readCommand(payload: unknown): Command {
  const obj = typeof payload === 'string' ? { command: payload.trim().toLowerCase() } : payload;
  if (!isPlainObject(obj) || typeof obj.command !== 'string' || !COMMANDS.includes(obj.command)) {
    throw new Error(
      `unknown command; send msg.payload "start", "stop", "pause" or "resume", or {"command": one of ${COMMANDS.join(', ')}, …}`,
    );
  }
  return obj as unknown as Command;
}

function checkFault(raw: Record<string, unknown> | FaultRule, needsRate: boolean): FaultRule {
  const f = raw as Record<string, unknown>;
  if (!FAULT_KINDS.includes(f.kind as FaultKind))
    throw new Error(`fault kind must be one of ${FAULT_KINDS.join(', ')}, got "${String(f.kind)}"`);
  if (f.device !== undefined && typeof f.device !== 'string')
    throw new Error(`fault device must be a device id or "*", not ${describeType(f.device)}`);
  const rule: FaultRule = { kind: f.kind as FaultKind, rate: 1, device: f.device ?? '*' };
  if (needsRate) rule.rate = numberSetting(f.rate, `fault "${rule.kind}" rate`, { min: 0, max: 1 });
  if (f.durationSec !== undefined) rule.durationMs = numberSetting(f.durationSec, 'durationSec', { min: 0 }) * 1000;
  if (f.durationMs !== undefined) rule.durationMs = numberSetting(f.durationMs, 'durationMs', { min: 0 });
  if (f.delaySec !== undefined) rule.delayMs = numberSetting(f.delaySec, 'delaySec', { min: 0 }) * 1000;
  if (f.delayMs !== undefined) rule.delayMs = numberSetting(f.delayMs, 'delayMs', { min: 0 });
  if (f.magnitude !== undefined) rule.magnitude = numberSetting(f.magnitude, 'magnitude', { min: 0 });
  return rule;
}

function parseStart(v: unknown): number {
  const t = parseTimestamp(v);
  if (typeof t === 'string') throw new Error(`start time ${t}`);
  return t.ms;
}
