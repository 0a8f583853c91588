// The pipeline's own health, in Prometheus terms (prom-client), per node of the pack: messages and
// readings in, out and refused by reason; write latency; what waits in spools, journals, buffers
// and outboxes; the downsample backlog; alerts firing; emails; the MQTT connection.
//
// A node counts into plain numbers of its NodeMeter, so a message costs an addition, not a label
// lookup; the registry reads every live meter when it is scraped (a metric's collect()). Labels are
// bounded by the flows, never by the data: the node's type, id and name, and for refusals a reason
// code (at most MAX_REASONS a node, the rest counted as "other"). A closed node's series go away.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MeteredNode {
  type: string;
  id: string;
  name?: string;
}

/** Where a node keeps what it has taken and not yet passed on. */
export type Store = 'spool' | 'journal' | 'buffer';

export interface Waiting {
  bytes: number;
  items: number;
}

/** Gauges a node reports by being asked when the registry is scraped. */
export interface MeterReadings {
  waiting?: () => Partial<Record<Store, Waiting>>;
  /** A durable writer's own totals: lines refused by the server or not kept (spool full and set to
   *  refuse, or unwritable), and lines a full spool dropped to keep newer ones. */
  writerLines?: () => { refused: number; dropped: number };
  downsampleBacklog?: () => number;
  /** The end of the last bucket done, ms since the epoch (undefined: none yet). */
  downsampleLastBucketMs?: () => number | undefined;
  /** Alerts firing now, by severity. */
  alertsFiring?: () => Record<string, number>;
  emailsQueued?: () => number;
  mqttConnected?: () => boolean;
}

export const MAX_REASONS = 32;
const OTHER_REASON = 'other';

type NodeLabels = { type: string; node: string; name: string };

/** One node's counts. */
export class NodeMeter {
  messagesIn = 0;
  messagesOut = 0;
  readingsIn = 0;
  readingsOut = 0;
  linesWritten = 0;
  emailsSent = 0;
  emailsFailed = 0;
  mqttRedeliveries = 0;
  readonly refused = new Map<string, number>();
  readings: MeterReadings = {};
  private closed = false;

  constructor(
    readonly labels: NodeLabels,
    private readonly writeDuration: Histogram<string>,
    private readonly onClose: (m: NodeMeter) => void,
  ) {}

  /** Readings (or whole messages) refused, by the code of their reason. */
  refuse(reason: string, n = 1): void {
    const known = this.refused.get(reason);
    if (known !== undefined) this.refused.set(reason, known + n);
    else if (this.refused.size < MAX_REASONS) this.refused.set(reason, n);
    else this.refused.set(OTHER_REASON, (this.refused.get(OTHER_REASON) ?? 0) + n);
  }

  observeWrite(durationMs: number): void {
    // A write that ends while its node closes must not bring the node's series back.
    if (!this.closed) this.writeDuration.observe(this.labels, durationMs / 1000);
  }

  /** The node is gone: its series leave the registry. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}

interface Family {
  help: string;
  labels?: string[];
  /** Its values from one meter, with their extra labels. */
  read(m: NodeMeter): Array<[Record<string, string>, number]> | number | undefined;
}

const NODE_LABELS = ['type', 'node', 'name'];

const counters: Record<string, Family> = {
  telemetry_messages_in_total: { help: 'Messages the node took in.', read: (m) => m.messagesIn },
  telemetry_messages_out_total: { help: 'Messages the node sent on.', read: (m) => m.messagesOut },
  telemetry_readings_in_total: { help: 'Readings the node took in.', read: (m) => m.readingsIn },
  telemetry_readings_out_total: { help: 'Readings the node passed on.', read: (m) => m.readingsOut },
  telemetry_readings_refused_total: {
    help: 'Readings (or whole messages) the node refused, by reason code.',
    labels: ['reason'],
    read: (m) => [...m.refused].map(([reason, n]) => [{ reason }, n]),
  },
  // Counters of what only some nodes do are read from those only (a writer, an email node, an MQTT
  // input: the nodes that report the gauges of their kind), not shown as a 0 beside every node.
  influxdb3_lines_written_total: {
    help: 'Lines InfluxDB 3 accepted.',
    read: (m) => (m.readings.writerLines ? m.linesWritten : undefined),
  },
  influxdb3_lines_refused_total: {
    help: 'Lines InfluxDB 3 refused, or that could not be kept (the spool full and set to refuse, or unwritable).',
    read: (m) => m.readings.writerLines?.().refused,
  },
  influxdb3_lines_dropped_total: {
    help: 'Lines a full disk spool dropped, oldest first, to keep newer ones.',
    read: (m) => m.readings.writerLines?.().dropped,
  },
  telemetry_emails_sent_total: {
    help: 'Alert emails the SMTP server accepted.',
    read: (m) => (m.readings.emailsQueued ? m.emailsSent : undefined),
  },
  telemetry_emails_failed_total: {
    help: 'Alert emails that could not be sent.',
    read: (m) => (m.readings.emailsQueued ? m.emailsFailed : undefined),
  },
  telemetry_mqtt_redeliveries_total: {
    help: 'MQTT messages the broker marked as sent again (they are passed on again).',
    read: (m) => (m.readings.mqttConnected ? m.mqttRedeliveries : undefined),
  },
};

