// Nothing lost across a redeploy: a real Node-RED runs simulator -> validate -> line-protocol ->
// influxdb3-write against the test server, which refuses connections; the flows are redeployed
// mid-stream (every node stops and starts: line-protocol hands its buffer over, the writer spools),
// then the server comes back. Every line the writer was given must be in the database.
import should from 'should';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';

describe('reliability: a redeploy mid-stream during an outage loses nothing', function () {
  this.timeout(90_000);
  let server: InfluxDB3Server;
  let nr: NodeRedInstance;
  before(async () => {
    server = await startInfluxDB3({ token: 'tok', walFlushMs: 20 });
    nr = await startNodeRed();
  });
  after(async () => {
    await nr?.stop();
    await server?.stop();
  });

  // After the redeploy the simulator starts afresh: it starts an hour later, so its readings are new
  // points rather than the same points again (which InfluxDB 3 would merge).
  const flow = (startTime = '2026-11-22T10:00:00Z') => [
    { id: 'tab', type: 'tab', label: 'redeploy' },
    { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant', credentials: { token: 'tok' } },
    {
      id: 'adv',
      z: 'tab',
      type: 'inject',
      props: [{ p: 'payload' }],
      payload: '{"command":"advance","ms":60000}',
      payloadType: 'json',
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
      startTime,
      x: 250,
      y: 100,
      wires: [['val']],
    },
    { id: 'val', z: 'tab', type: 'telemetry-validate', x: 400, y: 100, wires: [['lp'], []] },
    {
      id: 'lp',
      z: 'tab',
      type: 'telemetry-line-protocol',
      batchSize: 400,
      flushInterval: 60,
      x: 550,
      y: 100,
      wires: [['w'], []],
    },
    { id: 'w', z: 'tab', type: 'influxdb3-write', server: 'cfg', maxQueueMB: 1, x: 700, y: 100, wires: [[], []] },
  ];

  it('writes every line the writer was given once the server is back', async () => {
    let given = 0;
    nr.RED.hooks.add('onReceive.redeploy', (ev: { destination: { id: string }; msg: { lineCount?: number } }) => {
      if (ev.destination.id === 'w') given += ev.msg.lineCount ?? 0;
    });
    const count = async () => {
      const res = await fetch(
        `${server.url}/api/v3/query_sql?db=plant&q=${encodeURIComponent('SELECT count(*) AS n FROM iot_sensors')}`,
        { headers: { authorization: 'Bearer tok' } },
      );
      return res.status === 200 ? (await res.json())[0].n : 0;
    };
    try {
      await nr.deploy(flow());
      const advance = async (times: number) => {
        for (let i = 0; i < times; i++) should((await nr.api('POST', '/inject/adv')).status).equal(200);
        await new Promise((r) => setTimeout(r, 300));
      };
      await advance(2);
      await server.faults.refuseConnections(true);
      await advance(3); // 80 devices x 12 readings a minute: some in line-protocol's buffer, the rest waiting or spooled
      const beforeRedeploy = given;
      await nr.deploy(flow('2026-11-22T11:00:00Z'));
      await advance(2);
      should(given > beforeRedeploy).be.true('line-protocol handed its buffer over to the new writer');
      await server.faults.refuseConnections(false);
      // The writer backs off up to 30 s between attempts while the server is away.
      for (let i = 0; i < 600 && (await count()) < given; i++) await new Promise((r) => setTimeout(r, 100));
      // 7 minutes of the fleet; line-protocol keeps its last partial batch (flush every 60 s).
      should(given >= 80 * 12 * 6).be.true(`${given} lines given to the writer`);
      should(await count()).equal(given, 'every line given to the writer is in the database');
    } finally {
      nr.RED.hooks.remove('onReceive.redeploy');
    }
  });
});
