// An alert episode across a redeploy and a restart of a real Node-RED (a child process): the
// firing is sent once, and the resolved that ends it carries the same episode id.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import should from 'should';
import { Child, startChild } from '../support/node-red-child-control';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const reading = (sec: number, temperature: number) =>
  JSON.stringify({
    device_id: 'TEMP_001',
    device_type: 'temperature',
    timestamp: new Date(T0 + sec * 1000).toISOString(),
    temperature,
  });

const flows = () => [
  { id: 'tab', type: 'tab', label: 'alerts' },
  ...[
    ['hot1', reading(0, 40)],
    ['hot2', reading(5, 41)],
    ['hot3', reading(10, 42)],
    ['cool', reading(15, 30)],
  ].map(([id, payload], i) => ({
    id,
    z: 'tab',
    type: 'inject',
    props: [{ p: 'payload' }],
    payload,
    payloadType: 'json',
    x: 100,
    y: 100 + i * 40,
    wires: [['alert']],
  })),
  {
    id: 'alert',
    z: 'tab',
    type: 'telemetry-alert',
    rules: [{ name: 'hot', kind: 'threshold', field: 'temperature', op: 'above', threshold: 35, severity: 'HIGH' }],
    clock: 'readings',
    x: 300,
    y: 100,
    wires: [['alert-events'], []],
  },
  { id: 'alert-events', z: 'tab', type: 'debug', active: false, x: 500, y: 100, wires: [] },
];

describe('reliability: an alert episode across a redeploy and a restart of Node-RED', function () {
  this.timeout(60_000);
  let userDir: string;
  let child: Child | undefined;
  before(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-restart-'));
  });
  after(async () => {
    if (child && child.proc.exitCode === null) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const inject = async (id: string) => {
    const res = await fetch(`${child!.url}/inject/${id}`, { method: 'POST' });
    should(res.status).equal(200);
  };
  const eventually = async (what: () => boolean) => {
    for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
  };

  it('sends one firing, and a resolved with the same episode id after both', async () => {
    child = await startChild(userDir, flows());
    await inject('hot1');
    await eventually(() => child!.events.length === 1);
    const [firing] = child.events as { event: string; episodeId: string }[];
    should(firing.event).equal('firing');

    // A full redeploy: every node stops and starts again.
    const res = await fetch(`${child.url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows()),
    });
    should(res.status).equal(204);
    await new Promise((r) => setTimeout(r, 500));
    await inject('hot2');

    // SIGKILL, the way a power cut or the OOM killer stops it, then start again.
    child.proc.kill('SIGKILL');
    await child.exited;
    child = await startChild(userDir, flows());
    await inject('hot3');
    await inject('cool');
    await eventually(() => child!.events.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    const events = child.events as { event: string; episodeId: string }[];
    should(events.map((e) => e.event)).eql(['resolved']);
    should(events[0].episodeId).equal(firing.episodeId);
  });
});
