// npm start, the playground: Node-RED on http://127.0.0.1:1880 with this pack and every example
// (the Full pipeline first), against services started here unless the environment names real ones:
//
//   INFLUXDB3_URL  else the project's InfluxDB 3 compatible test server (port INFLUXDB3_PORT, 8181),
//                  seeded with the reference fleet's past day, whose tiers are then backfilled
//   MQTT_URL       else an MQTT broker (aedes) in this process (port MQTT_PORT, 1883)
//   SMTP_HOST      else an SMTP capture (port SMTP_PORT, 2525) that keeps every email as a .eml
//                  file, prints a line for each and lists them at <editor>/mail
//   HOST, PORT     where the editor listens (127.0.0.1:1880; a port of 0 takes a free one)
//   NODE_RED_USER_DIR  where everything is kept (.node-red-data/); `npm run clean` removes it
//
// `npm start -- --update-examples` replaces example tabs you changed with their newer versions.
import fs from 'node:fs';
import path from 'node:path';
import { startAedes } from '../test/support/mqtt-brokers';
import { startSmtpSink } from '../test/support/smtp-sink';
import { startInfluxDB3Child } from './influxdb3-child';
import { PACK_ROOT, launchNodeRed } from './launch-node-red';
import { mailPage } from './mail-page';
import { FlowNode, mergeExamples, playgroundExamples } from './playground-flows';
import { hasRecentReadings, seedPastDay } from './seed-past-day';

const FULL_PIPELINE_BACKFILL = 'fpinjbackfill001';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

function playgroundFlows(userDir: string, update: boolean): void {
  const flowFile = path.join(userDir, 'flows.json');
  const recordFile = path.join(userDir, '.examples-written.json');
  const examples = playgroundExamples(path.join(PACK_ROOT, 'examples'));
  let saved: FlowNode[] | undefined;
  let written: Record<string, string> = {};
  if (fs.existsSync(flowFile)) {
    if (fs.existsSync(recordFile)) {
      saved = JSON.parse(fs.readFileSync(flowFile, 'utf8')) as FlowNode[];
      written = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as Record<string, string>;
    } else {
      // Flows from before npm start kept a record (older examples): kept aside, not mixed in.
      const aside = `${flowFile}.before-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(flowFile, aside);
      console.log(`npm start: your earlier flows are kept in ${aside}; starting from the current examples`);
    }
  }
  const merged = mergeExamples(examples, saved, written, update);
  fs.writeFileSync(flowFile, JSON.stringify(merged.flows, null, 2));
  fs.writeFileSync(recordFile, JSON.stringify(merged.written, null, 2));
  for (const n of merged.notes) console.log(`npm start: ${n}`);
}

async function main() {
  const userDir = path.resolve(process.env.NODE_RED_USER_DIR ?? path.join(PACK_ROOT, '.node-red-data'));
  fs.mkdirSync(userDir, { recursive: true });
  playgroundFlows(userDir, process.argv.includes('--update-examples'));

  const influx = process.env.INFLUXDB3_URL
    ? undefined
    : await startInfluxDB3Child({ port: port('INFLUXDB3_PORT', 8181), dataDir: path.join(userDir, 'influxdb3') });
  if (influx) process.env.INFLUXDB3_URL = influx.url;
  const mqtt = process.env.MQTT_URL ? undefined : await startAedes({ port: port('MQTT_PORT', 1883) });
  if (mqtt) process.env.MQTT_URL = mqtt.url;
  const mailDir = path.join(userDir, 'mail');
  const mail = process.env.SMTP_HOST
    ? undefined
    : await startSmtpSink({ port: port('SMTP_PORT', 2525), log: true, dir: mailDir, starttls: false });
  if (mail) {
    process.env.SMTP_HOST = '127.0.0.1';
    process.env.SMTP_PORT = String(mail.port);
  }

  // The past day first, so the tiers' first runs already find it.
  const seed = influx && { url: influx.url, database: 'iot-sensors', retention: '7d', endMs: Date.now(), hours: 24 };
  let seeded = 0;
  if (seed && !(await hasRecentReadings(seed))) {
    process.stdout.write('npm start: writing the reference fleet’s past day into InfluxDB 3 … ');
    const t0 = Date.now();
    seeded = await seedPastDay(seed);
    console.log(`${seeded.toLocaleString('en')} readings in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The test server loads what it was given into its SQL engine at the first query (some seconds
    // for a day): done now, so no query of the flows waits for it. (The check above did it for data
    // kept from an earlier start.)
    await hasRecentReadings(seed);
  }

  const nr = await launchNodeRed({
    userDir,
    host: process.env.HOST ?? '127.0.0.1',
    port: port('PORT', 1880),
    settings: { credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET ?? 'influxdb3-pipeline-playground' },
    routes: mail ? [mailPage(mailDir)] : [],
  });
  if (seeded > 0) {
    // The Full pipeline's own "backfill the past day": the 5-minute tier, then the hourly one.
    const res = await fetch(`${nr.url}/inject/${FULL_PIPELINE_BACKFILL}`, { method: 'POST' });
    if (res.ok) console.log('npm start: backfilling the 5-minute and hourly tiers from that day');
  }

  console.log('');
  console.log(`  Node-RED editor   ${nr.url}   (the Full pipeline is the first tab)`);
  if (mail) console.log(`  alert emails      ${nr.url}/mail   (SMTP capture on 127.0.0.1:${mail.port})`);
  else console.log(`  SMTP              ${process.env.SMTP_HOST}:${process.env.SMTP_PORT ?? ''}`);
  console.log(
    influx
      ? `  InfluxDB 3        ${influx.url}   (the test server; try ${influx.url}/api/v3/query_sql?db=iot-sensors&q=SELECT%20*%20FROM%20iot_sensors%20LIMIT%205)`
      : `  InfluxDB 3        ${process.env.INFLUXDB3_URL}`,
  );
  console.log(`  MQTT broker       ${process.env.MQTT_URL}${mqtt ? '   (aedes, in this process)' : ''}`);
  console.log(`  data              ${userDir}   (npm run clean removes it)`);
  console.log('  Ctrl-C stops everything.');
  console.log('');

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    // Node-RED first, so its nodes can still write and keep what they hold while they stop.
    nr.stop()
      .then(() => influx?.stop())
      .then(() => mail?.stop())
      .then(() => mqtt?.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          console.error(e);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
