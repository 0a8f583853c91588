// The kill test of HTTP devices: devices POST readings (10 a request, four at a time) to core
// http in -> telemetry-validate -> telemetry-line-protocol -> influxdb3-write in a real Node-RED in a
// child process, which is killed with SIGKILL at random moments, 8 times, and started again. A
// device sends a request again until it is answered (a refused connection, a reset, a 503), as a
// device should. validate answers only once the readings are durable, so every reading is in the
// database at the end: none was answered and then lost. The same harness with an http response
// node that answers at once (what a flow without the pack would do) prints its loss beside.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killMoments } from '../support/kill-moments';
import { Child, startChild } from '../support/node-red-child-control';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { referenceReading, storedWhenSettled } from '../support/mqtt-pipeline';

const KILLS = 8;
const PER_REQUEST = 10;
const DEVICES_AT_ONCE = 4;

type Answering = 'validate, once stored' | 'http response, at once';

function flows(answering: Answering, serverUrl: string): object[] {
  const at = (x: number) => ({ z: 'tab', x, y: 100 });
  const once = answering === 'validate, once stored';
  return [
    { id: 'tab', type: 'tab', label: 'http devices' },
    {
      id: 'in',
      type: 'http in',
      url: '/readings',
      method: 'post',
      ...at(100),
      wires: [once ? ['val'] : ['val', 'res']],
    },
    { id: 'res', type: 'http response', statusCode: '200', ...at(300) },
    { id: 'val', type: 'telemetry-validate', httpAnswer: once ? 'stored' : 'none', ...at(300), wires: [['lp'], []] },
    { id: 'lp', type: 'telemetry-line-protocol', flushInterval: 0.5, ...at(500), wires: [['w'], []] },
    { id: 'w', type: 'influxdb3-write', server: 'cfg', ...at(700), wires: [[], []] },
    { id: 'cfg', type: 'influxdb3-config', url: serverUrl, database: 'plant' },
  ];
}

/** Devices that POST numbered requests and send each again until it is answered. */
class Devices {
  next = 0;
  answered = 0;
  refused = 0;
  private issuing = true;
  private readonly workers: Promise<void>[] = [];

  constructor(private readonly url: () => string) {}

  start(): void {
    for (let w = 0; w < DEVICES_AT_ONCE; w++) this.workers.push(this.work());
  }

  /** Stops taking new requests; resolves once every request taken is answered. */
  async finish(): Promise<void> {
    this.issuing = false;
    await Promise.all(this.workers);
  }

  get readings(): number {
    return this.next * PER_REQUEST;
  }

  private async work(): Promise<void> {
    while (this.issuing) {
      const k = this.next++;
      const body = JSON.stringify(
        Array.from(
          { length: PER_REQUEST },
          (_, i) => JSON.parse(referenceReading(k * PER_REQUEST + i).payload) as object,
        ),
      );
      for (;;) {
        const status = await fetch(`${this.url()}/readings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        }).then(
          async (r) => {
            await r.arrayBuffer();
            return r.status;
          },
          () => 0, // refused, reset or timed out: Node-RED is down
        );
        if (status === 200) {
          this.answered++;
          break;
        }
        if (status >= 400 && status < 500) {
          this.refused++;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

describe('reliability: Node-RED killed between HTTP requests and their answers', function () {
  this.timeout(300_000);
  let server: InfluxDB3Server | undefined;
  const userDirs: string[] = [];
  afterEach(async () => {
    await server?.stop();
    for (const d of userDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  async function killRun(answering: Answering, seed: number) {
    server = await startInfluxDB3({ walFlushMs: 20 });
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'http-kill-'));
    userDirs.push(userDir);
    const flow = flows(answering, server.url);
    let child: Child = await startChild(userDir, flow);
    const devices = new Devices(() => child.url);
    devices.start();
    const next = killMoments(seed);
    for (let kills = 0; kills < KILLS; kills++) {
      await new Promise((r) => setTimeout(r, 500 + next() * 2000));
      child.proc.kill('SIGKILL');
      await child.exited;
      child = await startChild(userDir, flow);
    }
    await new Promise((r) => setTimeout(r, 1000));
    await devices.finish();
    try {
      const stored = await storedWhenSettled(server.url, devices.readings);
      return { sent: devices.readings, answered: devices.answered, refused: devices.refused, stored };
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
      await server.stop();
      server = undefined;
    }
  }

  it(`stores every reading of every answered request across ${KILLS} SIGKILLs; answering at once loses some`, async () => {
    const seed = Number(process.env.KILL_SEED ?? Date.now() % 1e9);
    const ours = await killRun('validate, once stored', seed);
    const atOnce = await killRun('http response, at once', seed);
    const line = (name: string, r: typeof ours) =>
      `      ${name}: ${r.answered} requests answered 200 (${r.sent} readings), ${r.stored} in the database, ${r.sent - r.stored} lost`;
    console.log(`      kill moments from KILL_SEED=${seed}`);
    console.log(line('validate answers once stored', ours));
    console.log(line('http response answers at once', atOnce));
    should(ours.refused).equal(0);
    should(ours.answered * PER_REQUEST).equal(ours.sent, 'every request was answered in the end');
    should(ours.sent).be.above(20 * PER_REQUEST, 'the devices kept sending through the kills');
    should(ours.stored).equal(ours.sent, 'every reading of every answered request is in the database');
  });
});
