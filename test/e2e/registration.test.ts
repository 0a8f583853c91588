import should from 'should';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { AedesBroker, startAedes } from '../support/mqtt-brokers';
import { NodeRedInstance, PACK_NAME, startNodeRed } from '../support/node-red-instance';

const TYPES = [
  'telemetry-schema',
  'telemetry-simulator',
  'telemetry-validate',
  'telemetry-line-protocol',
  'telemetry-alert',
  'telemetry-smtp',
  'telemetry-alert-email',
  'influxdb3-config',
  'influxdb3-write',
  'influxdb3-query',
  'influxdb3-downsample',
  'telemetry-mqtt-broker',
  'telemetry-mqtt-in',
];
const CONFIG_ONLY = ['telemetry-schema', 'influxdb3-config', 'telemetry-smtp', 'telemetry-mqtt-broker'];

describe('end to end: a real Node-RED with the pack installed', function () {
  this.timeout(60_000);
  let nr: NodeRedInstance;
  let influx: InfluxDB3Server;
  let mqtt: AedesBroker;
  const had = { INFLUXDB3_URL: process.env.INFLUXDB3_URL, MQTT_URL: process.env.MQTT_URL };
  before(async () => {
    // The example flow's configs read ${INFLUXDB3_URL} and ${MQTT_URL}, as under npm start.
    influx = await startInfluxDB3();
    mqtt = await startAedes();
    process.env.INFLUXDB3_URL = influx.url;
    process.env.MQTT_URL = mqtt.url;
    nr = await startNodeRed();
  });
  after(async () => {
    await nr?.stop();
    await mqtt?.close();
    await influx?.stop();
    for (const [k, v] of Object.entries(had)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('registers every node type of the pack without error', async () => {
    const res = await nr.api('GET', '/nodes');
    should(res.status).equal(200);
    const sets = (res.json() as { module: string; types: string[]; enabled: boolean; err?: string }[]).filter(
      (s) => s.module === PACK_NAME,
    );
    should(sets.flatMap((s) => s.types).sort()).eql([...TYPES].sort());
    // Type names are global across every installed pack: each of ours carries the pack's prefix.
    for (const type of sets.flatMap((s) => s.types)) should(type).match(/^(telemetry|influxdb3)-/);
    for (const s of sets) {
      should(s.err).equal(undefined, `${s.types}: ${s.err}`);
      should(s.enabled).equal(true);
    }
  });

  it('serves an editor definition and help text for each node', async () => {
    const res = await nr.api('GET', '/nodes', undefined, 'text/html');
    should(res.status).equal(200);
    for (const type of TYPES) {
      should(res.body.includes(`RED.nodes.registerType('${type}'`)).be.true(`${type} editor registration`);
      should(res.body.includes(`data-template-name="${type}"`)).be.true(`${type} editor template`);
      should(res.body).match(new RegExp(`data-help-name="${type}">\\s*<p>\\S`), `${type} help text`);
    }
    for (const type of TYPES.filter((t) => !CONFIG_ONLY.includes(t))) {
      const help = res.body.slice(res.body.indexOf(`data-help-name="${type}"`));
      const own = help.slice(0, help.indexOf('</script>'));
      for (const h of ['Inputs', 'Outputs', 'Details'])
        should(own.includes(`<h3>${h}</h3>`)).be.true(`${type} help has ${h}`);
    }
    const messages = await nr.api('GET', `/locales/${PACK_NAME}/telemetry-validate?lng=en-US`);
    should(messages.json()['telemetry-validate'].label.schema).equal('Schema');
  });

  it('serves the icons', async () => {
    for (const type of TYPES.filter((t) => !CONFIG_ONLY.includes(t))) {
      const res = await nr.api('GET', `/icons/${PACK_NAME}/${type}.svg`, undefined, '*/*');
      should(res.status).equal(200, type);
      should(res.body).match(/^<svg/);
    }
  });

  it('runs simulator -> validate -> line protocol with zero configuration', async () => {
    await nr.deploy([
      { id: 'tab1', type: 'tab', label: 'pipeline' },
      {
        id: 'sim',
        z: 'tab1',
        type: 'telemetry-simulator',
        clock: 'manual',
        autoStart: false,
        x: 100,
        y: 100,
        wires: [['val']],
      },
      { id: 'val', z: 'tab1', type: 'telemetry-validate', x: 300, y: 100, wires: [['lp'], []] },
      { id: 'lp', z: 'tab1', type: 'telemetry-line-protocol', batchSize: 5000, x: 500, y: 100, wires: [['sink'], []] },
      { id: 'sink', z: 'tab1', type: 'function', func: 'return null;', x: 700, y: 100, wires: [] },
    ]);
    const batches: { payload: string; lineCount: number }[] = [];
    let readingsIntoLp = 0;
    nr.RED.hooks.add(
      'onReceive.e2e',
      (ev: { destination: { id: string }; msg: { payload: string; lineCount: number } }) => {
        if (ev.destination.id === 'lp') readingsIntoLp++;
        if (ev.destination.id === 'sink') batches.push(ev.msg);
      },
    );
    const waitFor = (cond: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (cond()) {
            clearInterval(check);
            resolve();
          }
        }, 20);
      });
    try {
      nr.RED.nodes.getNode('sim').receive({ payload: { command: 'advance', ms: 5 * 60_000 - 1 } });
      await waitFor(() => readingsIntoLp === 80 * 60);
      nr.RED.nodes.getNode('lp').receive({ flush: true });
      await waitFor(() => batches.length === 1);
      const lines = batches[0].payload.split('\n');
      should(lines.length).equal(80 * 60, 'five minutes of the fleet, every reading once');
      should(new Set(lines).size).equal(lines.length);
      should(
        lines.every((l) => /^iot_sensors,device_id=\w+,device_type=\w+,floor=\d,location=\w+ \S+ \d{19}$/.test(l)),
      ).be.true();
    } finally {
      nr.RED.hooks.remove('onReceive.e2e');
    }
  });
});
