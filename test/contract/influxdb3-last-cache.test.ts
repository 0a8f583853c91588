// InfluxDB 3's last value cache: created and deleted with /api/v3/configure/last_cache, read with
// the SQL table function last_cache('table', 'name'). It holds only what was written after it was
// created, the newest row per key (the series key by default), and a second create of the same
// name is a 409 whatever its definition (influxdata/influxdb influxdb3/tests/server/configure.rs).
import should from 'should';
import { describeForEachTarget } from '../support/influxdb3/contract-target';

describeForEachTarget('InfluxDB 3 contract: last value cache', (target) => {
  const configure = (method: 'POST' | 'DELETE', body: object) =>
    target().fetch('/api/v3/configure/last_cache', {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const write = async (db: string, lines: string) => {
    const res = await target().fetch(`/api/v3/write_lp?db=${db}&precision=second`, { method: 'POST', body: lines });
    should(res.status).equal(204, await res.text());
  };
  const query = (db: string, q: string) =>
    target().fetch('/api/v3/query_sql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ db, q }),
    });
  const rows = async (db: string, q: string) => {
    const res = await query(db, q);
    should(res.status).equal(200, await res.clone().text());
    return (await res.json()) as Record<string, unknown>[];
  };

  it('creates a cache with the defaults (series key, count 1), then 409 for the same name, same definition or not', async () => {
    const db = target().db('lvc');
    await write(db, 'sensors,site=a,device=d1 temperature=20 1700000000');
    const created = await configure('POST', { db, table: 'sensors' });
    should(created.status).equal(201, await created.clone().text());
    should(created.headers.get('content-type')).match(/application\/json/);
    // The default name joins the series key in order: the tags of the table's first write.
    const named = await configure('POST', { db, table: 'sensors', name: 'sensors_site_device_last_cache' });
    should(named.status).equal(409);
    should(await named.text()).equal('attempted to create a resource that already exists');
    const different = await configure('POST', { db, table: 'sensors', count: 3 });
    should(different.status).equal(409);
  });

  it('holds only rows written after it was created: the newest per device, NULL where a row had no value', async () => {
    const db = target().db('lvc');
    await write(
      db,
      'readings,device=d1 temperature=1,humidity=40 1700000000\nreadings,device=d9 temperature=9 1700000000',
    );
    should((await configure('POST', { db, table: 'readings', name: 'latest' })).status).equal(201);
    await write(
      db,
      [
        'readings,device=d1 temperature=2,humidity=41 1700000010',
        'readings,device=d1 temperature=3 1700000020',
        'readings,device=d2 humidity=50 1700000015',
        // Older than what the cache has for d1: not taken.
        'readings,device=d1 temperature=0 1700000005',
      ].join('\n'),
    );
    const latest = await rows(
      db,
      "SELECT device, temperature, humidity, time FROM last_cache('readings', 'latest') ORDER BY device",
    );
    should(latest).eql([
      { device: 'd1', temperature: 3, time: '2023-11-14T22:13:40' },
      { device: 'd2', humidity: 50, time: '2023-11-14T22:13:35' },
    ]);
    // The name may be left out when the table has one cache.
    should(await rows(db, "SELECT device FROM last_cache('readings') WHERE device = 'd2'")).eql([{ device: 'd2' }]);
  });

  it("answers SELECT * with the key columns, then the table's columns in creation order: time after the first line's", async () => {
    const db = target().db('lvc');
    await write(db, 'ordered,device=d1 b=1,a=1 1700000000');
    should((await configure('POST', { db, table: 'ordered', name: 'latest' })).status).equal(201);
    await write(db, 'ordered,device=d1 b=2,a=2,c=2 1700000010');
    const [row] = await rows(db, "SELECT * FROM last_cache('ordered', 'latest')");
    should(Object.keys(row)).eql(['device', 'b', 'a', 'time', 'c']);
  });

  it('keeps the count newest rows per key, and is gone after DELETE', async () => {
    const db = target().db('lvc');
    await write(db, 'counts,device=d1 v=0 1700000000');
    should((await configure('POST', { db, table: 'counts', name: 'last2', count: 2, ttl: 3600 })).status).equal(201);
    await write(
      db,
      'counts,device=d1 v=1 1700000001\ncounts,device=d1 v=2 1700000002\ncounts,device=d1 v=3 1700000003',
    );
    should(await rows(db, "SELECT v FROM last_cache('counts', 'last2') ORDER BY v")).eql([{ v: 2 }, { v: 3 }]);
    const deleted = await configure('DELETE', { db, table: 'counts', name: 'last2' });
    should(deleted.status).equal(200, await deleted.text());
    const again = await target().fetch(`/api/v3/configure/last_cache?db=${db}&table=counts&name=last2`, {
      method: 'DELETE',
    });
    should(again.status).equal(404);
    should(await again.text()).equal('the requested resource was not found: last2');
    const gone = await query(db, "SELECT v FROM last_cache('counts', 'last2')");
    should(gone.status).equal(400);
    should(await gone.text()).match(/could not find cache for the given arguments/);
  });

  it('leaves out rows older than the ttl, counted from when they arrived', async () => {
    const db = target().db('lvc');
    await write(db, 'ttl,device=d1 v=0 1700000000');
    should((await configure('POST', { db, table: 'ttl', name: 'short', ttl: 1 })).status).equal(201);
    await write(db, 'ttl,device=d1 v=1 1700000001');
    should(await rows(db, "SELECT v FROM last_cache('ttl', 'short')")).eql([{ v: 1 }]);
    await new Promise((r) => setTimeout(r, 1500));
    should(await rows(db, "SELECT v FROM last_cache('ttl', 'short')")).eql([]);
  });

  it('refuses unknown tables and columns, a float key column and a count of 0', async () => {
    const db = target().db('lvc');
    await write(db, 'refusals,device=d1 v=1 1700000000');
    const cases: [object, number, RegExp][] = [
      [{ db, table: 'nope' }, 404, /^Table nope not in DB schema for /],
      [{ db, table: 'refusals', key_columns: ['nope'] }, 400, /invalid key column provided: nope/],
      [{ db, table: 'refusals', key_columns: ['v'] }, 400, /only uint64, int64, bool, tag, and string columns/],
      [{ db, table: 'refusals', value_columns: ['nope'] }, 400, /invalid value column provided: nope/],
      [{ db, table: 'refusals', name: 'zero', count: 0 }, 400, /last cache size must be greater than 0/],
      [{ table: 'refusals' }, 400, /missing field `db`/],
    ];
    for (const [body, status, text] of cases) {
      const res = await configure('POST', body);
      should(res.status).equal(status, JSON.stringify(body));
      should(await res.text()).match(text);
    }
    const unknown = await query(db, "SELECT * FROM last_cache('nope')");
    should(unknown.status).equal(400);
    should(await unknown.text()).match(/provided table name is invalid/);
  });
});
