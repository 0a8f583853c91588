// A fleet that lies, through Mosquitto into a real Node-RED child process: mqtt in -> validate ->
// line protocol -> influxdb3-write (the test server), validate -> alert -> alert email (a real SMTP
// server). The publisher mixes the real devices' readings with 100,000 made-up device ids, ids
// with line separators, C1 controls, bidirectional overrides and zero-width characters, payloads
// over the size limit, JSON nested far too deep, wrong types, and timestamps far in the future and
// the past. Afterwards every reading validate accepted is stored exactly once, every refusal is
// counted with its code, the heap is back near where it started, no email has a forged header, and
// the alert node still judged the real devices.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import should from 'should';
import { Child, startChild } from '../support/node-red-child-control';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { Mosquitto, requireMosquitto, startMosquitto } from '../support/mqtt-brokers';
import { prepareSession } from '../support/mqtt-pipeline';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const BOGUS_IDS = 100_000;
const REAL = Array.from({ length: 20 }, (_, i) => `TEMP_${String(i + 1).padStart(3, '0')}`);
const HOT = 'TEMP_007';
const MAX_SERIES = 2000;
/** What the heap may hold after the flood beyond what it held before it (series tables at their
 *  bounds, the schema's and encoder's caches, the alert email's held alerts). */
const HEAP_BOUND_MB = 20;

const HOSTILE_IDS = [
  'EVIL\u2028Bcc: line-separator@evil.example',
  'EVIL\u0085Bcc: nel@evil.example',
  'EVIL\u2029Subject: paragraph',
  'RLO\u202Egpj.exe',
  'ISOLATE\u2066hidden\u2069',
  'ZERO\u200Bwidth\u200Djoiner\uFEFF',
];
const CRLF_ID = 'EVIL\r\nBcc: crlf@evil.example';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

function reading(device: string, at: number, temperature = 21.5): Record<string, unknown> {
  return {
    device_id: device,
    device_type: 'temperature',
    location: 'warehouse_a',
    floor: '2',
    timestamp: new Date(at).toISOString(),
    temperature,
    humidity: 50,
    battery_level: 90,
    signal_strength: -60,
  };
}

