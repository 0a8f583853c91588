// The pipeline's own metrics as they land in InfluxDB 3 (database iot-pipeline, table
// pipeline_metrics) when Telegraf scrapes Node-RED's Prometheus endpoint every 10 s with
// metric_version 2: one line per metric series per scrape, the series' labels as tags (an empty
// node name is no tag), the value in a field named after the metric, always a float. Made up here,
// in exactly that format, for the dashboards' tests until the pack's own renderer can be used.

export const METRICS_DATABASE = 'iot-pipeline';
export const METRICS_TABLE = 'pipeline_metrics';

interface Node {
  type: string;
  node: string;
  name: string;
}

const MQTT: Node = { type: 'telemetry-mqtt-in', node: 'mqttin0000000001', name: 'fleet' };
const VALIDATE: Node = { type: 'telemetry-validate', node: 'validate00000001', name: '' };
const WRITE: Node = { type: 'influxdb3-write', node: 'writeraw00000001', name: 'raw readings' };
const DS5: Node = { type: 'influxdb3-downsample', node: 'ds5min0000000001', name: '5 min' };
const DS60: Node = { type: 'influxdb3-downsample', node: 'ds1hour000000001', name: '1 hour' };
const ALERT: Node = { type: 'telemetry-alert', node: 'alert00000000001', name: 'rules' };
const EMAIL: Node = { type: 'telemetry-alert-email', node: 'email00000000001', name: '' };

export const REFUSAL_REASONS = ['invalid_value', 'missing_field', 'out_of_range', 'malformed_json'];
export const STORES = ['spool', 'journal', 'outbox', 'buffer'];
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const escapeTag = (v: string) => v.replace(/[,= \\]/g, (c) => `\\${c}`);

/** One line of metric_version 2: tags sorted as Telegraf writes them, the value a float. */
export function metricLine(
  field: string,
  n: Node,
  labels: Record<string, string>,
  value: number,
  timeMs: number,
): string {
  const tags: Record<string, string> = { type: n.type, node: n.node, ...labels };
  if (n.name !== '') tags.name = n.name;
  const tagText = Object.keys(tags)
    .sort()
    .map((k) => `,${k}=${escapeTag(tags[k])}`)
    .join('');
  // A float in line protocol: no `i` suffix; 12 is a float, as Telegraf writes it.
  return `${METRICS_TABLE}${tagText} ${field}=${value} ${timeMs}`;
}

export interface MetricsOptions {
  startMs: number;
  endMs: number;
  /** Node-RED restarts here: every counter starts again from 0. */
  restartAtMs?: number;
  /** Messages (each one reading) per second into the pipeline. */
  messagesPerSecond?: number;
}

/** Lines (millisecond timestamps) for every scrape from startMs to endMs, 10 s apart. */
export function pipelineMetricLines(o: MetricsOptions): string[] {
  const lines: string[] = [];
  const rate = o.messagesPerSecond ?? 16;
  const counters = new Map<string, number>();
  const count = (key: string, add: number) => {
    const v = (counters.get(key) ?? 0) + add;
    counters.set(key, v);
    return v;
  };
  let restarted = false;
  for (let t = o.startMs, i = 0; t < o.endMs; t += 10_000, i++) {
    if (o.restartAtMs !== undefined && !restarted && t >= o.restartAtMs) {
      counters.clear();
      restarted = true;
    }
    const L = (field: string, n: Node, labels: Record<string, string>, v: number) =>
      lines.push(metricLine(field, n, labels, v, t));
    const msgs = rate * 10;
    const refused = i % 7 === 0 ? 2 : 0;
    L('telemetry_messages_out_total', MQTT, {}, count('mqtt out', msgs));
    L('telemetry_mqtt_connected', MQTT, {}, i % 360 === 5 ? 0 : 1);
    L('telemetry_mqtt_redeliveries_total', MQTT, {}, count('redeliveries', i % 50 === 0 ? 1 : 0));
    L('telemetry_messages_in_total', VALIDATE, {}, count('validate in', msgs));
    L('telemetry_messages_out_total', VALIDATE, {}, count('validate out', msgs - refused));
    L('telemetry_readings_in_total', VALIDATE, {}, count('readings in', msgs));
    L('telemetry_readings_out_total', VALIDATE, {}, count('readings out', msgs - refused));
    REFUSAL_REASONS.forEach((reason, k) =>
      L(
        'telemetry_readings_refused_total',
        VALIDATE,
        { reason },
        count(`refused ${reason}`, k === i % 4 ? refused : 0),
      ),
    );
    // Four writes per scrape interval, 20 to 60 ms each.
    const durations = [0.02, 0.03, 0.045, 0.06];
    BUCKETS.forEach((le) =>
      L(
        'influxdb3_write_duration_seconds_bucket',
        WRITE,
        { le: String(le) },
        count(`le ${le}`, durations.filter((d) => d <= le).length),
      ),
    );
    L('influxdb3_write_duration_seconds_bucket', WRITE, { le: '+Inf' }, count('le +Inf', durations.length));
    L('influxdb3_write_duration_seconds_sum', WRITE, {}, count('duration sum', 0.155));
    L('influxdb3_write_duration_seconds_count', WRITE, {}, count('duration count', durations.length));
    L('influxdb3_lines_written_total', WRITE, {}, count('lines written', msgs - refused));
    L('influxdb3_lines_refused_total', WRITE, {}, count('lines refused', 0));
    for (const [n, store] of [
      [WRITE, 'buffer'],
      [WRITE, 'spool'],
      [ALERT, 'journal'],
      [EMAIL, 'outbox'],
    ] as const) {
      L('telemetry_queued_bytes', n, { store }, store === 'buffer' ? (i % 10) * 1200 : 0);
      L('telemetry_queued_items', n, { store }, store === 'buffer' ? (i % 10) * 16 : 0);
    }
    const lastFive = Math.floor((t - 60_000) / 300_000) * 300_000;
    L('influxdb3_downsample_backlog_buckets', DS5, {}, 0);
    L('influxdb3_downsample_last_bucket_seconds', DS5, {}, lastFive / 1000);
    L('influxdb3_downsample_backlog_buckets', DS60, {}, 0);
    L('influxdb3_downsample_last_bucket_seconds', DS60, {}, Math.floor(lastFive / 3_600_000) * 3600 - 3600);
    for (const severity of ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])
      L('telemetry_alerts_firing', ALERT, { severity }, severity === 'LOW' ? Math.min(80, Math.floor(i / 360)) : 0);
    L('telemetry_emails_sent_total', EMAIL, {}, count('emails sent', i % 30 === 0 ? 1 : 0));
    L('telemetry_emails_failed_total', EMAIL, {}, count('emails failed', 0));
    L('telemetry_emails_queued', EMAIL, {}, 0);
  }
  return lines;
}