const gauges: Record<string, Family> = {
  telemetry_queued_bytes: {
    help: 'Bytes taken and not yet passed on, by store (buffer, spool, journal).',
    labels: ['store'],
    read: (m) => waiting(m, 'bytes'),
  },
  telemetry_queued_items: {
    help: 'Lines or messages taken and not yet passed on, by store.',
    labels: ['store'],
    read: (m) => waiting(m, 'items'),
  },
  influxdb3_downsample_backlog_buckets: {
    help: 'Buckets due and not yet downsampled.',
    read: (m) => m.readings.downsampleBacklog?.(),
  },
  influxdb3_downsample_last_bucket_seconds: {
    help: 'The end of the last bucket downsampled, in seconds since the epoch.',
    read: (m) => {
      const ms = m.readings.downsampleLastBucketMs?.();
      return ms === undefined ? undefined : ms / 1000;
    },
  },
  telemetry_alerts_firing: {
    help: 'Alerts firing now, by severity.',
    labels: ['severity'],
    read: (m) => {
      const firing = m.readings.alertsFiring?.();
      return firing && Object.entries(firing).map(([severity, n]) => [{ severity }, n]);
    },
  },
  telemetry_emails_queued: { help: 'Alert emails waiting in the outbox.', read: (m) => m.readings.emailsQueued?.() },
  telemetry_mqtt_connected: {
    help: '1 while the node is connected to its MQTT broker.',
    read: (m) => {
      const up = m.readings.mqttConnected?.();
      return up === undefined ? undefined : up ? 1 : 0;
    },
  },
};

function waiting(m: NodeMeter, what: keyof Waiting): Array<[Record<string, string>, number]> | undefined {
  const stores = m.readings.waiting?.();
  return stores && Object.entries(stores).map(([store, w]) => [{ store }, w[what]]);
}

/** Write latency buckets: a write waits for InfluxDB 3's WAL flush (about a second). */
const WRITE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30];

export class PipelineMetrics {
  readonly registry = new Registry();
  private readonly meters = new Set<NodeMeter>();
  private readonly writeDuration: Histogram<string>;

  constructor() {
    for (const [name, f] of Object.entries(counters)) this.family(Counter, name, f);
    for (const [name, f] of Object.entries(gauges)) this.family(Gauge, name, f);
    this.writeDuration = new Histogram({
      name: 'influxdb3_write_duration_seconds',
      help: 'How long InfluxDB 3 took to accept a write (the attempt that succeeded).',
      labelNames: NODE_LABELS,
      buckets: WRITE_BUCKETS,
      registers: [this.registry],
    });
  }

  /** A meter for a node, counted until it is closed. */
  meter(node: MeteredNode): NodeMeter {
    // A node whose constructor failed after taking its meter is never closed: its successor
    // under the same id replaces it rather than adding to it.
    for (const m of this.meters) if (m.labels.node === node.id) m.close();
    const labels = { type: node.type, node: node.id, name: node.name ?? '' };
    const m = new NodeMeter(labels, this.writeDuration, (closed) => {
      this.meters.delete(closed);
      this.writeDuration.remove(closed.labels);
    });
    this.meters.add(m);
    return m;
  }

  /** The Prometheus text exposition of every live meter. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private family(Kind: typeof Counter | typeof Gauge, name: string, f: Family): void {
    const meters = this.meters;
    new Kind({
      name,
      help: f.help,
      labelNames: [...NODE_LABELS, ...(f.labels ?? [])],
      registers: [this.registry],
      collect(this: Counter<string> | Gauge<string>) {
        this.reset();
        for (const m of meters) {
          let read: ReturnType<Family['read']>;
          try {
            read = f.read(m);
          } catch {
            continue; // one node's failing reading must not cost every other node its metrics
          }
          if (typeof read === 'number') set(this, m.labels, read);
          else for (const [extra, v] of read ?? []) set(this, { ...m.labels, ...extra }, v);
        }
      },
    });
  }
}

function set(metric: Counter<string> | Gauge<string>, labels: Record<string, string>, v: number): void {
  if (!Number.isFinite(v) || v < 0) return;
  if (metric instanceof Gauge) metric.set(labels, v);
  else metric.inc(labels, v);
}

/** The one registry of this Node-RED: every node of the pack counts into it. */
export const pipelineMetrics = new PipelineMetrics();
