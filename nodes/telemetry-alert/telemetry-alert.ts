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
import { RuleSpec } from '../lib/alert/rules';
import { errorMessage } from '../lib/settings';
import type { Done, Send } from '../runtime/input-callbacks';
import { nodeLog } from '../runtime/node-log';
import { counted, meterOf } from '../runtime/node-metrics';
import { ThrottledStatus } from '../runtime/node-status';
import { nodeStatePath } from '../runtime/state-path';
import { rulesOf, settings } from './settings';

export = function (RED: NodeAPI) {
  function TelemetryAlertNode(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = new ThrottledStatus(node);
    const meter = meterOf(node);
    const files = new AlertStateFiles(nodeStatePath(RED, 'alert', node.id));
    let engine: AlertEngine | undefined;
    let rules: RuleSpec[] = [];
    let fixed: Limits[] = [];
    let typed: boolean[] = [];
    let setupError: string | undefined;
    let c = settings.defaults();
    try {
      c = settings.read(raw);
      rules = rulesOf(c.rules);
      fixed = rules.map(fixedLimits);
      typed = rules.map((r) => LIMIT_KEYS.some((k) => r[k] !== undefined && typeof r[k] !== 'number'));
      engine = new AlertEngine({
        rules,
        seriesKey: c.seriesKey.trim(),
        tagKeys: c.tagKeys
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        timestampKey: c.timestampKey.trim(),
        maxSeries: c.maxSeries,
        forgetAfterMs: c.forgetAfter * 1000,
        clock: c.clock,
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

    if (engine) meter.readings.alertsFiring = () => engine.firingBySeverity();
    node.on(
      'input',
      counted(meter, (msg: NodeMessageInFlow, send: Send, done: Done) => {
        try {
          if (!alerts) return done(new Error(setupError));
          const refused = alerts.input(msg, send);
          meter.readingsIn = meter.readingsOut = alerts.readingsJudged;
          if (refused !== undefined) {
            meter.readingsIn++;
            meter.refuse('no_readings');
            return done(new Error(`telemetry-alert: ${refused}`));
          }
          done();
        } catch (e) {
          done(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );

    if (alerts) {
      // With the node's clock, dead-man and forgetting silent series run on a timer; with the
      // readings' clock, after each message.
      alerts.start(engine?.clock === 'system' ? c.checkSec * 1000 : 1000);
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
