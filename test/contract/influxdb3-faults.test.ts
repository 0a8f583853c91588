// The test server's failure switches and WAL acknowledgement, as a writer sees them.
import should from 'should';
import { InfluxDBClient } from '@influxdata/influxdb3-client';
import { silenceClientLog } from '../support/influxdb3/quiet-client';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';

describe('InfluxDB 3 compatible server: failing on purpose, acknowledging after the WAL flush', function () {
  this.timeout(20_000);
  let server: InfluxDB3Server;
  silenceClientLog();
  before(async () => {
    server = await startInfluxDB3({ walFlushMs: 'manual', token: 't' });
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await server.faults.reset();
  });
  const write = (body: string, query = 'db=f&no_sync=true') =>
    fetch(`${server.url}/api/v3/write_lp?${query}`, { method: 'POST', body, headers: { authorization: 'Bearer t' } });

  it('fails the next writes with 503 and Retry-After, then writes again', async () => {
    server.faults.failNextWrites(2, 503, 7);
    const client = new InfluxDBClient({ host: server.url, token: 't', database: 'f' });
    try {
      for (let i = 0; i < 2; i++) {
        await should(client.write('m v=1 1', undefined, undefined, { noSync: true })).be.rejectedWith({
          name: 'HttpError',
          statusCode: 503,
          headers: { 'retry-after': '7' },
        });
      }
      await client.write('m v=1 1', undefined, undefined, { noSync: true });
    } finally {
      await client.close();
    }
    server.faults.failNextWrites(1, 500);
    should((await write('m v=2 2')).status).equal(500);
    should((await write('m v=2 2')).status).equal(204);
  });

  it('drops the connection mid-request, and refuses connections until told otherwise', async () => {
    server.faults.dropNextRequests(1);
    await should(write('m v=3 3')).be.rejected();
    should((await write('m v=3 3')).status).equal(204);
    await server.faults.refuseConnections(true);
    // A kept-alive connection was closed by the switch: the first request may fail on it instead.
    await should(write('m v=4 4')).be.rejected();
    await should(write('m v=4 4')).be.rejectedWith({ cause: { code: 'ECONNREFUSED' } });
    await server.faults.refuseConnections(false);
    should((await write('m v=4 4')).status).equal(204);
  });

  it('delays responses', async () => {
    server.faults.delayResponses(30);
    should((await write('m v=5 5')).status).equal(204);
  });

  it('answers a write at the WAL flush, and a no_sync write at once', async () => {
    let synced = false;
    const sync = write('m v=6 6', 'db=f').then((r) => {
      synced = true;
      return r.status;
    });
    should((await write('m v=7 7')).status).equal(204, 'no_sync is answered before the flush');
    should(synced).equal(false, 'the synced write waits for the flush');
    server.flushWal();
    should(await sync).equal(204);
  });
});
