// The pipeline's own metrics in a real Node-RED runtime: every node of a validate -> write flow
// counts what passes, Prometheus reads it on the admin path, and telemetry-metrics stores the same
// through influxdb3-write in the project's InfluxDB 3 compatible server. Series stay bounded by the
// flow, not the fleet: 10,000 devices (hostile ids among them) add none.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collect, getNode, helper, onTab } from '../support/flow-helper';
import { eventually } from '../support/eventually';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { parsePrometheusText, total } from '../support/prometheus-text';
import { HOSTILE_STRINGS } from '../support/hostile-corpus';
import configNode = require('../../nodes/influxdb3-config/influxdb3-config');
import writeNode = require('../../nodes/influxdb3-write/influxdb3-write');
import validateNode = require('../../nodes/telemetry-validate/telemetry-validate');
import metricsNode = require('../../nodes/telemetry-metrics/telemetry-metrics');

const nodes = [configNode, writeNode, validateNode, metricsNode];

const reading = (device: string, over: object = {}) => ({
  device_id: device,
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '2',
  timestamp: new Date().toISOString(),
  temperature: 21.5,
  humidity: 50,
  battery_level: 99.9,
  signal_strength: -60,
  ...over,
});

describe('telemetry-metrics and the metrics path', function () {
  this.timeout(60_000);
  let server: InfluxDB3Server;
  let userDir: string;

  beforeEach(async () => {
    server = await startInfluxDB3();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-node-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    await server.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const flow = () =>
    onTab([
      { id: 'cfg', type: 'influxdb3-config', url: server.url, database: 'plant' },
      { id: 'v', type: 'telemetry-validate', name: 'check', wires: [['w'], ['refused']] },
      { id: 'w', type: 'influxdb3-write', server: 'cfg', database: 'plant', wires: [['written'], []] },
      { id: 'm', type: 'telemetry-metrics', intervalSec: 3600, wires: [['mw', 'lines']] },
      { id: 'mw', type: 'influxdb3-write', server: 'cfg', database: 'pipeline', wires: [['stored'], []] },
      { id: 'refused', type: 'helper' },
      { id: 'written', type: 'helper' },
      { id: 'lines', type: 'helper' },
      { id: 'stored', type: 'helper' },
    ]);

  const scrape = async () => {
    const res = await helper.request().get('/influxdb3-pipeline/metrics').expect(200);
    should(res.headers['content-type']).startWith('text/plain');
    return parsePrometheusText(res.text);
  };

  it('counts messages, readings refused by reason and lines written; the series do not grow with 10,000 devices', async () => {
    await helper.load(nodes, flow());
    const written = collect(getNode('written'));
    const refused = collect(getNode('refused'));
    let sent = 0;
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i += 500) {
        const batch = [];
        for (let d = i; d < Math.min(to, i + 500); d++) batch.push(reading(`DEV_${d}`));
        // Hostile device ids and a bad value: refused (or stored) with their reasons, never labels.
        for (const id of HOSTILE_STRINGS) batch.push(reading(id));
        batch.push(reading(`DEV_${i}`, { humidity: 'wet' }));
        sent += batch.length;
        getNode('v').receive({ payload: batch });
      }
      await eventually(() => written.reduce((n, m) => n + m.payload.lines, 0) >= to, 'the readings written');
    };
    await send(0, 1000);
    const series = (await scrape()).samples.length;
    await send(1000, 10_000);
    const e = await scrape();
    should(e.samples.length).equal(series, 'no new series for new devices');
    should(e.samples.some((s) => Object.values(s.labels).some((v) => v.includes('DEV_')))).be.false();
    const validate = { type: 'telemetry-validate', node: 'v', name: 'check' };
    should(total(e, 'telemetry_messages_in_total', validate)).equal(20);
    should(total(e, 'telemetry_readings_refused_total', { ...validate, reason: 'wrong_type' })).be.aboveOrEqual(20);
    should(total(e, 'telemetry_readings_refused_total', validate)).equal(refused.length);
    should(total(e, 'telemetry_readings_in_total', validate)).equal(sent);
    should(total(e, 'telemetry_readings_out_total', validate)).equal(sent - refused.length);
    const lines = written.reduce((n, m) => n + m.payload.lines, 0);
    should(total(e, 'influxdb3_lines_written_total', { node: 'w' })).equal(lines);
    should(total(e, 'influxdb3_write_duration_seconds_count', { node: 'w' })).equal(written.length);
    should(total(e, 'telemetry_queued_items', { node: 'w', store: 'spool' })).equal(0);
  });

  it('stores the metrics through influxdb3-write, one row per node and label set', async () => {
    await helper.load(nodes, flow());
    const stored = collect(getNode('stored'));
    const lines = collect(getNode('lines'));
    getNode('v').receive({ payload: [reading('A'), reading('B', { humidity: 'wet' })] });
    await eventually(async () =>
      (await scrape()).samples.some((s) => s.name === 'influxdb3_lines_written_total' && s.value === 1),
    );
    getNode('m').receive({});
    await eventually(() => stored.length === 1, 'the metrics written');
    should(lines[0].precision).equal('ms');
    const res = await fetch(
      `${server.url}/api/v3/query_sql?db=pipeline&q=${encodeURIComponent(
        'SELECT type, node, reason, telemetry_readings_refused_total FROM pipeline_metrics WHERE telemetry_readings_refused_total IS NOT NULL',
      )}`,
    );
    should(res.status).equal(200);
    should(await res.json()).eql([
      { type: 'telemetry-validate', node: 'v', reason: 'wrong_type', telemetry_readings_refused_total: 1 },
    ]);
    const written = await fetch(
      `${server.url}/api/v3/query_sql?db=pipeline&q=${encodeURIComponent(
        "SELECT influxdb3_lines_written_total AS n FROM pipeline_metrics WHERE node = 'w' AND influxdb3_lines_written_total IS NOT NULL",
      )}`,
    );
    should(await written.json()).eql([{ n: 1 }]);
  });
});
