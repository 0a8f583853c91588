// influxdb3-config over HTTPS, against the test server serving TLS (HTTP and Flight on one port)
// with a certificate from a test CA (test/support/tls): trusted through the config's custom CA,
// or by the explicit choice to allow self-signed certificates, and refused otherwise — with the
// certificate problem said in the status, the Catch message and the test-connection answer, and
// the lines kept in the spool.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catchNode, collect, getNode, helper, onTab } from '../support/flow-helper';
import { eventually } from '../support/eventually';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import configNode = require('../../nodes/influxdb3-config/influxdb3-config');
import queryNode = require('../../nodes/influxdb3-query/influxdb3-query');
import writeNode = require('../../nodes/influxdb3-write/influxdb3-write');

const tlsFile = (name: string) =>
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'support', 'tls', name), 'utf8');
const TOKEN = 'apiv3_tls-token';
const LINE = 'iot_sensors,device_id=TEMP_001 temperature=21.5 1795342500000000000';

describe('influxdb3-config over HTTPS', function () {
  this.timeout(30_000);
  let server: InfluxDB3Server;
  let userDir: string;
  before(async () => {
    server = await startInfluxDB3({
      token: TOKEN,
      tls: { key: tlsFile('server-key.pem'), cert: tlsFile('server.pem') },
    });
  });
  after(() => server?.stop());
  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-node-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function setup(tls: object) {
    await helper.load(
      [configNode, writeNode, queryNode, catchNode],
      onTab([
        { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant', ...tls },
        { id: 'w', type: 'influxdb3-write', server: 'cfg', wires: [['written'], ['refused']] },
        { id: 'written', type: 'helper' },
        { id: 'refused', type: 'helper' },
        {
          id: 'q',
          type: 'influxdb3-query',
          server: 'cfg',
          query: 'SELECT device_id, temperature FROM iot_sensors',
          wires: [['rows']],
        },
        { id: 'rows', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['w', 'q'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
      { cfg: { token: TOKEN } },
    );
    const w = getNode('w');
    const statuses: { text?: string }[] = [];
    const original = w.status.bind(w);
    w.status = (s: { text?: string }) => (statuses.push(s), original(s));
    return {
      w,
      q: getNode('q'),
      written: collect(getNode('written')),
      rows: collect(getNode('rows')),
      caught: collect(getNode('caught')),
      statuses,
    };
  }
  const testConnection = async (tls: object) =>
    (
      await helper
        .request()
        .post('/influxdb3-pipeline/test-connection')
        .send({ url: server.url, token: TOKEN, ...tls })
    ).body;

  for (const [name, tls] of [
    ['a custom CA', { ca: tlsFile('ca.pem') }],
    ['self-signed certificates allowed', { allowSelfSigned: true }],
  ] as const) {
    it(`writes, queries through Flight and tests the connection with ${name}`, async () => {
      const t = await setup(tls);
      t.w.receive({ payload: LINE });
      await eventually(() => t.written.length === 1, 'the write');
      t.q.receive({});
      await eventually(() => t.rows.length + t.caught.length === 1, 'the query');
      should(t.caught.map((m) => m.error.message)).eql([]);
      should(t.rows[0].payload).eql([{ device_id: 'TEMP_001', temperature: 21.5 }]);
      const answer = await testConnection(tls);
      should([answer.ok, answer.version]).eql([true, '3.10.1']);
    });
  }

  it('refuses a certificate it cannot verify: says so everywhere and keeps the lines in the spool', async () => {
    const t = await setup({});
    t.w.receive({ payload: LINE });
    await eventually(
      () => t.statuses.some((s) => /certificate/i.test(s.text ?? '')),
      'a status naming the certificate',
    );
    await eventually(
      () =>
        fs
          .readdirSync(path.join(userDir, 'influxdb3-pipeline'))
          .some((d) => fs.readdirSync(path.join(userDir, 'influxdb3-pipeline', d)).length > 0),
      'the spool file',
    );
    should(t.written.length).equal(0);
    t.q.receive({});
    await eventually(() => t.caught.length === 1, 'the query error');
    should(t.caught[0].error.message).match(/certificate/i);
    const answer = await testConnection({});
    should(answer.ok).equal(false);
    should(answer.error).match(/certificate/i);
  });
});
