// telemetry-mqtt-in in a real Node-RED child process (-> validate -> line protocol -> influxdb3-write
// -> the test server) while a publisher sends QoS 1 reference readings to Mosquitto, through what a
// factory floor does to it: the broker restarted mid-stream (persistence on), a full redeploy, a
// 60 s database outage; and two Node-RED instances sharing one subscription. In each, every reading
// the broker acknowledged ends in the database.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Child, startChild } from '../support/node-red-child-control';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { Mosquitto, requireMosquitto, startMosquitto } from '../support/mqtt-brokers';
import {
  ReferencePublisher,
  SENSOR_TOPICS,
  mqttPipelineFlows,
  prepareSession,
  storedWhenSettled,
} from '../support/mqtt-pipeline';

const RATE = 250;
const OUTAGE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliability: telemetry-mqtt-in through broker restarts, redeploys, outages and shared subscriptions', function () {
  this.timeout(180_000);
  let mosquitto: Mosquitto;
  let server: InfluxDB3Server;
  let publisher: ReferencePublisher;
  const children: Child[] = [];
  const userDirs: string[] = [];
  before(function () {
    requireMosquitto(this);
  });
  beforeEach(async () => {
    mosquitto = await startMosquitto({ persistence: true });
    server = await startInfluxDB3({ walFlushMs: 20 });
    publisher = new ReferencePublisher(mosquitto.url, RATE);
  });
  afterEach(async () => {
    await publisher.stop();
    for (const c of children.splice(0)) {
      c.proc.kill('SIGTERM');
      await c.exited;
    }
    await mosquitto.stop();
    await server.stop();
    for (const d of userDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  async function pipeline(clientId: string, topic = SENSOR_TOPICS) {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-disrupt-'));
    userDirs.push(userDir);
    const flows = mqttPipelineFlows({
      input: 'telemetry-mqtt-in',
      mqttUrl: mosquitto.url,
      serverUrl: server.url,
      clientId,
      topic,
    });
    await prepareSession(mosquitto.url, clientId, topic);
    const child = await startChild(userDir, flows);
    children.push(child);
    return { child, flows };
  }

  /** Stops the publisher, waits for the database (until it has all, or nothing changed for
   *  quietMs), and checks nothing the broker acknowledged is missing. */
  async function nothingLost(what: string, quietMs = 20_000) {
    const published = await publisher.stop();
    const stored = await storedWhenSettled(server.url, published, quietMs);
    console.log(`      ${what}: ${published} published, ${stored} in the database, ${published - stored} lost`);
    should(stored).equal(published, 'every published reading is in the database');
    return published;
  }

  it('loses nothing when Mosquitto is restarted mid-stream', async () => {
    await pipeline('restart_test');
    await publisher.start();
    await sleep(3000);
    await mosquitto.restart();
    await sleep(4000);
    should(publisher.published).be.above(RATE * 5);
    await nothingLost('Mosquitto restarted after 3 s');
  });

  it('loses nothing across a full redeploy mid-stream', async () => {
    const { child, flows } = await pipeline('redeploy_test');
    await publisher.start();
    await sleep(3000);
    const res = await fetch(`${child.url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    should(res.status).equal(204);
    await sleep(3000);
    await nothingLost('full redeploy after 3 s');
  });

  it(`loses nothing across a ${OUTAGE_MS / 1000} s database outage`, async () => {
    await pipeline('outage_test');
    await publisher.start();
    await sleep(2000);
    await server.faults.refuseConnections(true);
    await sleep(OUTAGE_MS);
    await server.faults.refuseConnections(false);
    await sleep(2000);
    // After an outage the writer's next try can be up to its longest backoff (30 s) away.
    const published = await nothingLost(`${OUTAGE_MS / 1000} s outage`, 40_000);
    should(published).be.above((RATE * OUTAGE_MS) / 1000 / 2, 'the stream went on through the outage');
  });

  it('with two instances on one shared subscription, stores every reading once and both take part', async () => {
    const shared = `$share/pipeline/${SENSOR_TOPICS}`;
    const a = await pipeline('shared_a', shared);
    const b = await pipeline('shared_b', shared);
    await publisher.start();
    await sleep(5000);
    const published = await nothingLost('two instances sharing a subscription');
    // Each reading went to one instance: the lines the two writers were given add up to those published.
    await sleep(500);
    const given = [a.child.given(), b.child.given()];
    console.log(`      instance A wrote ${given[0]}, instance B ${given[1]}`);
    should(given[0]).be.above(published / 4);
    should(given[1]).be.above(published / 4);
    should(given[0] + given[1]).equal(published);
  });
});
