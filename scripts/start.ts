// npm start: Node-RED on http://127.0.0.1:1880 with this pack and the example pipeline, running
// against embedded defaults (no broker or database to set up). Data lives in .node-red-data/.
// Unless INFLUXDB3_URL names a real InfluxDB 3, the project's InfluxDB 3 compatible test server is
// started beside it (port 8181, Core's 1 s WAL flush, data in .node-red-data/influxdb3/), and flows
// reach it as ${INFLUXDB3_URL}. Unless MQTT_URL names a broker, an in-process MQTT broker (aedes) listens
// on port 1883 for the example's simulator and telemetry-mqtt-in; flows reach it as ${MQTT_URL}.
import fs from 'node:fs';
import path from 'node:path';
import { startInfluxDB3 } from '../test/support/influxdb3/server';
import { startAedes } from '../test/support/mqtt-brokers';
import { startSmtpSink } from '../test/support/smtp-sink';
import { PACK_ROOT, exampleFlows, launchNodeRed } from './launch-node-red';

async function main() {
  const userDir = path.resolve(process.env.NODE_RED_USER_DIR ?? path.join(PACK_ROOT, '.node-red-data'));
  fs.mkdirSync(userDir, { recursive: true });
  const flowFile = path.join(userDir, 'flows.json');
  if (!fs.existsSync(flowFile)) fs.writeFileSync(flowFile, JSON.stringify(exampleFlows(), null, 2));
  const influx = process.env.INFLUXDB3_URL
    ? undefined
    : await startInfluxDB3({
        port: Number(process.env.INFLUXDB3_PORT ?? 8181),
        walFlushMs: 1000,
        dataDir: path.join(userDir, 'influxdb3'),
      });
  if (influx) process.env.INFLUXDB3_URL = influx.url;
  const mqtt = process.env.MQTT_URL ? undefined : await startAedes({ port: Number(process.env.MQTT_PORT ?? 1883) });
  if (mqtt) process.env.MQTT_URL = mqtt.url;
  // The example's alert emails go to a local mail sink on port 2525, which prints each one.
  const sink = await startSmtpSink({ port: 2525, log: true });
  const nr = await launchNodeRed({
    userDir,
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 1880),
    settings: { credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET ?? 'influxdb3-pipeline-playground' },
  });
  console.log(`Node-RED with node-red-contrib-influxdb3-pipeline: ${nr.url}  (Ctrl-C to stop)`);
  console.log(
    influx
      ? `InfluxDB 3 compatible test server: ${influx.url} (no token; try curl '${influx.url}/api/v3/query_sql?db=iot-sensors&q=SELECT%20*%20FROM%20iot_sensors%20LIMIT%205')`
      : `InfluxDB 3: ${process.env.INFLUXDB3_URL}`,
  );
  console.log(mqtt ? `MQTT broker (aedes, in this process): ${mqtt.url}` : `MQTT broker: ${process.env.MQTT_URL}`);
  const shutdown = () => {
    // Node-RED first, so its nodes can still write while they stop.
    nr.stop()
      .then(() => influx?.stop())
      .then(() => sink.stop())
      .then(() => mqtt?.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
