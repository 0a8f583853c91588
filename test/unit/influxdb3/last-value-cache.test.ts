// The last value caches a writer creates: one per table it writes to, after a write reached the
// table, once; against the project's test server (which mirrors InfluxDB 3's configure API).
import should from 'should';
import { InfluxDB3Http } from '../../../nodes/lib/influxdb3/influxdb3-http';
import { connectionSettings } from '../../../nodes/lib/influxdb3/connection-settings';
import { LastValueCaches } from '../../../nodes/lib/influxdb3/last-value-cache';
import { settings } from '../../../nodes/influxdb3-config/settings';
import { InfluxDB3Server, startInfluxDB3 } from '../../support/influxdb3/server';

describe('LastValueCaches', () => {
  let server: InfluxDB3Server;
  let http: InfluxDB3Http;
  let warnings: string[];
  let caches: LastValueCaches;
  let creates: number;
  beforeEach(async () => {
    server = await startInfluxDB3();
    http = new InfluxDB3Http(connectionSettings(settings.read({ url: server.url }), ''));
    warnings = [];
    creates = 0;
    const counting = {
      createLastCache: (...a: Parameters<InfluxDB3Http['createLastCache']>) => {
        creates++;
        return http.createLastCache(...a);
      },
    };
    caches = new LastValueCaches(counting, { warn: (m) => warnings.push(m) });
  });
  afterEach(async () => {
    http.close();
    await server.stop();
  });

  const write = async (db: string, lines: string) => {
    const res = await fetch(`${server.url}/api/v3/write_lp?db=${db}`, { method: 'POST', body: lines });
    should(res.status).equal(204);
  };
  const latest = async (db: string, table: string) => {
    const res = await fetch(`${server.url}/api/v3/query_sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ db, q: `SELECT device, v FROM last_cache('${table}', 'latest') ORDER BY device` }),
    });
    should(res.status).equal(200, await res.clone().text());
    return res.json();
  };

  it('creates the cache of each table written to once, after a write reached it, and it holds later writes', async () => {
    const lines = 'room\\ a,device=d1 v=1 1\nroom\\ a,device=d2 v=2 1\n# comment\n\nhall,device=d3 v=3 1';
    caches.sawLines('db1', lines);
    await write('db1', lines);
    await caches.wrote('db1');
    should(creates).equal(2);
    caches.sawLines('db1', lines);
    await caches.wrote('db1');
    should(creates).equal(2, 'each table once');
    await write('db1', 'room\\ a,device=d1 v=10 2\nhall,device=d3 v=30 2');
    should(await latest('db1', 'room a')).eql([{ device: 'd1', v: 10 }]);
    should(await latest('db1', 'hall')).eql([{ device: 'd3', v: 30 }]);
    should(warnings).eql([]);
  });

  it('tries a table again after a later write when the write that succeeded did not hold it yet', async () => {
    caches.sawLines('db1', 'later,device=d1 v=1 1');
    await write('db1', 'other,device=d1 v=1 1');
    await caches.wrote('db1');
    should(creates).equal(1);
    await write('db1', 'later,device=d1 v=1 1');
    await caches.wrote('db1');
    should(creates).equal(2);
    await write('db1', 'later,device=d1 v=2 2');
    should(await latest('db1', 'later')).eql([{ device: 'd1', v: 2 }]);
  });

  it('tries a table that never comes after 1, 2, 4, 8 and 16 writes, not after every write, and nothing once stopped', async () => {
    caches.sawLines('db1', 'refused,device=d1 v=1 1');
    await write('db1', 'other,device=d1 v=1 1');
    for (let i = 0; i < 16; i++) await caches.wrote('db1');
    should(creates).equal(5);
    caches.stop();
    for (let i = 0; i < 32; i++) await caches.wrote('db1');
    should(creates).equal(5);
    should(warnings).eql([]);
  });

  it('takes an existing cache of the name as done, and warns once when the server refuses', async () => {
    await write('db1', 'mine,device=d1 v=1 1');
    should(await http.createLastCache('db1', 'mine', 'latest')).equal('created');
    caches.sawLines('db1', 'mine,device=d1 v=1 1');
    await caches.wrote('db1');
    should(warnings).eql([]);
    const secured = await startInfluxDB3({ token: 'right' });
    const wrongToken = new InfluxDB3Http(connectionSettings(settings.read({ url: secured.url }), 'wrong-token'));
    try {
      const denied = new LastValueCaches(wrongToken, { warn: (m) => warnings.push(m) });
      denied.sawLines('db1', 'mine,device=d1 v=1 1');
      await denied.wrote('db1');
      await denied.wrote('db1');
      should(warnings).have.length(1);
      should(warnings[0]).match(/no last value cache for table "mine" in "db1": the server answered 40[13]/);
    } finally {
      wrongToken.close();
      await secured.stop();
    }
  });
});
