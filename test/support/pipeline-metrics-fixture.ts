// A day of the pipeline's own metrics as telemetry-metrics writes them (database iot-pipeline,
// table pipeline_metrics), for the dashboards' tests: the pack's real registry and line renderer
// (lib/metrics), fed by meters of a made-up flow at a steady pace, read every 10 s, with a
// restart in the middle (every counter starts again from 0, as after a Node-RED restart).

import { NodeMeter, PipelineMetrics } from '../../nodes/lib/metrics/pipeline-metrics';
import { METRICS_TABLE, metricsLines } from '../../nodes/lib/metrics/metrics-lines';

export const METRICS_DATABASE = 'iot-pipeline';
export { METRICS_TABLE };

export const REFUSAL_REASONS = ['wrong_type', 'missing_field', 'out_of_range', 'malformed_json'];

export interface MetricsOptions {
  startMs: number;
  endMs: number;
  /** Node-RED restarts here: every counter starts again from 0. */
  restartAtMs?: number;
  /** Messages (each one reading) per second into the pipeline. */
  messagesPerSecond?: number;
}

interface Flow {
  mqtt: NodeMeter;
  validate: NodeMeter;
  write: NodeMeter;
  ds5: NodeMeter;
  ds60: NodeMeter;
  alert: NodeMeter;
  email: NodeMeter;
}

function flow(metrics: PipelineMetrics): Flow {
  const m = (type: string, id: string, name?: string) => metrics.meter({ type, id, name });
  return {
    mqtt: m('telemetry-mqtt-in', 'mqttin0000000001', 'fleet'),
    validate: m('telemetry-validate', 'validate00000001'),
    write: m('influxdb3-write', 'writeraw00000001', 'raw readings'),
    ds5: m('influxdb3-downsample', 'ds5min0000000001', '5 min'),
    ds60: m('influxdb3-downsample', 'ds1hour000000001', '1 hour'),
    alert: m('telemetry-alert', 'alert00000000001', 'rules'),
    email: m('telemetry-alert-email', 'email00000000001'),
  };
}

/** Lines (millisecond timestamps) for every scrape from startMs to endMs, 10 s apart. */
export async function pipelineMetricLines(o: MetricsOptions): Promise<string[]> {
  const lines: string[] = [];
  const rate = o.messagesPerSecond ?? 16;
  const metrics = new PipelineMetrics();
  let f = flow(metrics);
  let restarted = false;
  for (let t = o.startMs, i = 0; t < o.endMs; t += 10_000, i++) {
    if (o.restartAtMs !== undefined && !restarted && t >= o.restartAtMs) {
      for (const meter of Object.values(f)) meter.close();
      f = flow(metrics);
      restarted = true;
    }
    const msgs = rate * 10;
    const refused = i % 7 === 0 ? 2 : 0;
    f.mqtt.messagesIn += msgs;
    f.mqtt.messagesOut += msgs;
    if (i % 50 === 0) f.mqtt.mqttRedeliveries++;
    const connected = i % 360 !== 5;
    f.mqtt.readings.mqttConnected = () => connected;
    f.mqtt.readings.waiting = () => ({ journal: { bytes: (i % 10) * 900, items: (i % 10) * 4 } });
    f.validate.messagesIn += msgs;
    f.validate.messagesOut += msgs;
    f.validate.readingsIn += msgs;
    f.validate.readingsOut += msgs - refused;
    if (refused) f.validate.refuse(REFUSAL_REASONS[i % 4], refused);
    // Four writes per scrape interval, 20 to 60 ms each.
    for (const ms of [20, 30, 45, 60]) f.write.observeWrite(ms);
    f.write.messagesIn += 1;
    f.write.linesWritten += msgs - refused;
    const buffered = i % 10;
    f.write.readings.waiting = () => ({
      buffer: { bytes: buffered * 1200, items: buffered * 16 },
      spool: { bytes: 0, items: 0 },
    });
    f.write.readings.writerLines = () => ({ refused: 0, dropped: 0 });
    const lastFive = Math.floor((t - 60_000) / 300_000) * 300_000;
    f.ds5.readings.downsampleBacklog = () => 0;
    f.ds5.readings.downsampleLastBucketMs = () => lastFive;
    f.ds60.readings.downsampleBacklog = () => 0;
    f.ds60.readings.downsampleLastBucketMs = () => Math.floor(lastFive / 3_600_000) * 3_600_000 - 3_600_000;
    const low = Math.min(80, Math.floor(i / 360));
    f.alert.readings.alertsFiring = () => ({ LOW: low, HIGH: 0 });
    if (i % 30 === 0) f.email.emailsSent++;
    f.email.readings.emailsQueued = () => 0;
    lines.push(...(await metricsLines(metrics.registry, t)));
  }
  return lines;
}
