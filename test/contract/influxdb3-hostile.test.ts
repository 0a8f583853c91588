// Malformed, hostile and oversized requests to the test server's query side, its data directory
// after a crash, and the gRPC refusals: each gets InfluxDB 3's refusal, and the server keeps serving.
import should from 'should';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { InfluxDBClient } from '@influxdata/influxdb3-client';
import { silenceClientLog } from '../support/influxdb3/quiet-client';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';

/** A DoGet with any request body, over plain HTTP/2: the status and message from the trailers. */
async function rawDoGet(
  url: string,
  body: Buffer,
  headers: Record<string, string> = {},
  method = 'DoGet',
): Promise<{ status: string; message: string }> {
  const session = http2.connect(url);
  try {
    const stream = session.request({
      ':method': 'POST',
      ':path': `/arrow.flight.protocol.FlightService/${method}`,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    stream.end(body);
    return await new Promise((resolve, reject) => {
      let head: http2.IncomingHttpHeaders = {};
      stream.on('response', (h) => (head = h));
      stream.on('trailers', (t) => (head = { ...head, ...t }));
      stream.on('data', () => undefined);
      stream.on('end', () =>
        resolve({
          status: String(head['grpc-status']),
          message: decodeURIComponent(String(head['grpc-message'] ?? '')),
        }),
      );
      stream.on('error', reject);
    });
  } finally {
    session.close();
  }
}

const grpcFrame = (message: Buffer) => {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
};
const ticket = (json: string) => {
  const bytes = Buffer.from(json);
  return grpcFrame(Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]));
};

