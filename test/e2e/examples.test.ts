// Every example flow as a user meets it: imported alone into a real Node-RED, deployed against the
// in-process MQTT broker, the InfluxDB 3 compatible test server and an SMTP server, and watched.
// Each runs without an error and shows what its comment promises; the Full pipeline end to end:
// readings in the raw table, both tiers filled by its backfill, each fault inject an alert event in
// the database and an email naming its device, and one row per device from the "latest" query.
import { parsePrometheusText, total } from '../support/prometheus-text';
import should from 'should';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { FlowNode, readExamples, tabHash } from '../../scripts/playground-flows';
import { seedPastDay } from '../../scripts/seed-past-day';
import { eventually } from '../support/eventually';
import { ExampleServices, startExampleServices } from '../support/example-services';
import type { InfluxDB3Server } from '../support/influxdb3/server';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';
import type { SmtpSink } from '../support/smtp-sink';

const ROOT = path.join(__dirname, '..', '..', '..');
const examples = readExamples(path.join(ROOT, 'examples'));
const example = (name: string) => {
  const e = examples.find((x) => x.name.endsWith(name));
  if (!e) throw new Error(`no example "${name}"`);
  return e;
};
const PACK_TYPES = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: object } })[
    'node-red'
  ].nodes,
);
const CONFIG_TYPES = ['telemetry-schema', 'influxdb3-config', 'telemetry-smtp', 'telemetry-mqtt-broker'];

describe('example flows: what they are made of', () => {
  it('are five, the Full pipeline first, each one tab that opens with a comment saying what it shows and how to point it at real services', () => {
    should(examples.map((e) => e.name)).eql([
      '01 - Full pipeline',
      '02 - Quick start without a broker',
      '03 - Anomaly detection',
      '04 - Downsampling tiers and backfill',
      '05 - Bring your own devices',
    ]);
    for (const e of examples) {
      should(e.nodes.filter((n) => n.type === 'tab')).have.length(1, e.name);
      const onTab = e.nodes.filter((n) => n.z === e.tab.id);
      const top = onTab.reduce((a, b) => (Number(b.y) < Number(a.y) ? b : a));
      should(top.type).equal('comment', `${e.name} opens with a comment`);
      should(String(top.info)).match(/What it shows/, e.name);
      should(String(top.info)).match(/INFLUXDB3_URL/, `${e.name} says how to point it at real services`);
    }
  });

  it('need no function node, and use every non-config node of the pack', () => {
    const all = examples.flatMap((e) => e.nodes);
    should(all.filter((n) => n.type === 'function')).eql([]);
    for (const t of PACK_TYPES.filter((x) => !CONFIG_TYPES.includes(x)))
      should(all.some((n) => n.type === t)).be.true(`an example uses ${t}`);
  });

  it("are pictured as they are: the README's screenshot was taken of this Full pipeline", () => {
    const full = example('Full pipeline');
    const pictured = fs.readFileSync(path.join(ROOT, 'docs', 'images', 'full-pipeline.flow-hash'), 'utf8').trim();
    should(pictured).equal(
      tabHash(full.nodes, full.tab.id),
      'the Full pipeline changed since docs/images/full-pipeline.png was taken: run UPDATE_SCREENSHOTS=1 npm test (the browser test takes it again)',
    );
  });

  it('share their config nodes byte for byte, so a second import reuses them instead of adding a copy', () => {
    const seen = new Map<string, { file: string; json: string }>();
    let shared = 0;
    for (const e of examples)
      for (const n of e.nodes.filter((x) => x.z === undefined && x.type !== 'tab')) {
        const json = JSON.stringify(n);
        const before = seen.get(n.id);
        if (before) {
          shared++;
          should(json).equal(before.json, `${n.id} in ${e.name} and ${before.file}`);
        } else seen.set(n.id, { file: e.name, json });
      }
    should(shared).be.above(3);
    should([...seen.values()].filter((v) => JSON.parse(v.json).type === 'influxdb3-config')).have.length(1);
  });
});

