// telemetry-alert: streaming rules over readings (thresholds, z-scores, EWMA, flatline, dead-man,
// rate of change), each alert with a pending / firing / recovering / resolved lifecycle. Output 1:
// firing, resolved and reminder events. Output 2: every reading passed on with its scores. Open
// episodes, pending counters and windows are kept in a file under the user directory. The work
// around the engine is lib/alert/alert-runner.ts; here are its settings, files, outputs and timers.

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { AlertEngine, fixedLimits } from '../lib/alert/alert-engine';
import { AlertRunner, LIMIT_KEYS } from '../lib/alert/alert-runner';
import { AlertStateFiles } from '../lib/alert/alert-state';
import type { Limits } from '../lib/alert/detector';
import { RuleSpec, checkRules, referenceRules } from '../lib/alert/rules';
import { CONFIG_VERSION, errorMessage, numberSetting, oneOf, withDefaults } from '../lib/settings';
import type { Done, Send } from '../runtime/input-callbacks';
import { nodeLog } from '../runtime/node-log';
import { ThrottledStatus } from '../runtime/node-status';
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

export = function (RED: NodeAPI) {
  function TelemetryAlertNode(this: Node, raw: NodeDef & Partial<AlertConfig>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    const files = new AlertStateFiles(nodeStatePath(RED, 'alert', node.id));
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

    const alerts =
      engine &&
      new AlertRunner(engine, { rules, fixed, typed }, files, {
        sendEvents: (events) => node.send([events, null]),
        evaluate: (v, msg): unknown => RED.util.evaluateNodeProperty(v.value, v.type, node, msg),
        status,
        log: nodeLog(node, 'telemetry-alert'),
      });

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        if (!alerts) return done(new Error(setupError));
        const refused = alerts.input(msg, send);
        if (refused !== undefined) return done(new Error(`telemetry-alert: ${refused}`));
        done();
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });

    if (alerts) {
      // With the node's clock, dead-man and forgetting silent series run on a timer; with the
      // readings' clock, after each message.
      let checkMs = 1000;
      if (engine?.clock === 'system') {
        try {
          checkMs = numberSetting(c.checkSec, 'Check every (s)', { min: 0.05, max: 3600 }) * 1000;
        } catch (err) {
          node.warn(`telemetry-alert: ${errorMessage(err)}; checking every second`);
        }
      }
      alerts.start(checkMs);
    }

    node.on('close', (removed: boolean, done: () => void) => {
      if (alerts) alerts.close(removed);
      else if (removed) files.remove();
      status.stop();
      done();
    });
  }
  RED.nodes.registerType('telemetry-alert', TelemetryAlertNode);
};
