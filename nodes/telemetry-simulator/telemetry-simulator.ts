// telemetry-simulator: a reproducible fleet of sensors with faults on demand. It sends one message
// per reading (msg.topic per device, ready for an mqtt out node) or one array per interval.
// Controlled by messages: start, stop, pause, resume, rate, fault, advance (manual clock), which
// lib/simulator/simulator-runner.ts carries out; here are the settings and the Node-RED side.

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { counted, meterOf } from '../runtime/node-metrics';
import { FleetSpec, checkFleetSpec, referenceFleet } from '../lib/simulator/fleet-spec';
import { FaultRule, SIMULATOR_DEFAULTS } from '../lib/simulator/fleet-simulator';
import { checkFault } from '../lib/simulator/simulator-commands';
import { SimulatorRunner } from '../lib/simulator/simulator-runner';
import { errorMessage } from '../lib/settings';
import type { Done, Send } from '../runtime/input-callbacks';
import { ThrottledStatus } from '../runtime/node-status';
import { settings } from './settings';

export = function (RED: NodeAPI) {
  function TelemetrySimulatorNode(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const meter = meterOf(node);
    const status = new ThrottledStatus(node, 1000);
    let fleet: FleetSpec | undefined;
    let c = settings.defaults();
    let intervalMs = SIMULATOR_DEFAULTS.intervalMs;
    let speed = 1;
    let utcOffsetMinutes: number | undefined;
    let faultRules: FaultRule[] = [];
    let setupError: string | undefined;
    try {
      c = settings.read(raw);
      fleet = c.fleet.trim() === '' ? referenceFleet() : checkFleetSpec(JSON.parse(c.fleet));
      intervalMs = c.intervalSec * 1000;
      speed = c.speed;
      utcOffsetMinutes = c.utcOffset.trim() === '' ? undefined : Number(c.utcOffset);
      faultRules = c.faults.map((f) => checkFault(f, true));
    } catch (e) {
      setupError = errorMessage(e);
      node.error(setupError);
      status.now({ fill: 'red', shape: 'ring', text: 'invalid settings' });
    }

    const runner = new SimulatorRunner(
      {
        fleet,
        setupError,
        seed: String(c.seed),
        startTime: c.startTime,
        intervalMs,
        speed,
        mode: c.mode,
        topicTemplate: c.topic || SIMULATOR_DEFAULTS.topicTemplate,
        clock: c.clock,
        utcOffsetMinutes,
        faults: faultRules,
      },
      {
        send: (msg) => node.send(msg),
        error: (message) => node.error(message),
        // Stopped is shown at once; a running fleet's counts at most once a second.
        statusChanged: () => (runner.stopped ? status.now(runner.status()) : status.set(() => runner.status())),
      },
    );

    node.on(
      'input',
      counted(meter, (msg: NodeMessageInFlow, _send: Send, done: Done) => {
        try {
          runner.command(msg.payload);
          done();
        } catch (e) {
          done(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      runner.close();
      status.stop();
      done();
    });

    if (!setupError) {
      // Start once the flows are running, so the first readings have somewhere to go.
      if (c.autoStart) runner.startSoon(100);
      else status.now(runner.status());
    }
  }
  RED.nodes.registerType('telemetry-simulator', TelemetrySimulatorNode);
};