describe('example flows in a real Node-RED', function () {
  this.timeout(240_000);
  let nr: NodeRedInstance;
  let services: ExampleServices;
  let influx: InfluxDB3Server;
  let smtp: SmtpSink;
  const errors: { z?: string; msg: string }[] = [];
  const received = new Map<string, { payload: unknown }[]>();

  before(async () => {
    services = await startExampleServices();
    ({ influx, smtp } = services);
    nr = await startNodeRed();
    const log = new EventEmitter();
    log.on('log', (m: { level: number; z?: string; msg: unknown }) => {
      if (m.level <= 20) errors.push({ z: m.z, msg: String(m.msg) });
    });
    nr.RED.log.addHandler(log);
    nr.RED.hooks.add('onReceive.examples', (ev: { destination: { id: string }; msg: { payload: unknown } }) => {
      const list = received.get(ev.destination.id) ?? [];
      list.push(ev.msg);
      received.set(ev.destination.id, list);
    });
  });
  after(async () => {
    nr?.RED.hooks.remove('onReceive.examples');
    await nr?.stop();
    await services?.stop();
  });

  const sql = async (db: string, q: string): Promise<Record<string, unknown>[]> => {
    const res = await fetch(`${influx.url}/api/v3/query_sql?db=${db}&q=${encodeURIComponent(q)}`);
    return res.status === 200 ? ((await res.json()) as Record<string, unknown>[]) : [];
  };
  const count = async (db: string, q: string) => Number((await sql(db, q))[0]?.n ?? 0);
  const click = async (id: string) => should((await nr.api('POST', `/inject/${id}`)).status).equal(200, id);
  const messagesTo = (id: string) => received.get(id) ?? [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function deploy(name: string): Promise<FlowNode> {
    const e = example(name);
    received.clear();
    errors.length = 0;
    await nr.deploy(e.nodes);
    return e.tab;
  }
  const errorsOn = (tab: FlowNode) => errors.filter((x) => x.z === tab.id).map((x) => x.msg);

  it('Full pipeline: readings through MQTT into the raw table, both tiers filled by its backfill, each fault an alert event and an email naming its device, one latest row per device', async () => {
    // A past of three hours in the raw table, as npm start seeds a day.
    await seedPastDay({
      url: influx.url,
      database: 'iot-sensors',
      retention: '7d',
      endMs: Date.now() - 120_000,
      hours: 3,
    });
    const tab = await deploy('Full pipeline');
    const started = Date.now();
    await click('fpinjbackfill001');
    await eventually(
      async () => (await count('iot-sensors-1hour', 'SELECT count(*) AS n FROM iot_sensors_1hour')) >= 2 * 80,
      'the hourly tier filled from the 5-minute tier by one backfill',
      60_000,
    );
    should(await count('iot-sensors-5min', 'SELECT count(*) AS n FROM iot_sensors_5min')).be.aboveOrEqual(
      35 * 80,
      'the 5-minute tier holds the seeded hours',
    );
    // Live readings: the simulator publishes, telemetry-mqtt-in takes them, line protocol batches
    // (10 s), the writer stores them.
    await eventually(
      async () =>
        (await count(
          'iot-sensors',
          `SELECT count(*) AS n FROM iot_sensors WHERE time > now() - INTERVAL '2 minutes'`,
        )) > 0,
      'live readings in the raw table',
      30_000,
    );
    // The z-score rule judges after 10 readings of a device (50 s at one reading every 5 s).
    await sleep(Math.max(0, 55_000 - (Date.now() - started)));
    for (const id of ['fpinjspike000001', 'fpinjstuck000001', 'fpinjsilent00001']) await click(id);
    const faults = { TEMP_001: 'temperature anomaly', TEMP_002: 'temperature stuck', TEMP_003: 'silent' };
    await eventually(
      () => Object.keys(faults).every((d) => smtp.mails.some((m) => (m.parsed.subject ?? '').includes(d))),
      `an email for each of ${Object.keys(faults).join(', ')}`,
      90_000,
    );
    for (const [device, rule] of Object.entries(faults)) {
      const mail = smtp.mails.find((m) => (m.parsed.subject ?? '').includes(device))!;
      should(mail.parsed.subject).equal(`[IoT ALERT] ${rule} - ${device}`);
      should(mail.parsed.text).match(new RegExp(`FIRING\\s+${device}`));
      await eventually(
        async () =>
          (await count(
            'iot-alerts',
            `SELECT count(*) AS n FROM alert_events WHERE series = '${device}' AND rule = '${rule}' AND event = 'firing'`,
          )) === 1,
        `the firing of ${rule} on ${device} stored in alert_events`,
        30_000,
      );
    }
    await click('fpinjlatest00001');
    await eventually(() => messagesTo('fpdbglatest00001').length > 0, 'the latest query answered');
    const latest = messagesTo('fpdbglatest00001').at(-1)!.payload as { device_id: string }[];
    should(latest).have.length(80);
    should(new Set(latest.map((r) => r.device_id)).size).equal(80);
    should(messagesTo('fpdbgalerts00001').length).be.aboveOrEqual(3);
    // The simulator's malformed and out-of-range readings were refused, with their reasons.
    should(
      messagesTo('fpdbgrefused0001').every((m) => typeof (m as { error?: { code?: string } }).error?.code === 'string'),
    ).be.true();
    // The pipeline's own metrics moved: Prometheus text on the admin path, and rows in iot-pipeline.
    const res = await fetch(`${nr.url}/influxdb3-pipeline/metrics`);
    should(res.status).equal(200);
    const m = parsePrometheusText(await res.text());
    should(total(m, 'telemetry_messages_in_total', { node: 'fpmqttin00000001' })).be.above(0);
    should(total(m, 'telemetry_readings_out_total', { node: 'fpvalidate000001' })).be.above(0);
    // The simulator's out-of-range faults, refused by validate with their reason.
    should(total(m, 'telemetry_readings_refused_total', { node: 'fpvalidate000001', reason: 'out_of_range' })).be.above(
      0,
    );
    should(total(m, 'influxdb3_lines_written_total', { node: 'fpwriteraw000001' })).be.above(0);
    should(total(m, 'influxdb3_write_duration_seconds_count', { node: 'fpwriteraw000001' })).be.above(0);
    should(total(m, 'telemetry_emails_sent_total', { node: 'fpemail000000001' })).be.aboveOrEqual(3);
    should(total(m, 'telemetry_mqtt_connected', { node: 'fpmqttin00000001' })).equal(1);
    should(total(m, 'influxdb3_downsample_last_bucket_seconds', { node: 'fpds5min00000001' })).be.above(0);
    await eventually(
      async () =>
        (await count(
          'iot-pipeline',
          "SELECT count(*) AS n FROM pipeline_metrics WHERE type = 'influxdb3-write' AND influxdb3_lines_written_total > 0",
        )) > 0,
      'the metrics stored by the pipeline health node',
      30_000,
    );
    should(errorsOn(tab)).eql([]);
  });

  it('Quick start: readings into the raw table without a broker, read back per device', async () => {
    const tab = await deploy('Quick start without a broker');
    await eventually(() => messagesTo('qswrite000000001').length > 0, 'a batch reached the writer', 20_000);
    await click('qsinjlatest00001');
    await eventually(() => messagesTo('qsdbglatest00001').length > 0, 'the latest query answered');
    should((messagesTo('qsdbglatest00001')[0].payload as unknown[]).length).equal(80);
    should(errorsOn(tab)).eql([]);
  });

  it('Anomaly detection: each fault inject leads to its alert, an email naming the device, and a stored event', async () => {
    const tab = await deploy('Anomaly detection');
    smtp.mails.length = 0;
    await sleep(25_000); // ten readings a device (2 s apart) before the z-score judges
    for (const id of ['adinjspike000001', 'adinjstuck000001', 'adinjsilent00001']) await click(id);
    const devices = ['LAB_TEMP_001', 'LAB_TEMP_002', 'LAB_TEMP_003'];
    await eventually(
      () => devices.every((d) => smtp.mails.some((m) => (m.parsed.subject ?? '').includes(d))),
      'an email for each fault',
      90_000,
    );
    for (const d of devices)
      await eventually(
        async () =>
          (await count(
            'iot-alerts',
            `SELECT count(*) AS n FROM alert_events WHERE series = '${d}' AND event = 'firing'`,
          )) > 0,
        `an alert event of ${d} in the database`,
        30_000,
      );
    await click('adinjhistory0001');
    await eventually(() => messagesTo('addbghistory0001').length > 0, 'the history query answered');
    should((messagesTo('addbghistory0001')[0].payload as unknown[]).length).be.aboveOrEqual(3);
    should(errorsOn(tab)).eql([]);
  });

  it('Downsampling tiers and backfill: a replayed past, backfilled through both tiers, read back', async () => {
    const tab = await deploy('Downsampling tiers and backfill');
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
    const window = `time >= '${new Date(day).toISOString()}' AND time < '${new Date(day + 7_200_000).toISOString()}'`;
    await click('dsinjreplay00001');
    await eventually(
      async () => (await count('iot-sensors', `SELECT count(*) AS n FROM iot_sensors WHERE ${window}`)) === 80 * 1440,
      'two hours of the fleet replayed into the raw table',
      60_000,
    );
    await click('dsinjback0000001');
    await eventually(
      async () =>
        (await count('iot-sensors-1hour', `SELECT count(*) AS n FROM iot_sensors_1hour WHERE ${window}`)) === 2 * 80,
      'both hours of that day in the hourly tier',
      60_000,
    );
    should(await count('iot-sensors-5min', `SELECT count(*) AS n FROM iot_sensors_5min WHERE ${window}`)).equal(
      24 * 80,
    );
    await click('dsinjquery000001');
    await eventually(() => messagesTo('dsdbgquery000001').length > 0, 'the tier query answered');
    const points = messagesTo('dsdbgquery000001')[0].payload as { sample_count: number }[];
    should(points).have.length(24);
    should(points.every((p) => p.sample_count === 60)).be.true(JSON.stringify(points[0]));
    should(errorsOn(tab)).eql([]);
  });

  it('Bring your own devices: its own device types over MQTT topics and HTTP POST, each device answered once stored', async () => {
    const tab = await deploy('Bring your own devices');
    await eventually(
      async () => (await count('iot-sensors', `SELECT count(DISTINCT device_id) AS n FROM line_sensors`)) === 2,
      'both MQTT devices stored, their keys filled from the topic',
      30_000,
    );
    should(
      await sql('iot-sensors', `SELECT DISTINCT device_id, device_type, location FROM line_sensors ORDER BY device_id`),
    ).eql([
      { device_id: 'PRESS_01', device_type: 'pressure', location: 'hall_1' },
      { device_id: 'VIB_01', device_type: 'vibration', location: 'hall_2' },
    ]);
    const body = example('Bring your own devices').nodes.find((n) => n.id === 'byodinjpost00001')!.payload as string;
    const res = await fetch(`${nr.url}/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    should(res.status).equal(422);
    const answer = (await res.json()) as { stored: number; refused: { index: number; code: string }[] };
    should(answer.stored).equal(1);
    should(answer.refused.map((r) => [r.index, r.code])).eql([[1, 'out_of_range']]);
    should(await count('iot-sensors', `SELECT count(*) AS n FROM line_sensors WHERE device_id = 'PRESS_02'`)).equal(1);
    await click('byodinjlatest001');
    await eventually(() => messagesTo('byoddbglatest001').length > 0, 'the latest query answered');
    should((messagesTo('byoddbglatest001')[0].payload as { device_id: string }[]).map((r) => r.device_id)).eql([
      'PRESS_01',
      'PRESS_02',
      'VIB_01',
    ]);
    should(errorsOn(tab)).eql([]);
  });
});