describe('InfluxDB 3 compatible server: hostile queries and a damaged data directory', function () {
  this.timeout(30_000);
  silenceClientLog();
  let server: InfluxDB3Server;
  const auth = { authorization: 'Bearer t' };
  before(async () => {
    server = await startInfluxDB3({ token: 't' });
    const res = await fetch(`${server.url}/api/v3/write_lp?db=h`, {
      method: 'POST',
      body: 'm,k=a v=1 1\nm,k=b v=2 2',
      headers: auth,
    });
    should(res.status).equal(204);
  });
  after(() => server?.stop());

  it('refuses bad tickets, other Flight calls and bad tokens with gRPC codes, and still answers', async () => {
    for (const body of [
      Buffer.alloc(0),
      grpcFrame(Buffer.from([0xff, 0x01])),
      ticket('{"database":'),
      ticket('[1]'),
      ticket('{"database":"h"}'),
      ticket('{"database":"h","sql_query":"SELECT 1","query_type":"flux"}'),
    ]) {
      const r = await rawDoGet(server.url, body, auth);
      should(r.status).equal('3', `${body.toString('hex')}: ${r.message}`);
      should(r.message).match(/^Invalid ticket/);
    }
    should((await rawDoGet(server.url, ticket('{}'), auth, 'ListFlights')).status).equal('12');
    should(await rawDoGet(server.url, ticket('{"database":"h","sql_query":"SELECT 1 AS x"}'))).eql({
      status: '16',
      message: 'Unauthenticated',
    });
    should(
      await rawDoGet(server.url, ticket('{"database":"h","sql_query":"SELECT 1 AS x"}'), {
        authorization: 'Bearer wrong',
      }),
    ).eql({ status: '7', message: 'Permission denied' });
    const client = new InfluxDBClient({ host: server.url, token: 't', database: 'h' });
    try {
      const rows = [];
      for await (const r of client.query('SELECT k, v FROM m ORDER BY k')) rows.push({ ...r });
      should(rows).eql([
        { k: 'a', v: 1 },
        { k: 'b', v: 2 },
      ]);
    } finally {
      await client.close();
    }
  });

  it('refuses malformed and oversized query requests, and binds hostile parameter values as values', async () => {
    const post = (body: string) => fetch(`${server.url}/api/v3/query_sql`, { method: 'POST', body, headers: auth });
    let res = await post('{"db":"h","q":');
    should(res.status).equal(400);
    should(await res.text()).match(/^serde json error/);
    res = await post(JSON.stringify({ db: 'h', q: 'SELECT * FROM m WHERE k = $k', params: { k: ['a'] } }));
    should(res.status).equal(400);
    should(await res.text()).match(/JSON arrays are not supported as query parameters/);
    res = await post(JSON.stringify({ db: 'h', q: 'SELECT * FROM m WHERE k = $k', params: { k: "a' OR '1'='1" } }));
    should(await res.text()).equal('[]', 'a parameter is a value, never SQL');
    res = await post(JSON.stringify({ db: 'h', q: `SELECT ${'('.repeat(20_000)}1 AS x` }));
    should(res.status).equal(400);
    res = await post(JSON.stringify({ db: 'h', q: 'SELECT * FROM m; DROP TABLE m' }));
    should([res.status, await res.text()]).eql([
      405,
      'This feature is not implemented: The context currently only supports a single SQL statement',
    ]);
    res = await post(JSON.stringify({ db: 'h', q: 'DROP TABLE m' }));
    should(res.status).equal(400, 'only queries');
    res = await post(JSON.stringify({ db: 'h', q: "SELECT * FROM read_text('/etc/passwd')" }));
    should(res.status).equal(400, 'no files: the SQL engine has no external access');
    should(await res.text()).not.match(/root:/);
    res = await post(JSON.stringify({ db: 'h', q: 'SELECT count(*) AS n FROM m' }));
    should(await res.text()).equal('[{"n":2}]', 'the table is intact and the server answers');
  });

  it('creates a database through the configure API once, lists it, and keeps it across a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'influxdb3-create-'));
    try {
      let s = await startInfluxDB3({ dataDir: dir });
      const create = () =>
        fetch(`${s.url}/api/v3/configure/database`, {
          method: 'POST',
          body: '{"db":"made"}',
          headers: { 'content-type': 'application/json' },
        });
      should((await create()).status).equal(200);
      should([(await create()).status, await (await create()).text()]).eql([
        409,
        'attempted to create a resource that already exists',
      ]);
      should((await fetch(`${s.url}/api/v3/configure/database`, { method: 'POST', body: '{"db":"x"}' })).status).equal(
        415,
      );
      await s.stop();
      s = await startInfluxDB3({ dataDir: dir });
      try {
        should(await (await fetch(`${s.url}/api/v3/configure/database?format=json`)).json()).eql([
          { 'iox::database': 'made', deleted: false },
        ]);
      } finally {
        await s.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replays its data directory after a restart, and ignores a record cut short by a crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'influxdb3-data-'));
    try {
      let s = await startInfluxDB3({ dataDir: dir });
      for (const body of ['m,k=a v=1 1', 'm,k=b v=2 2\nm,k=a v=5 1'])
        should((await fetch(`${s.url}/api/v3/write_lp?db=d`, { method: 'POST', body })).status).equal(204);
      await s.stop();
      const log = path.join(dir, 'writes.log');
      const whole = fs.readFileSync(log);
      const firstRecordEnd = whole.indexOf('\n', whole.indexOf('\n') + 1) + 1;
      fs.appendFileSync(log, whole.subarray(0, firstRecordEnd - 4)); // a record torn by a crash mid-append
      s = await startInfluxDB3({ dataDir: dir });
      try {
        const res = await fetch(
          `${s.url}/api/v3/query_sql?db=d&q=${encodeURIComponent('SELECT k, v FROM m ORDER BY k')}`,
        );
        should(await res.text()).equal('[{"k":"a","v":5.0},{"k":"b","v":2.0}]');
        should((await fetch(`${s.url}/api/v3/write_lp?db=d`, { method: 'POST', body: 'm,k=c v=3 3' })).status).equal(
          204,
        );
      } finally {
        await s.stop();
      }
      s = await startInfluxDB3({ dataDir: dir });
      try {
        const res = await fetch(
          `${s.url}/api/v3/query_sql?db=d&q=${encodeURIComponent('SELECT count(*) AS n FROM m')}`,
        );
        should(await res.text()).equal('[{"n":3}]', 'a write after the torn record is kept too');
      } finally {
        await s.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
