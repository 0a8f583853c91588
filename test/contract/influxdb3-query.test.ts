// Queries, through Arrow Flight (the official client) and /api/v3/query_sql (plain HTTP): output
// formats, parameters, errors, and the InfluxDB 3 SQL an IoT pipeline uses.
import should from 'should';
import { describeForEachTarget } from '../support/influxdb3/contract-target';
import { silenceClientLog } from '../support/influxdb3/quiet-client';

describeForEachTarget('InfluxDB 3 contract: queries', (target) => {
  silenceClientLog();
  const db = () => target().db('contract_queries');
  const sql = (q: string, extra: Record<string, unknown> = {}) =>
    target().fetch('/api/v3/query_sql', { method: 'POST', body: JSON.stringify({ db: db(), q, ...extra }) });
  const rows = async (q: string, params?: Record<string, string | number | boolean>) => {
    const out: Record<string, unknown>[] = [];
    for await (const r of target()
      .client(db())
      .query(q, undefined, params ? { params } : undefined))
      out.push({ ...r });
    return out;
  };

  before(async () => {
    // Three sensors, two of them in one 5-minute bucket; a null humidity; values chosen so every
    // aggregate below is easy to compute by hand.
    const body = [
      'env,device_id=T1,floor=1 temperature=20,humidity=40,count=1i 1795342500000000000',
      'env,device_id=T1,floor=1 temperature=22,humidity=50,count=2i 1795342560000000000',
      'env,device_id=T2,floor=2 temperature=30,count=3i 1795342620000000000',
      'env,device_id=T1,floor=1 temperature=24,humidity=60,count=4i 1795342800000000000',
    ].join('\n');
    const res = await target().fetch(`/api/v3/write_lp?db=${db()}`, { method: 'POST', body });
    should(res.status).equal(204, await res.text());
  });

  it('answers query_sql in json, jsonl, csv and pretty, by format or Accept header', async () => {
    const q =
      "SELECT device_id, humidity, temperature, time FROM env WHERE device_id = 'T2' OR temperature = 20 ORDER BY time";
    let res = await sql(q);
    should(res.headers.get('content-type')).equal('application/json');
    should(await res.text()).equal(
      '[{"device_id":"T1","humidity":40.0,"temperature":20.0,"time":"2026-11-22T10:15:00"},{"device_id":"T2","temperature":30.0,"time":"2026-11-22T10:17:00"}]',
    );
    res = await sql(q, { format: 'jsonl' });
    should(res.headers.get('content-type')).equal('application/jsonl');
    should(await res.text()).equal(
      '{"device_id":"T1","humidity":40.0,"temperature":20.0,"time":"2026-11-22T10:15:00"}\n{"device_id":"T2","temperature":30.0,"time":"2026-11-22T10:17:00"}\n',
    );
    res = await sql(q, { format: 'csv' });
    should(res.headers.get('content-type')).equal('text/csv');
    should(await res.text()).equal(
      'device_id,humidity,temperature,time\nT1,40.0,20.0,2026-11-22T10:15:00\nT2,,30.0,2026-11-22T10:17:00\n',
    );
    res = await target().fetch(`/api/v3/query_sql?db=${db()}&q=${encodeURIComponent(q)}`, {
      headers: { accept: 'text/plain' },
    });
    should(res.headers.get('content-type')).equal('text/plain; charset=utf-8');
    should(await res.text()).equal(
      [
        '+-----------+----------+-------------+---------------------+',
        '| device_id | humidity | temperature | time                |',
        '+-----------+----------+-------------+---------------------+',
        '| T1        | 40.0     | 20.0        | 2026-11-22T10:15:00 |',
        '| T2        |          | 30.0        | 2026-11-22T10:17:00 |',
        '+-----------+----------+-------------+---------------------+',
      ].join('\n'),
    );
    res = await target().fetch(
      `/api/v3/query_sql?db=${db()}&q=${encodeURIComponent('SELECT temperature FROM env WHERE temperature > 100')}`,
    );
    should(await res.text()).equal('[]', 'no rows is an empty array');
  });

  it('binds $name parameters over HTTP (GET and POST) and through Flight, typed as InfluxDB 3 types JSON', async () => {
    const q = 'SELECT count(*) AS n FROM env WHERE device_id = $device AND temperature >= $min AND time >= $from';
    const params = { device: 'T1', min: 22, from: '2026-11-22T10:16:00Z' };
    let res = await sql(q, { params });
    should(await res.text()).equal('[{"n":2}]');
    res = await target().fetch(
      `/api/v3/query_sql?db=${db()}&q=${encodeURIComponent(q)}&params=${encodeURIComponent(JSON.stringify(params))}`,
    );
    should(await res.text()).equal('[{"n":2}]');
    should(await rows(q, params)).eql(
      [{ n: 2n }],
      'count without field metadata is an Int64 the client gives as bigint',
    );
    res = await sql(q, { params: { device: 'T1', min: 22 } });
    should(res.status).equal(400);
    should(await res.text()).match(/No value found for placeholder with name \$from/);
  });

  it('refuses a bad query with the status and body InfluxDB 3 gives', async () => {
    let res = await sql('SELECT * FROM nope');
    should(res.status).equal(400);
    should(await res.text()).match(/table 'public\.iox\.nope' not found/);
    res = await sql('SELECT * FROM "ENV"');
    should(res.status).equal(400, 'a quoted name matches exactly (unquoted ones are lower-cased first)');
    res = await target().fetch('/api/v3/query_sql', {
      method: 'POST',
      body: JSON.stringify({ db: 'no_such_db', q: 'SELECT 1' }),
    });
    should(res.status).equal(404);
    should(await res.text()).equal('{"error":"query error: database not found: no_such_db"}');
    res = await target().fetch('/api/v3/query_sql');
    should([res.status, await res.text()]).eql([400, "missing query parameters 'db' and 'q'"]);
    res = await target().fetch('/api/v3/query_sql', { method: 'POST', body: JSON.stringify({ q: 'SELECT 1' }) });
    should(res.status).equal(400);
    should(await res.text()).match(/missing field `db`/);
  });

  it("reports query errors through Flight with InfluxDB 3's gRPC codes", async () => {
    await should(rows('SELECT * FROM nope')).be.rejectedWith({
      code: 'INVALID_ARGUMENT',
      message: /table 'public\.iox\.nope' not found/,
    });
    await should(
      (async () => {
        for await (const _ of target().client('no_such_db').query('SELECT 1')) break;
      })(),
    ).be.rejectedWith(/database not found: no_such_db/);
  });

  it('runs the time functions of InfluxDB 3 SQL: date_bin with and without origin, now(), INTERVAL', async () => {
    should(
      await (
        await sql(
          "SELECT date_bin(INTERVAL '5 minutes', time) AS bucket, count(*) AS n FROM env GROUP BY bucket ORDER BY bucket",
        )
      ).text(),
    ).equal('[{"bucket":"2026-11-22T10:15:00","n":3},{"bucket":"2026-11-22T10:20:00","n":1}]');
    should(
      await (
        await sql(
          "SELECT date_bin(INTERVAL '5 minutes', time, '1970-01-01T00:02:00Z') AS bucket, count(*) AS n FROM env GROUP BY bucket ORDER BY bucket",
        )
      ).text(),
    ).equal('[{"bucket":"2026-11-22T10:12:00","n":2},{"bucket":"2026-11-22T10:17:00","n":2}]');
    should(
      await (
        await sql(
          "SELECT count(*) AS n FROM env WHERE time > now() - INTERVAL '100 years' AND time < now() + INTERVAL '1 day 2 hours'",
        )
      ).text(),
    ).equal('[{"n":4}]');
    const [row] = await rows('SELECT now() AS t FROM env LIMIT 1');
    should(Math.abs((row.t as number) - Date.now()) < 60_000).be.true('now() is the server clock, as a timestamp');
  });

  it('runs the aggregates a pipeline uses: avg, min, max, sum, count, stddev, approx_percentile_cont, selectors', async () => {
    const [r] = JSON.parse(
      await (
        await sql(
          `SELECT avg(temperature) AS avg_t, min(temperature) AS min_t, max(temperature) AS max_t, sum("count") AS s, count(humidity) AS n_h,
                  stddev(temperature) AS sd, approx_percentile_cont(temperature, 0.5) AS p50,
                  selector_last(temperature, time)['value'] AS last_t, selector_first(temperature, time)['value'] AS first_t
           FROM "env"`,
        )
      ).text(),
    );
    should(r.avg_t).equal(24);
    should([r.min_t, r.max_t, r.s, r.n_h, r.last_t, r.first_t]).eql([20, 30, 10, 3, 24, 20]);
    // Sample standard deviation of 20, 22, 30, 24: sqrt(56 / 3).
    should(Math.abs(r.sd - Math.sqrt(56 / 3)) < 1e-9).be.true(String(r.sd));
    should(r.p50 >= 22 && r.p50 <= 24).be.true(`approximate median ${r.p50}`);
    should(await (await sql('SELECT 7 / 2 AS q FROM env LIMIT 1')).text()).equal(
      '[{"q":3}]',
      'integer division, as DataFusion does it',
    );
    const [sel] = await rows("SELECT selector_max(temperature, time) AS hottest FROM env WHERE floor = '1'");
    should((sel.hottest as { toJSON(): object }).toJSON()).eql({ time: 1795342800000, value: 24 });
  });

  it('refuses by name what the test server does not bridge, never a different answer', async function () {
    if (!target().local) this.skip();
    let res = await sql(
      "SELECT date_bin_gapfill(INTERVAL '5 minutes', time) AS b, locf(avg(temperature)) AS t FROM env GROUP BY 1",
    );
    should(res.status).equal(405);
    should(await res.text()).match(
      /date_bin_gapfill\(\) is an InfluxDB 3 function the project's test server does not bridge/,
    );
    res = await sql('SELECT count(*) FROM env');
    should(res.status).equal(405);
    should(await res.text()).match(/has no alias/);
    res = await sql("SELECT * FROM information_schema.columns WHERE table_name = 'env'");
    should(res.status).equal(405);
    res = await sql('SELECT 1 AS x', { format: 'parquet' });
    should(res.status).equal(405);
  });
});
