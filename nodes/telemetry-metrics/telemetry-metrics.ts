// telemetry-metrics: the pipeline's own health metrics (every node of the pack counts into one
// registry, lib/metrics/pipeline-metrics.ts) as line protocol on an interval, for an
// influxdb3-write node to store, so a dashboard works from the database alone; and, once for the
// whole runtime, the same metrics for Prometheus on the admin path (runtime/node-metrics.ts).

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { metricsLines } from '../lib/metrics/metrics-lines';
import { pipelineMetrics } from '../lib/metrics/pipeline-metrics';
import { errorMessage } from '../lib/settings';
import type { Done, Send } from '../runtime/input-callbacks';
import { serveMetrics } from '../runtime/node-metrics';
import { settings } from './settings';

export = function (RED: NodeAPI) {
  serveMetrics(RED);

  function TelemetryMetrics(this: Node, raw: NodeDef) {
    RED.nodes.createNode(this, raw);
    const node = this;
    let c: ReturnType<typeof settings.read>;
    try {
      c = settings.read(raw);
    } catch (e) {
      node.error(`telemetry-metrics: ${errorMessage(e)}`);
      node.status({ fill: 'red', shape: 'ring', text: 'invalid settings' });
      node.on('input', (_msg: NodeMessageInFlow, _send: Send, done: Done) => done(new Error(errorMessage(e))));
      return;
    }
    const table = c.table.trim();

    /** One message of lines: every series at this moment. */
    const report = (send: Send) =>
      metricsLines(pipelineMetrics.registry, Date.now(), table).then((lines) => {
        node.status({ fill: 'green', shape: 'dot', text: `${lines.length} series · every ${c.intervalSec} s` });
        if (lines.length > 0) send({ topic: table, payload: lines.join('\n'), precision: 'ms' });
      });

    const timer = setInterval(() => {
      report((m) => node.send(m)).catch((e: unknown) => node.error(`telemetry-metrics: ${errorMessage(e)}`));
    }, c.intervalSec * 1000);

    // Any message reports at once (an inject node, a test).
    node.on('input', (_msg: NodeMessageInFlow, send: Send, done: Done) => {
      report(send).then(
        () => done(),
        (e: unknown) => done(new Error(`telemetry-metrics: ${errorMessage(e)}`)),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(timer);
      done();
    });
  }

  RED.nodes.registerType('telemetry-metrics', TelemetryMetrics);
};
