// npm run bench mqtt: Mosquitto -> telemetry-mqtt-in -> validate -> line protocol -> influxdb3-write
// -> the test server, one reading a message, in a real Node-RED (in-process), against Node-RED's
// core mqtt in -> the same chain in the same run. Each round the broker first holds N readings in
// the pipeline's persistent session; the rate is N over the time from deploy to the writer
// reporting the last of them written, so the publisher does not share the CPU with what is measured.
// MQTT_BENCH_N sets N. What durability costs here: a journal write, one per burst of packets read
// together, before their PUBACKs (lib/mqtt/deferred-acks.ts).
import { startNodeRed } from '../support/node-red-instance';
import { startInfluxDB3 } from '../support/influxdb3/server';
import { mosquittoInstalled, startMosquitto } from '../support/mqtt-brokers';
import { MqttInput, mqttPipelineFlows, prepareSession, publishReadings } from '../support/mqtt-pipeline';
import { passThroughNodeDir } from './node-red-pipeline';
import fs from 'node:fs';

const N = Number(process.env.MQTT_BENCH_N ?? 50_000);
const ROUNDS = 5;
const CLAIM = 10_000;

const rate = (r: number) => `${Math.round(r).toLocaleString('en')} msgs/s`;

type Ev = { destination: { id: string }; msg: { payload?: { lines?: number } } };

export async function benchMqttIn(): Promise<void> {
  if (!mosquittoInstalled()) {
    console.log('mqtt: skipped, Mosquitto is not installed (apt-get install mosquitto)');
    return;
  }
  const mosquitto = await startMosquitto({ persistence: false });
  const server = await startInfluxDB3({ walFlushMs: 100 });
  const nodesDir = passThroughNodeDir();
  const nr = await startNodeRed({ nodesDir });
  let written = 0;
  nr.RED.hooks.add('onReceive.benchmqtt', (ev: Ev) => {
    if (ev.destination.id === 'written') written += ev.msg.payload?.lines ?? 0;
  });
  const until = (cond: () => boolean, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 120_000;
      const check = () => {
        if (cond()) resolve();
        else if (Date.now() > deadline) reject(new Error(`mqtt bench: no progress within 120 s (${what()})`));
        else setTimeout(check, 2);
      };
      check();
    });

  const drain = async (input: MqttInput, round: number): Promise<number> => {
    const clientId = `bench_${input.replace(/\W/g, '_')}_${round}`;
    await nr.deploy([]);
    await prepareSession(mosquitto.url, clientId);
    // New readings each round (the server, as InfluxDB 3 Core, allows 5 databases: one per input).
    await publishReadings(mosquitto.url, N, (round + 1) * N);
    const flows = mqttPipelineFlows({
      input,
      mqttUrl: mosquitto.url,
      serverUrl: server.url,
      clientId,
      database: input === 'core mqtt in' ? 'bench_core' : 'bench_ours',
    }).map((n) => ((n as { id: string }).id === 'w' ? { ...n, wires: [['written'], []] } : n));
    flows.push({ id: 'written', type: 'bench-pass', z: 'tab', x: 700, y: 100, wires: [] });
    written = 0;
    const t0 = process.hrtime.bigint();
    await nr.deploy(flows);
    await until(
      () => written >= N,
      () => `${input}: ${written} of ${N} written`,
    );
    return N / (Number(process.hrtime.bigint() - t0) / 1e9);
  };

  try {
    await drain('telemetry-mqtt-in', -1); // warm-up: JIT, the databases' first tables
    const ours: number[] = [];
    const core: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Which goes first alternates, so neither always meets a broker fresh from the other's run.
      let a: number, b: number;
      if (round % 2 === 0) {
        a = await drain('telemetry-mqtt-in', round);
        b = await drain('core mqtt in', round);
      } else {
        b = await drain('core mqtt in', round);
        a = await drain('telemetry-mqtt-in', round);
      }
      ours.push(a);
      core.push(b);
      ratios.push(a / b);
    }
    const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
    console.log(
      `mqtt, one reading a message, ${N.toLocaleString('en')} per round: telemetry-mqtt-in ${rate(median(ours))}, core mqtt in ${rate(median(core))} -> ratio ${median(ratios).toFixed(2)} (target >= 0.80; rounds ${ratios.map((r) => r.toFixed(2)).join(' ')}); the reference design claims ${rate(CLAIM)}`,
    );
  } finally {
    nr.RED.hooks.remove('onReceive.benchmqtt');
    await nr.stop();
    await server.stop();
    await mosquitto.stop();
    fs.rmSync(nodesDir, { recursive: true, force: true });
  }
}
