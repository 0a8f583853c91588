// The MQTT end of the reference pipeline for reliability tests and the benchmark: flows that take
// readings from a broker (telemetry-mqtt-in, or Node-RED's core mqtt in for comparison) through
// validate -> line protocol -> influxdb3-write to the test server; a publisher that sends
// reference readings at QoS 1 at a steady rate and counts what the broker acknowledged; and the
// number of distinct readings (series and time) in the database.
import mqtt, { MqttClient } from 'mqtt';

export const SENSOR_TOPICS = 'iot/sensors/#';
const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const DEVICES = 20;

/** Reading i of the reference fleet's temperature sensors: a distinct (device, time) for each i. */
export function referenceReading(i: number) {
  const device = i % DEVICES;
  return {
    topic: `iot/sensors/temperature/TEMP_${String(device).padStart(3, '0')}`,
    payload: JSON.stringify({
      device_id: `TEMP_${String(device).padStart(3, '0')}`,
      device_type: 'temperature',
      location: 'warehouse_a',
      floor: '2',
      timestamp: new Date(T0 + Math.floor(i / DEVICES) * 1000).toISOString(),
      temperature: 20 + (i % 100) / 10,
      humidity: 50,
      battery_level: 99.9,
      signal_strength: -60,
    }),
  };
}

export type MqttInput = 'telemetry-mqtt-in' | 'core mqtt in';

export interface PipelineOptions {
  input: MqttInput;
  mqttUrl: string;
  serverUrl: string;
  clientId: string;
  /** Default iot/sensors/#; a $share/<group>/ filter for shared subscriptions. */
  topic?: string;
  batchSize?: number;
  /** Default plant. */
  database?: string;
}

/** One tab: the chosen MQTT input -> telemetry-validate -> telemetry-line-protocol -> influxdb3-write ("w"). */
export function mqttPipelineFlows(o: PipelineOptions): object[] {
  const url = new URL(o.mqttUrl);
  const topic = o.topic ?? SENSOR_TOPICS;
  const at = (x: number) => ({ z: 'tab', x, y: 100 });
  const input =
    o.input === 'telemetry-mqtt-in'
      ? [
          {
            id: 'broker',
            type: 'telemetry-mqtt-broker',
            url: o.mqttUrl,
            protocol: '4',
            clientId: o.clientId,
            persistentSession: true,
          },
          { id: 'in', type: 'telemetry-mqtt-in', broker: 'broker', topic, qos: 1, ...at(100), wires: [['v'], []] },
        ]
      : [
          {
            id: 'broker',
            type: 'mqtt-broker',
            broker: url.hostname,
            port: url.port,
            clientid: o.clientId,
            autoConnect: true,
            usetls: false,
            protocolVersion: '4',
            keepalive: '60',
            cleansession: false,
            autoUnsubscribe: false,
          },
          {
            id: 'in',
            type: 'mqtt in',
            topic,
            qos: '1',
            datatype: 'json',
            broker: 'broker',
            nl: false,
            rap: true,
            rh: 0,
            inputs: 0,
            ...at(100),
            wires: [['v']],
          },
        ];
  return [
    { id: 'tab', type: 'tab', label: 'mqtt pipeline' },
    ...input,
    { id: 'v', type: 'telemetry-validate', ...at(250), wires: [['lp'], []] },
    {
      id: 'lp',
      type: 'telemetry-line-protocol',
      batchSize: o.batchSize ?? 500,
      flushInterval: 0.2,
      ...at(400),
      wires: [['w'], []],
    },
    { id: 'cfg', type: 'influxdb3-config', url: o.serverUrl, database: o.database ?? 'plant' },
    { id: 'w', type: 'influxdb3-write', server: 'cfg', ...at(550), wires: [[], []] },
  ];
}

/**
 * Makes the broker keep a persistent session for clientId subscribed to topic, as if the pipeline
 * had run once: what is published from now on waits for the pipeline even before it first starts.
 */
export async function prepareSession(mqttUrl: string, clientId: string, topic = SENSOR_TOPICS): Promise<void> {
  const c = await mqtt.connectAsync(mqttUrl, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  await c.subscribeAsync(topic, { qos: 1 });
  await c.endAsync();
}

/** Publishes reference readings from .. from+count-1 at QoS 1 as fast as the broker acknowledges them. */
export async function publishReadings(mqttUrl: string, count: number, from = 0): Promise<void> {
  const c = await mqtt.connectAsync(mqttUrl, { clientId: `bulk-publisher-${process.pid}`, protocolVersion: 4 });
  try {
    const inflight = new Set<Promise<unknown>>();
    for (let i = from; i < from + count; i++) {
      const { topic, payload } = referenceReading(i);
      const p: Promise<unknown> = c.publishAsync(topic, payload, { qos: 1 }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 500) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  } finally {
    await c.endAsync();
  }
}

/**
 * Publishes reference readings 0, 1, 2, ... at QoS 1, about `rate` a second, until stopped. A
 * reading counts as published once the broker has acknowledged it; one whose PUBACK never came
 * (the broker went away) is sent again, so the readings published are 0 .. published-1.
 */
export class ReferencePublisher {
  published = 0;
  private client: MqttClient | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly mqttUrl: string,
    private readonly rate: number,
  ) {}

  async start(): Promise<void> {
    this.client = await mqtt.connectAsync(this.mqttUrl, {
      clientId: `reference-publisher-${process.pid}`,
      protocolVersion: 4,
      reconnectPeriod: 200,
    });
    this.running = this.run(this.client);
  }

  /** Stops after the reading in flight, and resolves with how many were published. */
  async stop(): Promise<number> {
    this.stopping = true;
    await this.running;
    await this.client?.endAsync();
    return this.published;
  }

  private async run(client: MqttClient): Promise<void> {
    const started = Date.now();
    while (!this.stopping) {
      const { topic, payload } = referenceReading(this.published);
      try {
        await withTimeout(client.publishAsync(topic, payload, { qos: 1 }), 5000);
        this.published++;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const due = started + (this.published * 1000) / this.rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Distinct (device, time) in iot_sensors: readings stored, however often each was written. */
export async function distinctReadings(serverUrl: string): Promise<number> {
  const q = 'SELECT count(*) AS n FROM (SELECT DISTINCT device_id, time FROM iot_sensors)';
  const res = await fetch(`${serverUrl}/api/v3/query_sql?db=plant&q=${encodeURIComponent(q)}`);
  if (res.status !== 200) return 0;
  return ((await res.json()) as { n: number }[])[0]?.n ?? 0;
}

/** Resolves with the distinct readings stored once they reach `want` or stop growing for `quietMs`. */
export async function storedWhenSettled(serverUrl: string, want: number, quietMs = 10_000): Promise<number> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const n = await distinctReadings(serverUrl);
    if (n >= want) return n;
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since > quietMs) return n;
    await new Promise((r) => setTimeout(r, 200));
  }
}