describe('reliability: a hostile fleet through the whole chain', function () {
  this.timeout(SECONDS * 1000 + 240_000);
  let mosquitto: Mosquitto;
  let server: InfluxDB3Server;
  let sink: SmtpSink;
  let child: Child | undefined;
  let userDir: string;

  before(async function () {
    requireMosquitto(this);
    mosquitto = await startMosquitto({});
    server = await startInfluxDB3({ walFlushMs: 20 });
    sink = await startSmtpSink({ starttls: false });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-fleet-'));
  });

  after(async () => {
    if (child) {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
    await mosquitto?.stop();
    await server?.stop();
    await sink?.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  const flows = () => {
    const at = (x: number, y = 100) => ({ z: 'tab', x, y });
    return [
      { id: 'tab', type: 'tab', label: 'hostile fleet' },
      {
        id: 'broker',
        type: 'telemetry-mqtt-broker',
        url: mosquitto.url,
        protocol: '4',
        clientId: 'hostile_soak',
        persistentSession: true,
      },
      {
        id: 'in',
        type: 'telemetry-mqtt-in',
        broker: 'broker',
        topic: 'iot/sensors/#',
        qos: 1,
        ...at(100),
        wires: [['v'], ['count-mqtt']],
      },
      { id: 'v', type: 'telemetry-validate', ...at(250), wires: [['lp', 'alert'], ['count-validate']] },
      {
        id: 'lp',
        type: 'telemetry-line-protocol',
        batchSize: 2000,
        flushInterval: 0.2,
        ...at(400),
        wires: [['w'], ['count-lp']],
      },
      { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant' },
      { id: 'w', type: 'influxdb3-write', server: 'cfg', ...at(550), wires: [[], ['count-write']] },
      {
        id: 'alert',
        type: 'telemetry-alert',
        rules: [
          { name: 'hot', kind: 'threshold', field: 'temperature', threshold: 35 },
          { name: 'silent', kind: 'deadman', seconds: 30 },
        ],
        maxSeries: MAX_SERIES,
        forgetAfter: 60,
        ...at(400, 200),
        wires: [['alert-events'], []],
      },
      {
        id: 'smtp',
        type: 'telemetry-smtp',
        host: '127.0.0.1',
        port: sink.port,
        security: 'none',
        from: 'node-red@factory.example',
      },
      {
        id: 'alert-events',
        type: 'telemetry-alert-email',
        smtp: 'smtp',
        to: 'ops@factory.example',
        groupWaitSec: 1,
        groupIntervalSec: 2,
        repeatIntervalSec: 3600,
        ...at(550, 200),
      },
      { id: 'catch', type: 'catch', scope: null, uncaught: false, ...at(100, 300), wires: [['count-caught']] },
      ...['count-mqtt', 'count-validate', 'count-lp', 'count-write', 'count-caught'].map((id, i) => ({
        id,
        type: 'debug',
        active: false,
        tosidebar: false,
        console: false,
        ...at(700, 100 + 40 * i),
        wires: [],
      })),
    ];
  };

  it(`stores every accepted reading once, counts every refusal by code, keeps its heap and mail clean, and still judges the real devices (${SECONDS} s)`, async () => {
    await prepareSession(mosquitto.url, 'hostile_soak', 'iot/sensors/#');
    child = await startChild(userDir, flows(), { exposeGc: true });
    const baseline = await child.stats();

    const pub = await mqtt.connectAsync(mosquitto.url, { clientId: 'hostile-publisher', protocolVersion: 4 });
    const inflight = new Set<Promise<unknown>>();
    const send = async (topic: string, payload: string | Buffer) => {
      const p: Promise<unknown> = pub.publishAsync(topic, payload, { qos: 1 }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 200) await Promise.race(inflight);
    };
    const sent = { real: 0, bogus: 0, hostileIds: 0, refusals: {} as Record<string, number> };
    const refuse = (code: string) => (sent.refusals[code] = (sent.refusals[code] ?? 0) + 1);
    const heapSamples: number[] = [];
    const t0 = Date.now();
    let bogus = 0;
    for (let s = 0; s < SECONDS; s++) {
      const second = t0 + s * 1000;
      const now = Math.max(second, Date.now()) - 5000; // time stamps a little behind the clock
      for (const id of REAL) {
        const hot = id === HOT && s >= SECONDS - 10;
        await send(`iot/sensors/temperature/${id}`, JSON.stringify(reading(id, now, hot ? 41 : 21.5)));
        sent.real++;
      }
      // The made-up ids: in arrays of 50, spread evenly over the run.
      const due = Math.round((BOGUS_IDS * (s + 1)) / SECONDS);
      while (bogus < due) {
        const batch: object[] = [];
        for (let k = 0; k < 50 && bogus < due; k++)
          batch.push(reading(`bogus-${bogus++}-${Math.random().toString(36).slice(2, 8)}`, now));
        await send('iot/sensors/temperature/bogus', JSON.stringify(batch));
        sent.bogus += batch.length;
      }
      if (s % 10 === 0) {
        for (const id of HOSTILE_IDS) {
          await send('iot/sensors/temperature/x', JSON.stringify(reading(id, now, 50)));
          sent.hostileIds++;
        }
        await send('iot/sensors/temperature/x', JSON.stringify(reading(CRLF_ID, now, 50)));
        refuse('invalid_characters');
        await send('iot/sensors/temperature/x', JSON.stringify({ ...reading('TYPE_1', now), temperature: 'hot' }));
        refuse('wrong_type');
        await send(
          'iot/sensors/temperature/x',
          JSON.stringify(reading('FUTURE_1', Date.parse('2100-01-01T00:00:00Z'))),
        );
        refuse('timestamp_in_future');
        // Past what InfluxDB can store at all (2262): not a timestamp it can take.
        await send(
          'iot/sensors/temperature/x',
          JSON.stringify(reading('FUTURE_2', Date.parse('2999-01-01T00:00:00Z'))),
        );
        refuse('invalid_timestamp');
        await send('iot/sensors/temperature/x', JSON.stringify(reading('PAST_1', Date.parse('1971-01-01T00:00:00Z'))));
        refuse('timestamp_too_old');
        await send('iot/sensors/temperature/x', `${'['.repeat(5000)}${']'.repeat(5000)}`);
        refuse('too_deep');
        await send('iot/sensors/temperature/x', '{"device_id": "TRUNC');
        refuse('invalid_json');
        if (s % 20 === 0) {
          await send('iot/sensors/temperature/x', Buffer.alloc(11 * MB, 0x20));
          refuse('payload_too_large');
        }
        heapSamples.push((await child.stats()).heapUsed);
      }
      const wait = t0 + (s + 1) * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(inflight);
    await pub.endAsync();

    // Every reading the validator accepted, in the database once.
    const accepted = sent.real + sent.bogus + sent.hostileIds;
    const count = async (where: string) => {
      const q = `SELECT count(*) AS n, count(DISTINCT concat(device_id, '|', CAST(time AS VARCHAR))) AS d FROM iot_sensors WHERE ${where}`;
      const res = await fetch(`${server.url}/api/v3/query_sql?db=plant&q=${encodeURIComponent(q)}`);
      const rows = (await res.json()) as { n: number; d: number }[];
      return rows[0];
    };
    const until = Date.now() + 120_000;
    while ((await count('true')).n < accepted && Date.now() < until) await sleep(500);
    const real = await count("device_id LIKE 'TEMP_%'");
    const fake = await count("device_id LIKE 'bogus-%'");
    const all = await count('true');

    // Refusals by code, from every error output and Catch, once the pipeline is quiet.
    await sleep(3000);
    const stats = await child.stats();
    const refused: Record<string, number> = {};
    for (const [id, byCode] of Object.entries(stats.counts))
      if (id !== 'count-caught')
        for (const [code, n] of Object.entries(byCode)) refused[code] = (refused[code] ?? 0) + n;
    const caught = Object.values(stats.counts['count-caught'] ?? {}).reduce((a, b) => a + b, 0);

    const peak = Math.max(...heapSamples, stats.heapUsed);
    const events = child.events as { event: string; rule: string; series: string; reason?: string }[];
    const real7 = events.filter((e) => e.series === HOT && e.rule === 'hot' && e.event === 'firing');
    const headers = sink.mails.map((m) => m.raw.slice(0, m.raw.indexOf('\r\n\r\n')));
    console.log(
      [
        `      published in ${SECONDS} s: ${sent.real} real, ${sent.bogus} made-up ids, ${sent.hostileIds} hostile-character ids, ${Object.values(sent.refusals).reduce((a, b) => a + b, 0)} to refuse`,
        `      stored: ${all.n} rows (${all.d} distinct), of them ${real.n} real and ${fake.n} made-up`,
        `      refused by code: ${JSON.stringify(refused)}; caught: ${caught}`,
        `      heap: ${(baseline.heapUsed / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB, ${(stats.heapUsed / MB).toFixed(1)} MB after (bound: before + ${HEAP_BOUND_MB} MB)`,
        `      alerts: ${events.length} events, ${events.filter((e) => e.reason).length} resolved by forgetting or making room; ${sink.mails.length} emails`,
      ].join('\n'),
    );

    should(real.n).equal(sent.real, 'every real reading stored');
    should(fake.n).equal(sent.bogus, 'every made-up id reading stored (validate cannot tell them apart)');
    should(all.n).equal(accepted, 'nothing else stored');
    should(all.d).equal(all.n, 'each reading once');
    should(refused).eql(sent.refusals);
    should(stats.heapUsed).be.below(baseline.heapUsed + HEAP_BOUND_MB * MB);
    should(real7.length).equal(1, `${HOT} ran hot at the end of the flood and was judged`);
    should(sink.mails.length).be.above(0);
    for (const h of headers)
      should(h.split('\r\n').filter((l) => /^bcc:/i.test(l))).eql([], 'no header a device forged');
    const subjects = sink.mails.map((m) => m.parsed.subject ?? '');
    const hostileSubject = subjects.find((x) => x.includes('EVIL'));
    console.log(`      a subject naming a hostile id: ${hostileSubject}`);
    should(hostileSubject).be.a.String();
    should(subjects.every((s) => !/[\u2028\u2029\u0085\u202e\u2066\u200b]/.test(s))).be.true();
  });
});
