// influxdb3-query in the real Node-RED runtime against the project's InfluxDB 3 compatible server:
// parameters, the three output shapes (parts put back together by the core join node), value
// shaping, and errors with the server's message.
import should from 'should';
import { catchNode, collect, getNode, helper, onTab } from '../support/flow-helper';
import { eventually } from '../support/eventually';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import configNode = require('../../nodes/influxdb3-config/influxdb3-config');
import queryNode = require('../../nodes/influxdb3-query/influxdb3-query');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const joinNode = require('@node-red/nodes/core/sequence/17-split.js');

describe('influxdb3-query node', function () {
  this.timeout(30_000);
  let server: InfluxDB3Server;
  before(async () => {
    server = await startInfluxDB3({ token: 'tok' });
    const lines = Array.from(
      { length: 2500 },
      (_, i) =>
        `iot_sensors,device_id=D${i % 5} temperature=${20 + (i % 10)},big=${i === 0 ? '9007199254740993' : i}i ${1795342500000000000n + BigInt(i) * 1_000_000_000n}`,
    );
    const res = await fetch(`${server.url}/api/v3/write_lp?db=plant`, {
      method: 'POST',
      body: lines.join('\n'),
      headers: { authorization: 'Bearer tok' },
    });
    should(res.status).equal(204);
  });
  after(() => server?.stop());
  afterEach(() => helper.unload());

  async function setup(props: object) {
    await helper.load(
      [configNode, queryNode, joinNode, catchNode],
      onTab([
        { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant' },
        { id: 'q', type: 'influxdb3-query', server: 'cfg', wires: [['out', 'join']], ...props },
        { id: 'out', type: 'helper' },
        { id: 'join', type: 'join', mode: 'auto', wires: [['joined']] },
        { id: 'joined', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['q'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
      { cfg: { token: 'tok' } },
    );
    return {
      q: getNode('q'),
      out: collect(getNode('out')),
      joined: collect(getNode('joined')),
      caught: collect(getNode('caught')),
    };
  }

  it('binds msg.params and sends the rows as one array, with Date timestamps and 64-bit aggregates kept exact', async () => {
    const t = await setup({
      query: 'SELECT device_id, big, time FROM iot_sensors WHERE device_id = $d AND big < $max ORDER BY time LIMIT 3',
    });
    t.q.receive({ params: { d: 'D0', max: 100 }, topic: 'kept' });
    await eventually(() => t.out.length === 1);
    const [m] = t.out;
    should(m.topic).equal('kept');
    should(m.payload.map((r: { big: unknown }) => r.big)).eql([5, 10, 15]);
    should(m.payload[0].time instanceof Date).be.true();
    should(m.payload[0].time.toISOString()).equal('2026-11-22T10:15:05.000Z');
    t.q.receive({ query: "SELECT count(*) AS n, sum(big) AS s FROM iot_sensors WHERE device_id = 'D0'" });
    await eventually(() => t.out.length === 2);
    // Aggregates are 64-bit integers the client gives as bigint: numbers when exact, else text.
    should(t.out[1].payload).eql([{ n: 500, s: String(9007199254740993n + BigInt(((5 + 2495) * 499) / 2)) }]);
  });

  it('sends one message per row, or parts the join node puts back together', async () => {
    let t = await setup({
      query: "SELECT device_id FROM iot_sensors WHERE device_id = 'D1' ORDER BY time LIMIT 4",
      output: 'rows',
    });
    t.q.receive({});
    await eventually(() => t.out.length === 4);
    should(t.out[0].payload).eql({ device_id: 'D1' });
    await helper.unload();
    t = await setup({
      query: 'SELECT device_id, time FROM iot_sensors ORDER BY time',
      output: 'parts',
      partSize: 1000,
      timeFormat: 'iso',
    });
    t.q.receive({});
    await eventually(() => t.joined.length === 1);
    should(t.out.length).equal(3, '1,000 + 1,000 + 500 rows');
    should(t.joined[0].payload.length).equal(2500);
    should(t.joined[0].payload[2499].time).equal('2026-11-22T10:56:39.000Z');
  });

  it('hands SQL errors, bad parameters and unknown databases to a Catch node with the reason', async () => {
    const t = await setup({ query: 'SELECT * FROM nope' });
    t.q.receive({});
    t.q.receive({ query: 'SELECT * FROM iot_sensors WHERE device_id = $d', params: { d: ['x'] } });
    t.q.receive({ query: 'SELECT * FROM iot_sensors WHERE big = $n', params: { n: 0 } });
    t.q.receive({ query: 'SELECT 1 AS one', database: 'missing' });
    await eventually(() => t.caught.length === 4);
    const messages = t.caught.map((m) => m.error.message).join('\n');
    should(messages).match(/table 'public\.iox\.nope' not found/);
    should(messages).match(/msg\.params\.d must be a string, a number or a boolean, not an array/);
    should(messages).match(/does not send 0, false or empty parameters/);
    should(t.caught.length).equal(4);
  });

  it("queries a server that needs no token (npm start's test server) with no token set", async () => {
    const open = await startInfluxDB3();
    try {
      await fetch(`${open.url}/api/v3/write_lp?db=plant`, {
        method: 'POST',
        body: 'iot_sensors,device_id=D9 temperature=1 1795342500000000000',
      });
      await helper.load(
        [configNode, queryNode, catchNode],
        onTab([
          { id: 'cfg', type: 'influxdb3-config', url: open.url, database: 'plant' },
          {
            id: 'q',
            type: 'influxdb3-query',
            server: 'cfg',
            query: 'SELECT device_id FROM iot_sensors',
            wires: [['out']],
          },
          { id: 'out', type: 'helper' },
          { id: 'catch', type: 'catch', scope: ['q'], uncaught: false, wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ]),
      );
      const out = collect(getNode('out'));
      const caught = collect(getNode('caught'));
      getNode('q').receive({});
      await eventually(() => out.length + caught.length === 1);
      should(caught.map((m) => m.error.message)).eql([]);
      should(out[0].payload).eql([{ device_id: 'D9' }]);
    } finally {
      await helper.unload();
      await open.stop();
    }
  });

  it('gives up after its timeout with a message that says so, and the next query works', async () => {
    const t = await setup({ query: "SELECT device_id FROM iot_sensors WHERE device_id = 'D2' LIMIT 1", timeout: 1 });
    server.faults.delayResponses(2500);
    const started = Date.now();
    t.q.receive({});
    try {
      await eventually(() => t.caught.length === 1);
    } finally {
      server.faults.delayResponses(0);
    }
    should(Date.now() - started < 2500).be.true('gave up before the server answered');
    should(t.caught[0].error.message).match(/no answer within 1 s/);
    t.q.receive({});
    await eventually(() => t.out.length === 1);
    should(t.out[0].payload).eql([{ device_id: 'D2' }]);
  });

  it('shares one client among the nodes of a config, and closes it when the last of them is removed', async () => {
    const queryNodes = [1, 2, 3].map((i) => ({
      id: `q${i}`,
      type: 'influxdb3-query',
      server: 'cfg',
      query: 'SELECT count(*) AS n FROM iot_sensors',
      wires: [['out']],
    }));
    const flow = (nodes: object[]) =>
      onTab([
        { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant' },
        ...nodes,
        { id: 'out', type: 'helper' },
      ]);
    await helper.load([configNode, queryNode], flow(queryNodes), { cfg: { token: 'tok' } });
    const out = collect(getNode('out'));
    for (const i of [1, 2, 3]) getNode(`q${i}`).receive({});
    await eventually(() => out.length === 3);
    should(server.grpcSessions()).equal(1, 'one Flight connection for three nodes');
    await helper.setFlows(flow(queryNodes.slice(0, 1)), 'nodes', { cfg: { token: 'tok' } });
    await new Promise((r) => setTimeout(r, 200));
    should(server.grpcSessions()).equal(1, 'kept while a node uses it');
    await helper.setFlows(flow([]), 'nodes', { cfg: { token: 'tok' } });
    await eventually(() => server.grpcSessions() === 0);
  });
});
