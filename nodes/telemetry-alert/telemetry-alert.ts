// telemetry-alert: streaming rules over readings (thresholds, z-scores, EWMA, flatline, dead-man,
// rate of change), each alert with a pending / firing / recovering / resolved lifecycle. Output 1:
// firing, resolved and reminder events. Output 2: every reading passed on with its scores. Open
// episodes, pending counters and windows are kept in a file under the user directory.

import fs from 'fs';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { AlertEngine, AlertEvent, ProcessResult, fixedLimits } from '../lib/alert/alert-engine';
import type { Limits } from '../lib/alert/detector';
import { RuleSpec, checkRules, referenceRules } from '../lib/alert/rules';
import { readFileIfExists, writeFileAtomic } from '../lib/atomic-file';
import { PAYLOAD_DEFAULTS, decodePayload } from '../lib/schema/payload';
import { CONFIG_VERSION, errorMessage, numberSetting, oneOf, withDefaults } from '../lib/settings';
import { shownText } from '../lib/shown-text';
import type { Done, Send } from '../runtime/input-callbacks';
import { compactCount, ThrottledStatus } from '../runtime/node-status';
import { nodeStatePath } from '../runtime/state-path';

interface AlertConfig {
  name: string;
  version: number;
  rules: unknown;
  seriesKey: string;
  tagKeys: string;
  timestampKey: string;
  maxSeries: number | string;
  forgetAfter: number | string;
  clock: 'system' | 'readings';
  checkSec: number | string;
}

const DEFAULTS: AlertConfig = {
  name: '',
  version: CONFIG_VERSION,
  rules: undefined,
  seriesKey: 'device_id',
  tagKeys: 'device_type,location,floor',
  timestampKey: 'timestamp',
  maxSeries: 10_000,
  forgetAfter: 86_400,
  clock: 'system',
  checkSec: 1,
};

/** Windows and pending counters are saved at most this often; episodes at every change. */
const SAVE_EVERY_MS = 10_000;
const LIMIT_KEYS = ['threshold', 'low', 'high', 'hysteresis', 'limit'] as const;

/** A TypedInput's value as a number: a number, or text that is one; anything else (an unset env
 *  variable is '', a missing context value undefined) is not. */
function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

