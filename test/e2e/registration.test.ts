import should from 'should';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { AedesBroker, startAedes } from '../support/mqtt-brokers';
import { editorProblems, iconProblems, registrationProblems } from '../support/install/pack-checks';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';

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

  // The same checks the compatibility matrix runs on each installed tarball, here on the checkout.
  it('registers every node type of the pack without error', async () => {
    should(await registrationProblems(nr.api)).eql([]);
  });

  it('serves an editor definition and help text for each node', async () => {
    should(await editorProblems(nr.api)).eql([]);
  });

  it('serves the icons', async () => {
    should(await iconProblems(nr.api)).eql([]);
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
