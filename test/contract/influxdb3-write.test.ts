// Writes, driven only through @influxdata/influxdb3-client and plain HTTP, read back through
// Arrow Flight and /api/v3/query_sql: against the project's test server, and a real InfluxDB 3
// when INFLUXDB3_URL is set.
import should from 'should';
import zlib from 'node:zlib';
import { describeForEachTarget } from '../support/influxdb3/contract-target';
import { silenceClientLog } from '../support/influxdb3/quiet-client';

const SECOND = 1795342500n;
const INSTANT_MS = 1795342500123n;

async function flightRows(
  client: { query(sql: string): AsyncGenerator<Record<string, unknown>> },
  sql: string,
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const r of client.query(sql)) rows.push({ ...r });
  return rows;
}

describeForEachTarget('InfluxDB 3 contract: writes', (target) => {
  silenceClientLog();

  const sqlJson = async (db: string, q: string) => {
    const res = await target().fetch('/api/v3/query_sql', { method: 'POST', body: JSON.stringify({ db, q }) });
    should(res.status).equal(200, await res.clone().text());
    return res.text();
  };
  const post = (path: string, body: string | Blob, headers: Record<string, string> = {}) =>
    target().fetch(path, { method: 'POST', body, headers });

  it('stores a write of every endpoint and precision at the instant it names', async () => {
    const db = target().db('contract_writes');
    const q = encodeURIComponent(db);
    const MS = INSTANT_MS * 1_000_000n;
    // [tag, path, timestamp as written, the instant in nanoseconds]
    const writes: [string, string, bigint, bigint][] = [
      ['v3-second', `/api/v3/write_lp?db=${q}&precision=second`, SECOND, SECOND * 1_000_000_000n],
      ['v3-millisecond', `/api/v3/write_lp?db=${q}&precision=millisecond`, INSTANT_MS, MS],
      ['v3-microsecond', `/api/v3/write_lp?db=${q}&precision=microsecond`, INSTANT_MS * 1000n + 4n, MS + 4000n],
      ['v3-nanosecond', `/api/v3/write_lp?db=${q}&precision=nanosecond`, MS + 4567n, MS + 4567n],
      ['v3-auto', `/api/v3/write_lp?db=${q}`, MS + 1n, MS + 1n],
      ['v2-s', `/api/v2/write?bucket=${q}&precision=s`, SECOND, SECOND * 1_000_000_000n],
      ['v2-ms', `/api/v2/write?bucket=${q}&precision=ms`, INSTANT_MS, MS],
      ['v2-us', `/api/v2/write?bucket=${q}&precision=us`, INSTANT_MS * 1000n, MS],
      ['v2-ns', `/api/v2/write?bucket=${q}`, MS, MS],
      ['v1-s', `/write?db=${q}&precision=s`, SECOND, SECOND * 1_000_000_000n],
      ['v1-ms', `/write?db=${q}&precision=ms`, INSTANT_MS, MS],
      ['v1-ns', `/write?db=${q}`, MS, MS],
    ];
    for (const [via, path, ts] of writes) {
      const res = await post(path, `precision_check,via=${via} v=1.5 ${ts}`);
      should(res.status).equal(204, `${via}: ${await res.text()}`);
    }
    const client = target().client(db);
    await client.write(`precision_check,via=client-v2 v=1.5 ${MS}`);
    await client.write(`precision_check,via=client-v3-nosync v=1.5 ${MS}`, undefined, undefined, { noSync: true });
    const expectedNs = (via: string) => writes.find((w) => w[0] === via)?.[3] ?? MS;

    const rows = await flightRows(client, 'SELECT via, v, time FROM precision_check ORDER BY via');
    should(rows.length).equal(writes.length + 2);
    for (const row of rows) {
      const ns = expectedNs(row.via as string);
      should(row.v).equal(1.5);
      // The client turns Timestamp(ns) into epoch milliseconds with a fraction.
      should(Math.abs((row.time as number) - Number(ns) / 1e6) < 1e-3).be.true(`${row.via}: ${row.time} vs ${ns}`);
    }
    const json = JSON.parse(
      await sqlJson(
        db,
        "SELECT via, time FROM precision_check WHERE via IN ('v3-second', 'v3-millisecond', 'v3-nanosecond', 'v3-microsecond') ORDER BY via",
      ),
    );
    should(json).eql([
      { via: 'v3-microsecond', time: '2026-11-22T10:15:00.123004' },
      { via: 'v3-millisecond', time: '2026-11-22T10:15:00.123' },
      { via: 'v3-nanosecond', time: '2026-11-22T10:15:00.123004567' },
      { via: 'v3-second', time: '2026-11-22T10:15:00' },
    ]);
  });

  it('reads back every field type, escaped names and values exactly as written', async () => {
    const db = target().db('contract_writes');
    const lines = [
      'types,device\\ id=TEMP\\,001,zone=a\\=b f=-12.25,i=-42i,big=9007199254740993i,u=18446744073709551615u,s="say \\"hi\\" \\\\ ünï,=",yes=t,no=FALSE 1795342500000000000',
      'types,device\\ id=TEMP\\,002,zone=c f=1e3,i=0i,s="",yes=true 1795342500000000000',
    ];
    const res = await post(`/api/v3/write_lp?db=${db}`, lines.join('\n'));
    should(res.status).equal(204, await res.text());

    const rows = await flightRows(target().client(db), 'SELECT * FROM types ORDER BY "device id"');
    should(rows[0]).eql({
      big: 9007199254740992, // Int64 with field metadata: the client parses it to a number (precision lost above 2^53)
      'device id': 'TEMP,001',
      f: -12.25,
      i: -42,
      no: false,
      s: 'say "hi" \\ ünï,=',
      time: 1795342500000,
      u: 18446744073709551615n, // UInt64 comes back as bigint
      yes: true,
      zone: 'a=b',
    });
    should(rows[1]).eql({
      big: null,
      'device id': 'TEMP,002',
      f: 1000,
      i: 0,
      no: null,
      s: '',
      time: 1795342500000,
      u: null,
      yes: true,
      zone: 'c',
    });

    // query_sql keeps integers exact and leaves nulls out.
    should(await sqlJson(db, 'SELECT * FROM types ORDER BY "device id"')).equal(
      '[{"big":9007199254740993,"device id":"TEMP,001","f":-12.25,"i":-42,"no":false,"s":"say \\"hi\\" \\\\ ünï,=","time":"2026-11-22T10:15:00","u":18446744073709551615,"yes":true,"zone":"a=b"},' +
        '{"device id":"TEMP,002","f":1000.0,"i":0,"s":"","time":"2026-11-22T10:15:00","yes":true,"zone":"c"}]',
    );
  });

  it('merges a point written again with the same table, tags and time, as InfluxDB 3 does', async () => {
    const db = target().db('contract_writes');
    for (const body of ['upsert,a=1,b=2 x=1,y=2 100', 'upsert,b=2,a=1 y=3,z="new" 100', 'upsert,a=1,b=2 x=5 101']) {
      should((await post(`/api/v3/write_lp?db=${db}&precision=nanosecond`, body)).status).equal(204);
    }
    should(await sqlJson(db, 'SELECT x, y, z, time FROM upsert ORDER BY time')).equal(
      '[{"x":1.0,"y":3.0,"z":"new","time":"1970-01-01T00:00:00.000000100"},{"x":5.0,"time":"1970-01-01T00:00:00.000000101"}]',
    );
  });

  it("refuses a field type conflict and a tag/field clash with InfluxDB 3's status and message", async () => {
    const db = target().db('contract_writes');
    const client = target().client(db);
    await client.write('conflict,d=1 humidity=12i 1');
    await should(client.write('conflict,d=1 humidity=12.5 2')).be.rejectedWith({
      name: 'HttpError',
      statusCode: 400,
      body: /invalid column type for column 'humidity', expected iox::column_type::field::integer, got iox::column_type::field::float/,
    });
    const res = await post(`/api/v3/write_lp?db=${db}`, 'conflict,d=1 d=1 3');
    should(res.status).equal(400);
    should(await res.text()).match(/"error":"partial write of line protocol occurred"/);
    should(await sqlJson(db, 'SELECT humidity FROM conflict')).equal(
      '[{"humidity":12}]',
      'nothing of the refused writes was stored',
    );
  });

  it('stores the good lines of a partial write and reports the bad ones by line number', async () => {
    const db = target().db('contract_writes');
    let res = await post(
      `/api/v3/write_lp?db=${db}`,
      'partial,host=b val=2 155\npartial,host=a val= 123\npartial,host=b val=5 199',
    );
    should(res.status).equal(400);
    should(res.headers.get('content-type')).equal(null, 'error bodies carry no content-type');
    should(await res.text()).equal(
      '{"error":"partial write of line protocol occurred","data":[{"error_message":"No fields were provided","line_number":2,"original_line":"partial,host=a val= "}]}',
    );
    should(await sqlJson(db, 'SELECT val FROM partial ORDER BY time')).equal('[{"val":2.0},{"val":5.0}]');

    res = await post(
      `/api/v3/write_lp?db=${db}&accept_partial=false`,
      'partial,host=a val= 123\npartial,host=b val=7 124',
    );
    should(await res.text()).equal(
      '{"error":"line protocol parsing error","data":{"error_message":"No fields were provided","line_number":1,"original_line":"partial,host=a val= "}}',
    );
    res = await post(`/api/v2/write?bucket=${db}`, 'partial,host=a val= 1\npartial,host=b val=8 125');
    should([res.status, await res.text()]).eql([
      400,
      '{"code":"invalid","message":"write buffer error: line protocol parse failed: No fields were provided"}',
    ]);
    should(await sqlJson(db, 'SELECT count(*) AS n FROM partial')).equal(
      '[{"n":2}]',
      'all-or-nothing writes that failed stored nothing',
    );
  });

  it('takes gzip, refuses a body over 10 MiB with 413 and a bad database name with 400', async () => {
    const db = target().db('contract_writes');
    let res = await post(
      `/api/v3/write_lp?db=${db}`,
      new Blob([zlib.gzipSync('gz,host=z val=1 1'), zlib.gzipSync('\ngz,host=y val=2 2')]),
      { 'content-encoding': 'gzip' },
    );
    should(res.status).equal(204, 'a body of two gzip members is read whole');
    should(await sqlJson(db, 'SELECT host FROM gz ORDER BY host')).equal('[{"host":"y"},{"host":"z"}]');
    res = await post(`/api/v3/write_lp?db=${db}`, `cpu v=1 1\n${'#'.repeat(10 * 1024 * 1024)}`);
    should([res.status, await res.text()]).eql([413, 'max request size (10485760 bytes) exceeded']);
    res = await post('/api/v3/write_lp?db=_bad', 'cpu v=1');
    should([res.status, await res.text()]).eql([400, '{"error":"db name did not start with a number or letter"}']);
  });

  it('requires the token on every endpoint, /write also as ?p=', async function () {
    if (!target().token) this.skip();
    let res = await fetch(`${target().url}/api/v3/write_lp?db=a`, { method: 'POST', body: 'm v=1' });
    should([res.status, await res.text()]).eql([401, '{"error": "the request was not authenticated"}']);
    res = await fetch(`${target().url}/api/v3/query_sql?db=a&q=SELECT%201`);
    should(res.status).equal(401);
    res = await fetch(`${target().url}/nowhere`);
    should(res.status).equal(401, 'authentication comes before routing');
    const db = target().db('contract_writes');
    res = await fetch(`${target().url}/write?db=${db}&p=${encodeURIComponent(target().token)}`, {
      method: 'POST',
      body: 'auth v=1',
    });
    should(res.status).equal(204);
    res = await target().fetch('/ping', { headers: { authorization: 'Token' } });
    should(res.status).equal(400);
  });

  it('answers /health, /ping, preflight and unknown paths', async () => {
    let res = await target().fetch('/health');
    should([res.status, await res.text(), res.headers.get('content-type')]).eql([
      200,
      'OK',
      'text/plain; charset=utf-8',
    ]);
    res = await target().fetch('/ping');
    const ping = await res.json();
    should(ping.product_name).match(/^InfluxDB 3 (Core|Enterprise)$/);
    should(res.headers.get('x-influxdb-build') ?? '').match(/^(Core|Enterprise)$/);
    should(res.headers.get('x-influxdb-version')).equal(ping.version);
    res = await target().fetch('/anything', { method: 'OPTIONS' });
    should([res.status, res.headers.get('access-control-max-age')]).eql([204, '86400']);
    res = await target().fetch('/nope');
    should([res.status, await res.text()]).eql([404, 'Not found']);
    should(await target().client('x').getServerVersion()).equal(ping.version);
  });
});
