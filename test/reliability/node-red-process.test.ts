// Node-RED stopped, and killed with SIGKILL, mid-stream while the server is away, then started
// again: the writer's spool replays. A stop loses nothing (line-protocol hands its buffer over, the
// writer spools what it holds); a kill loses at most what was being appended at that instant, and
// the test prints how many lines that was.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { startChild } from '../support/node-red-child-control';

describe('reliability: Node-RED stopped or killed mid-stream, then started again', function () {
  this.timeout(120_000);
  let server: InfluxDB3Server;
  let userDir: string;
  beforeEach(async () => {
    server = await startInfluxDB3();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-child-'));
  });
  afterEach(async () => {
    await server?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const writerNodes = () => [
    { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant' },
    {
      id: 'lp',
      z: 'tab',
      type: 'telemetry-line-protocol',
      batchSize: 400,
      flushInterval: 0.5,
      x: 550,
      y: 100,
      wires: [['w'], []],
    },
    { id: 'w', z: 'tab', type: 'influxdb3-write', server: 'cfg', x: 700, y: 100, wires: [[], []] },
  ];
  const streaming = () => [
    { id: 'tab', type: 'tab', label: 'stream' },
    {
      id: 'tick',
      z: 'tab',
      type: 'inject',
      props: [{ p: 'payload' }],
      payload: '{"command":"advance","ms":5000}',
      payloadType: 'json',
      repeat: '0.1',
      once: true,
      onceDelay: 0.1,
      x: 100,
      y: 100,
      wires: [['sim']],
    },
    {
      id: 'sim',
      z: 'tab',
      type: 'telemetry-simulator',
      clock: 'manual',
      autoStart: true,
      startTime: '2026-11-22T10:00:00Z',
      x: 250,
      y: 100,
      wires: [['val']],
    },
    { id: 'val', z: 'tab', type: 'telemetry-validate', x: 400, y: 100, wires: [['lp'], []] },
    ...writerNodes(),
  ];
  // After the restart only what was kept is written: no simulator, whose repeat of the same
  // readings would hide a loss (InfluxDB 3 merges identical points).
  const replayOnly = () => [{ id: 'tab', type: 'tab', label: 'replay' }, ...writerNodes()];
  const count = async () => {
    const res = await fetch(
      `${server.url}/api/v3/query_sql?db=plant&q=${encodeURIComponent('SELECT count(*) AS n FROM iot_sensors')}`,
    );
    return res.status === 200 ? ((await res.json())[0]?.n ?? 0) : 0;
  };
  const settleCount = async (want: number) => {
    for (let i = 0; i < 300; i++) {
      if ((await count()) >= want) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    return count();
  };

  it('a stop (SIGTERM) during an outage loses nothing', async () => {
    await server.faults.refuseConnections(true);
    const first = await startChild(userDir, streaming());
    await new Promise((r) => setTimeout(r, 3000));
    first.proc.kill('SIGTERM');
    await first.exited;
    const before = first.given();
    await server.faults.refuseConnections(false);
    const second = await startChild(userDir, replayOnly());
    try {
      const given = before + (await new Promise<number>((r) => setTimeout(() => r(second.given()), 1500)));
      should(before > 1000).be.true(`${before} lines reached the writer before the stop`);
      should(await settleCount(given)).equal(given, 'every line given to the writer, in both runs, is in the database');
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });

  it('a SIGKILL while spooling loses at most what was being appended', async () => {
    await server.faults.refuseConnections(true);
    const first = await startChild(userDir, streaming());
    await new Promise((r) => setTimeout(r, 3000));
    first.proc.kill('SIGKILL');
    await first.exited;
    const given = first.given();
    await server.faults.refuseConnections(false);
    const second = await startChild(userDir, replayOnly());
    try {
      const stored = await settleCount(given);
      const lost = given - stored;
      console.log(
        `      SIGKILL after ${given} lines reached the writer: ${stored} in the database after the restart, ${lost} lost (one batch is 400 lines)`,
      );
      should(given > 1000).be.true(`${given} lines reached the writer before the kill`);
      should(lost >= 0 && lost <= 400).be.true(`${lost} lines lost: at most the batch being appended`);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
