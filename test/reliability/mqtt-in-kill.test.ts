// The kill test of telemetry-mqtt-in: a publisher sends reference readings at QoS 1 to Mosquitto
// (persistence on) while a real Node-RED in a child process (telemetry-mqtt-in -> validate -> line
// protocol -> influxdb3-write -> the test server) is killed with SIGKILL at random moments, 10
// times, and started again each time. At the end every reading the broker acknowledged is in the
// database (distinct series and time = published). The same harness with Node-RED's core mqtt in
// in its place, which acknowledges each message as it arrives, prints its loss beside ours.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killMoments } from '../support/kill-moments';
import { startChild } from '../support/node-red-child-control';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { Mosquitto, requireMosquitto, startMosquitto } from '../support/mqtt-brokers';
import {
  MqttInput,
  ReferencePublisher,
  mqttPipelineFlows,
  prepareSession,
  storedWhenSettled,
} from '../support/mqtt-pipeline';

const KILLS = 10;
const RATE = 250;

interface KillRun {
  published: number;
  stored: number;
  kills: number;
}

describe('reliability: Node-RED killed while readings arrive over MQTT', function () {
  this.timeout(360_000);
  let mosquitto: Mosquitto;
  let server: InfluxDB3Server;
  const userDirs: string[] = [];
  before(function () {
    requireMosquitto(this);
  });
  afterEach(async () => {
    await mosquitto?.stop();
    await server?.stop();
    for (const d of userDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  async function killRun(input: MqttInput, seed: number): Promise<KillRun> {
    mosquitto = await startMosquitto({ persistence: true });
    server = await startInfluxDB3({ walFlushMs: 20 });
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-kill-'));
    userDirs.push(userDir);
    const clientId = `kill_${input.replace(/\W/g, '_')}`;
    const flows = mqttPipelineFlows({ input, mqttUrl: mosquitto.url, serverUrl: server.url, clientId });
    await prepareSession(mosquitto.url, clientId);
    const publisher = new ReferencePublisher(mosquitto.url, RATE);
    await publisher.start();
    const next = killMoments(seed);
    let kills = 0;
    try {
      for (; kills < KILLS; kills++) {
        const child = await startChild(userDir, flows);
        // Alive 0.3 to 2.3 s: long enough to connect and take a flood of queued messages, short
        // enough that many kills land while batches are on their way to the database.
        await new Promise((r) => setTimeout(r, 300 + next() * 2000));
        child.proc.kill('SIGKILL');
        await child.exited;
      }
    } finally {
      await publisher.stop();
    }
    const last = await startChild(userDir, flows);
    try {
      const stored = await storedWhenSettled(server.url, publisher.published);
      return { published: publisher.published, stored, kills };
    } finally {
      last.proc.kill('SIGTERM');
      await last.exited;
    }
  }

  it(`stores every published reading across ${KILLS} SIGKILLs; core mqtt in's loss is printed beside`, async () => {
    const seed = Number(process.env.KILL_SEED ?? Date.now() % 1e9);
    const ours = await killRun('telemetry-mqtt-in', seed);
    await mosquitto.stop();
    await server.stop();
    const core = await killRun('core mqtt in', seed);
    const line = (name: string, r: KillRun) =>
      `      ${name}: ${r.published} published, ${r.stored} in the database after ${r.kills} SIGKILLs, ${r.published - r.stored} lost`;
    console.log(`      kill moments from KILL_SEED=${seed}`);
    console.log(line('telemetry-mqtt-in', ours));
    console.log(line('core mqtt in     ', core));
    should(ours.kills).equal(KILLS);
    should(ours.published).be.above(RATE * 5, 'the publisher kept going through the kills');
    should(ours.stored).equal(ours.published, 'every published reading is in the database');
    should(core.published).be.above(RATE * 5);
  });
});
