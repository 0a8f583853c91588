// Devices that POST readings: core http in -> telemetry-validate -> influxdb3-write in a real
// Node-RED, against the test server. The device's answer comes only once its readings are durable:
// 200 when stored (written or spooled), 422 listing each refused reading, 400 for a body that is
// not readings, 502 when InfluxDB 3 refuses the write, 503 when nothing confirms them in time.
import should from 'should';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { NodeRedInstance, startNodeRed } from '../support/node-red-instance';

const reading = (i: number, over: object = {}) => ({
  device_id: `TEMP_${String(i).padStart(3, '0')}`,
  device_type: 'temperature',
  location: 'warehouse_a',
  floor: '1',
  timestamp: new Date(Date.now() - 60_000 + i).toISOString(),
  temperature: 21.5,
  humidity: 50,
  battery_level: 90,
  signal_strength: -60,
  ...over,
});

describe('end to end: devices POST readings over HTTP and are answered once they are stored', function () {
  this.timeout(60_000);
  let nr: NodeRedInstance;
  let server: InfluxDB3Server;
  before(async () => {
    server = await startInfluxDB3({ token: 'http-devices' });
    nr = await startNodeRed();
  });
  after(async () => {
    await nr?.stop();
    await server?.stop();
  });

  async function deploy(write: object = {}, validate: object = {}, more: object[] = []) {
    await nr.deploy([
      ...more,
      { id: 'tab', type: 'tab', label: 'http devices' },
      { id: 'in', z: 'tab', type: 'http in', url: '/readings', method: 'post', x: 100, y: 100, wires: [['val']] },
      { id: 'val', z: 'tab', type: 'telemetry-validate', x: 300, y: 100, wires: [['w'], []], ...validate },
      { id: 'w', z: 'tab', type: 'influxdb3-write', server: 'cfg', x: 500, y: 100, wires: [[], []], ...write },
      {
        id: 'cfg',
        type: 'influxdb3-config',
        url: server.url,
        database: 'http-devices',
        credentials: { token: 'http-devices' },
      },
    ]);
  }

  const post = async (body: unknown, type = 'application/json') => {
    const res = await fetch(`${nr.url}/readings`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  };
  const stored = async (): Promise<number> => {
    const res = await fetch(
      `${server.url}/api/v3/query_sql?db=http-devices&q=${encodeURIComponent('SELECT count(*) AS n FROM iot_sensors')}`,
      { headers: { authorization: 'Bearer http-devices' } },
    );
    return res.status === 200 ? (await res.json())[0].n : 0;
  };

  it('answers 200 once every reading is in the database, and 422 listing each refused reading while the rest are stored', async () => {
    await deploy();
    const ok = await post([reading(1), reading(2), reading(3)]);
    should(ok).eql({ status: 200, retryAfter: null, body: { stored: 3 } });
    should(await stored()).equal(3, 'stored before the answer came');
    const mixed = await post([reading(4), reading(5, { temperature: 500 }), reading(6, { device_type: 'toaster' })]);
    should(mixed.status).equal(422);
    should(mixed.body.stored).equal(1);
    should(mixed.body.refused.map((r: { index: number; code: string }) => [r.index, r.code])).eql([
      [1, 'out_of_range'],
      [2, 'unknown_device_type'],
    ]);
    should(mixed.body.refused[0].message).match(/temperature/);
    should(await stored()).equal(4);
    const one = await post(reading(7));
    should(one.body).eql({ stored: 1 });
  });

  it('lists refusals by the writer too, at their place in the request, beside those of validate', async () => {
    // The writer encodes with a schema that knows motion sensors only: a temperature reading that
    // validate passed is refused there, as the message's first reading but the request's first too.
    const motionOnly = {
      id: 'motion-only',
      type: 'telemetry-schema',
      rows: ['device_id', 'device_type', 'location', 'floor']
        .map((key) => ({ deviceType: 'motion', key, kind: 'tag', type: 'string', required: true }))
        .concat([
          { deviceType: 'motion', key: 'motion_detected', kind: 'field', type: 'boolean', required: true },
          { deviceType: 'motion', key: 'sensitivity', kind: 'field', type: 'integer', required: true },
          { deviceType: 'motion', key: 'battery_level', kind: 'field', type: 'float', required: true },
        ]),
    };
    await deploy({ schema: 'motion-only' }, {}, [motionOnly]);
    const motion = {
      ...reading(60),
      device_id: 'MOTION_001',
      device_type: 'motion',
      motion_detected: true,
      sensitivity: 5,
    };
    for (const k of ['temperature', 'humidity', 'signal_strength']) delete (motion as Record<string, unknown>)[k];
    const answer = await post([reading(61, { temperature: 500 }), reading(62), motion]);
    should(answer.status).equal(422);
    should(answer.body.stored).equal(1);
    should(answer.body.refused.map((r: { index: number; code: string }) => [r.index, r.code])).eql([
      [0, 'out_of_range'],
      [1, 'unknown_device_type'],
    ]);
  });

  it('answers 400 for a body that is not readings, with the reason', async () => {
    await deploy();
    const bad = await post('{"device_id": ', 'text/plain');
    should(bad.status).equal(400);
    should(bad.body.refused[0].code).equal('invalid_json');
  });

  it('answers 200 when the readings are in the spool because InfluxDB 3 is down, and they arrive once it is back', async () => {
    await deploy();
    const before = await stored();
    await server.faults.refuseConnections(true);
    try {
      const spooled = await post([reading(20), reading(21)]);
      should(spooled).eql({ status: 200, retryAfter: null, body: { stored: 2 } });
    } finally {
      await server.faults.refuseConnections(false);
    }
    for (let i = 0; i < 200 && (await stored()) < before + 2; i++) await new Promise((r) => setTimeout(r, 100));
    should(await stored()).equal(before + 2);
  });

  it('answers 502 when InfluxDB 3 refuses the write whole (a wrong database name), so the device tries again later', async () => {
    await deploy({ database: 'no/such\\database' });
    const refused = await post([reading(30)]);
    should(refused.status).equal(502);
    should(refused.retryAfter).equal('5');
    should(refused.body.error).match(/InfluxDB 3 refused the write/);
  });

  it('answers 503 with Retry-After when nothing confirms the readings within the time set', async () => {
    await deploy({}, { httpTimeoutSec: 1, wires: [[], []] });
    const lost = await post([reading(40)]);
    should(lost.status).equal(503);
    should(lost.retryAfter).equal('5');
    should(lost.body.error).match(/not confirmed within 1 s.*send them again/);
  });
});
