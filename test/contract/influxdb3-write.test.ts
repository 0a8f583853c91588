// The test server's write side, driven only through @influxdata/influxdb3-client and plain HTTP.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { HttpError, InfluxDBClient } from '@influxdata/influxdb3-client';
import { silenceClientLog } from '../support/influxdb3/quiet-client';
import { InfluxDB3Server, StoredLine, startInfluxDB3 } from '../support/influxdb3/server';

describe('InfluxDB 3 compatible server: writes', function () {
  this.timeout(20_000);
  let server: InfluxDB3Server;
  const stored: { db: string; lines: StoredLine[] }[] = [];

  silenceClientLog();
  before(async () => {
    server = await startInfluxDB3({ token: 's3cret', maxRequestBytes: 64 * 1024, storage: { write: (db, lines) => void stored.push({ db, lines }) } });
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    stored.length = 0;
  });

  const post = (path: string, body: string | Blob, headers: Record<string, string> = {}) =>
    fetch(server.url + path, { method: 'POST', body, headers: { authorization: 'Bearer s3cret', ...headers } });

  it('takes writes from the official client, typed as written', async () => {
    const client = new InfluxDBClient({ host: server.url, token: 's3cret', database: 'iot-sensors' });
    try {
      await client.write('iot_sensors,device_id=T1 temperature=25.5,signal_strength=-60i,ok=true,note="x" 1795342500000000000');
      await client.write('iot_sensors,device_id=T2 temperature=26 1795342500000000001', undefined, undefined, { noSync: true });
    } finally {
      await client.close();
    }
    const cols = server.catalog.databases.get('iot-sensors')!.get('iot_sensors')!;
    assert.deepEqual(Object.fromEntries(cols), { device_id: 'tag', temperature: 'float', signal_strength: 'integer', ok: 'boolean', note: 'string', time: 'timestamp' });
    assert.deepEqual(stored.map((s) => s.lines[0].timeNs), [1795342500000000000n, 1795342500000000001n]);
  });

  it('reports a field type conflict to the client with InfluxDB 3\'s status and message', async () => {
    const client = new InfluxDBClient({ host: server.url, token: 's3cret', database: 'conflicts' });
    try {
      await client.write('m,d=1 humidity=12i 1');
      await assert.rejects(client.write('m,d=1 humidity=12.5 2'), (e: unknown) => {
        assert.ok(e instanceof HttpError);
        assert.equal(e.statusCode, 400);
        assert.match(String(e.body), /invalid column type for column 'humidity', expected iox::column_type::field::integer, got iox::column_type::field::float/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('answers partial writes, gzip, size and encoding as InfluxDB 3 does', async () => {
    let res = await post('/api/v3/write_lp?db=a', 'cpu,host=b val=2 155\ncpu,host=a val= 123\ncpu,host=b val=5 199');
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), null, 'error bodies carry no content-type');
    assert.equal(await res.text(), '{"error":"partial write of line protocol occurred","data":[{"error_message":"No fields were provided","line_number":2,"original_line":"cpu,host=a val= 123"}]}');
    assert.equal(stored[0].lines.length, 2);

    res = await post('/api/v3/write_lp?db=a&accept_partial=false', 'cpu,host=a val= 123\ncpu,host=b val=5 124');
    assert.equal(await res.text(), '{"error":"line protocol parsing error","data":{"error_message":"No fields were provided","line_number":1,"original_line":"cpu,host=a val= 123"}}');
    assert.equal(stored.length, 1, 'nothing stored from an all-or-nothing write that failed');

    res = await post('/api/v3/write_lp?db=a', new Blob([zlib.gzipSync('cpu,host=z val=1 1')]), { 'content-encoding': 'gzip' });
    assert.equal(res.status, 204);
    res = await post('/api/v3/write_lp?db=a', 'x'.repeat(70 * 1024));
    assert.deepEqual([res.status, await res.text()], [413, 'max request size (65536 bytes) exceeded']);
    res = await post('/api/v2/write?bucket=a', 'cpu,host=a val= 1');
    assert.deepEqual([res.status, await res.text()], [400, '{"code":"invalid","message":"write buffer error: line protocol parse failed: No fields were provided"}']);
    res = await post('/api/v3/write_lp?db=_bad', 'cpu v=1');
    assert.deepEqual([res.status, await res.text()], [400, '{"error":"db name did not start with a number or letter"}']);
  });

  it('requires the token everywhere, /write also as ?p=', async () => {
    let res = await fetch(`${server.url}/api/v3/write_lp?db=a`, { method: 'POST', body: 'm v=1' });
    assert.deepEqual([res.status, await res.text()], [401, '{"error": "the request was not authenticated"}']);
    res = await fetch(`${server.url}/nowhere`);
    assert.equal(res.status, 401, 'authentication comes before routing');
    res = await fetch(`${server.url}/write?db=a&p=s3cret`, { method: 'POST', body: 'm v=1' });
    assert.equal(res.status, 204);
    res = await fetch(`${server.url}/ping`, { headers: { authorization: 'Token' } });
    assert.equal(res.status, 400);
  });

  it('answers /health, /ping, preflight and unknown paths', async () => {
    const auth = { authorization: 'Bearer s3cret' };
    let res = await fetch(`${server.url}/health`, { headers: auth });
    assert.deepEqual([res.status, await res.text(), res.headers.get('content-type')], [200, 'OK', 'text/plain; charset=utf-8']);
    res = await fetch(`${server.url}/ping`, { headers: auth });
    const ping = await res.json();
    assert.equal(ping.product_name, 'InfluxDB 3 Core');
    assert.equal(res.headers.get('x-influxdb-build'), 'Core');
    assert.equal(res.headers.get('x-influxdb-version'), ping.version);
    assert.ok(res.headers.get('cluster-uuid'));
    res = await fetch(`${server.url}/anything`, { method: 'OPTIONS' });
    assert.deepEqual([res.status, res.headers.get('access-control-max-age')], [204, '86400']);
    res = await fetch(`${server.url}/nope`, { headers: auth });
    assert.deepEqual([res.status, await res.text()], [404, 'Not found']);
    const client = new InfluxDBClient({ host: server.url, token: 's3cret', database: 'x' });
    try {
      assert.equal(await client.getServerVersion(), ping.version);
    } finally {
      await client.close();
    }
  });
});