export = function (RED: NodeAPI) {
  function TelemetryAlertNode(this: Node, raw: NodeDef & Partial<AlertConfig>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    const stateBase = nodeStatePath(RED, 'alert', node.id);
    // Windows and counters (large, saved every 10 s and on stop) and the open alerts (small, saved
    // before any event about them leaves the node).
    const stateFile = `${stateBase}.json`;
    const openFile = `${stateBase}.open.json`;
    let engine: AlertEngine | undefined;
    let rules: RuleSpec[] = [];
    let fixed: Limits[] = [];
    let typed: boolean[] = [];
    let setupError: string | undefined;
    let c = DEFAULTS;
    try {
      c = withDefaults(raw, DEFAULTS);
      rules = checkRules(
        c.rules === undefined || c.rules === ''
          ? referenceRules()
          : typeof c.rules === 'string'
            ? JSON.parse(c.rules)
            : c.rules,
      );
      fixed = rules.map(fixedLimits);
      typed = rules.map((r) => LIMIT_KEYS.some((k) => r[k] !== undefined && typeof r[k] !== 'number'));
      engine = new AlertEngine({
        rules,
        seriesKey: String(c.seriesKey).trim() || 'device_id',
        tagKeys: String(c.tagKeys)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        timestampKey: String(c.timestampKey).trim() || 'timestamp',
        maxSeries: numberSetting(c.maxSeries, 'Max series', { min: 1, integer: true }),
        forgetAfterMs: numberSetting(c.forgetAfter, 'Forget after (s)', { min: 60, max: 365 * 86_400 }) * 1000,
        clock: oneOf(c.clock, ['system', 'readings'] as const, 'Clock'),
      });
    } catch (e) {
      setupError = `telemetry-alert: ${errorMessage(e)}`;
      node.error(setupError);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    let dirty = false;
    let saveError: string | undefined;
    const save = (what: 'all' | 'open') => {
      if (!engine) return;
      try {
        if (what === 'all') writeFileAtomic(stateFile, JSON.stringify(engine.save(Date.now())));
        writeFileAtomic(openFile, JSON.stringify(engine.saveOpen()));
        if (what === 'all') dirty = false;
        if (saveError) node.log('telemetry-alert: the alert state is saved again');
        saveError = undefined;
      } catch (e) {
        if (!saveError)
          node.error(`telemetry-alert: could not save the alert state to ${stateBase}.*: ${errorMessage(e)}`);
        saveError = errorMessage(e);
      }
    };
    if (engine) {
      try {
        const full = readFileIfExists(stateFile);
        const open = readFileIfExists(openFile);
        engine.restore(
          full === undefined ? undefined : JSON.parse(full),
          open === undefined ? undefined : JSON.parse(open),
          Date.now(),
        );
      } catch (e) {
        node.warn(
          `telemetry-alert: the saved alert state in ${stateBase}.* cannot be read (${errorMessage(e)}); starting afresh`,
        );
      }
    }

    let skipped = 0;
    let warnedLimit = false;
    const showStatus = () =>
      status.set(() => {
        if (saveError) return { fill: 'red', shape: 'ring', text: 'cannot save state' };
        const open = engine?.openAlerts() ?? 0;
        const extra = engine?.untrackedTotal
          ? ` ${compactCount(engine.untrackedTotal)} untracked`
          : skipped
            ? ` ${compactCount(skipped)} skipped`
            : '';
        return { fill: open > 0 ? 'red' : extra ? 'yellow' : 'green', shape: 'dot', text: `${open} firing${extra}` };
      });

    /** Output 1 messages, one per event; the state is saved before any of them leaves. */
    const eventMessages = (events: AlertEvent[]): NodeMessage[] => {
      save('open');
      // The topic is for routing (an MQTT out, a switch): shown, so a hostile id cannot break it.
      return events.map((e) => ({ topic: shownText(e.alertId), payload: e }));
    };

    const badSettings = new Set<string>();
    const limitsFor = (msg: NodeMessageInFlow): (Limits | undefined)[] =>
      rules.map((rule, i) => {
        if (!typed[i]) return fixed[i];
        const l = { ...fixed[i] };
        for (const k of LIMIT_KEYS) {
          const v = rule[k];
          if (v === undefined || typeof v === 'number') continue;
          const n = asNumber(RED.util.evaluateNodeProperty(v.value, v.type, node, msg));
          const problem = `${rule.name}/${k}`;
          if (!Number.isFinite(n)) {
            if (!badSettings.has(problem))
              node.warn(
                `telemetry-alert: rule "${rule.name}" is skipped while ${k} (${v.type} "${v.value}") is not a number`,
              );
            badSettings.add(problem);
            return undefined;
          }
          badSettings.delete(problem);
          l[k] = n;
        }
        return l;
      });

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        if (!engine) return done(new Error(setupError));
        const decoded = decodePayload(msg.payload, PAYLOAD_DEFAULTS);
        if (decoded.kind === 'refused')
          return done(new Error(`telemetry-alert: msg.payload holds no readings: ${decoded.error.message}`));
        const readings = decoded.kind === 'one' ? [decoded.reading] : decoded.readings;
        const result: ProcessResult = engine.process(readings, Date.now(), limitsFor(msg));
        if (engine.clock === 'readings') result.events.push(...engine.tick(engine.streamTime));
        // A reading without the field is normal (other device types); the status counts the rest.
        for (const [why, n] of Object.entries(result.skipped)) if (why !== 'missing') skipped += n ?? 0;
        if (result.untracked > 0 && !warnedLimit) {
          warnedLimit = true;
          node.warn(
            `telemetry-alert: ${engine.seriesLimit} series tracked, none silent long enough to give its place; readings of new series are not judged until one does (raise Max series, or lower Forget after)`,
          );
        }
        dirty = true;
        const events = result.events.length > 0 ? eventMessages(result.events) : null;
        // The message is this node's to change (Node-RED clones it for every other wire): the
        // scores go onto the readings themselves, with no copy of each.
        for (let i = 0; i < readings.length; i++) {
          const s = result.scores[i];
          if (s) Object.assign(readings[i] as object, s);
        }
        const passed = msg as NodeMessage & { alert?: object };
        passed.payload = decoded.kind === 'one' ? readings[0] : readings;
        passed.alert = {
          readings: readings.length,
          events: result.events.length,
          judged: result.judged,
          skipped: result.skipped,
          untracked: result.untracked,
        };
        send([events, passed]);
        showStatus();
        done();
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });

    const timers: NodeJS.Timeout[] = [];
    if (engine) {
      const e = engine;
      // With the node's clock, dead-man and forgetting silent series run on this timer; with the
      // readings' clock, after each message.
      if (e.clock === 'system') {
        let checkMs = 1000;
        try {
          checkMs = numberSetting(c.checkSec, 'Check every (s)', { min: 0.05, max: 3600 }) * 1000;
        } catch (err) {
          node.warn(`telemetry-alert: ${errorMessage(err)}; checking every second`);
        }
        timers.push(
          setInterval(() => {
            try {
              const events = e.tick(Date.now());
              if (events.length > 0) {
                node.send([eventMessages(events), null]);
                showStatus();
              }
            } catch (err) {
              node.error(`telemetry-alert: dead-man check failed: ${errorMessage(err)}`);
            }
          }, checkMs),
        );
      }
      timers.push(setInterval(() => dirty && save('all'), SAVE_EVERY_MS));
      showStatus();
    }

    node.on('close', (removed: boolean, done: () => void) => {
      for (const t of timers) clearInterval(t);
      // A node deleted from the flows has nothing left to carry on; any other stop keeps its state.
      if (removed) for (const f of [stateFile, openFile]) fs.rmSync(f, { force: true });
      else if (dirty) save('all');
      status.stop();
      done();
    });
  }
  RED.nodes.registerType('telemetry-alert', TelemetryAlertNode);
};
