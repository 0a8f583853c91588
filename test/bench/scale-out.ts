// npm run bench scale: scaling out on one MQTT shared subscription. One, then two real Node-RED
// instances (child processes), each telemetry-mqtt-in on $share/pipeline/iot/sensors/# ->
// validate -> line protocol -> influxdb3-write, take the same N readings, published once the
// instances are up (as fast as Mosquitto acknowledges them); the rate is N over the time from the
// first publish to the last reading stored. Each reading must be stored once: the distinct (device, time) in the database
// equal N, and the lines the instances' writers were given add up to N (no instance wrote another's).
// Alternating rounds, as every bench here; the test server runs in a process of its own.
// SCALE_BENCH_N sets N (default 100,000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Child, startChild } from '../support/node-red-child-control';
import { mosquittoInstalled, startMosquitto } from '../support/mqtt-brokers';
import {
  SENSOR_TOPICS,
  distinctReadings,
  mqttPipelineFlows,
  prepareSession,
  publishReadings,
} from '../support/mqtt-pipeline';
import { freePort, startServer, stopServer } from './writer-memory';

const N = Number(process.env.SCALE_BENCH_N ?? 100_000);
const ROUNDS = 2;
const SHARED = `$share/pipeline/${SENSOR_TOPICS}`;

async function round(instances: number): Promise<{ rate: number; stored: number; given: number[] }> {
  const mosquitto = await startMosquitto({ persistence: false });
  const port = await freePort();
  const server = await startServer(port);
  const url = `http://127.0.0.1:${port}`;
  const dirs: string[] = [];
  const children: Child[] = [];
  try {
    const flows: object[][] = [];
    for (let i = 0; i < instances; i++) {
      const clientId = `scale_${i}`;
      await prepareSession(mosquitto.url, clientId, SHARED);
      flows.push(
        mqttPipelineFlows({
          input: 'telemetry-mqtt-in',
          mqttUrl: mosquitto.url,
          serverUrl: url,
          clientId,
          topic: SHARED,
          batchSize: 5000,
        }),
      );
    }
    for (const f of flows) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
      dirs.push(dir);
      children.push(await startChild(dir, f));
    }
    await new Promise((r) => setTimeout(r, 1000)); // connected and subscribed
    const t0 = Date.now();
    await publishReadings(mosquitto.url, N);
    let stored = 0;
    const deadline = Date.now() + 300_000;
    while ((stored = await distinctReadings(url)) < N && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const seconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    return { rate: stored / seconds, stored, given: children.map((c) => c.given()) };
  } finally {
    for (const c of children) {
      c.proc.kill('SIGTERM');
      await c.exited;
    }
    await stopServer(server);
    await mosquitto.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

export async function benchScaleOut(): Promise<void> {
  if (!mosquittoInstalled()) {
    console.log('scale: skipped, Mosquitto is not installed (apt-get install mosquitto)');
    return;
  }
  console.log(
    `\nScaling out: ${N.toLocaleString('en')} readings through one shared subscription, one vs two Node-RED instances`,
  );
  const rates: Record<number, number[]> = { 1: [], 2: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const instances of r % 2 === 0 ? [1, 2] : [2, 1]) {
      const x = await round(instances);
      rates[instances].push(x.rate);
      const once = x.stored === N && x.given.reduce((a, b) => a + b, 0) === N;
      console.log(
        `  ${instances} instance(s): ${Math.round(x.rate).toLocaleString('en')} readings/s, ${x.stored.toLocaleString('en')} of ${N.toLocaleString('en')} stored, writers given ${x.given.map((g) => g.toLocaleString('en')).join(' + ')}: ${once ? 'each reading once' : 'NOT each reading once'}`,
      );
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(
    `  two instances against one: ${(median(rates[2]) / median(rates[1])).toFixed(2)}x (${os.cpus().length} cores share Mosquitto, the test server, the publisher and every instance)`,
  );
}
