// Where DataFusion's answer differs from what DuckDB gives by default: selectors over NULLs,
// identifier case, approx_percentile_cont's t-digest and integer division. Each case was read in
// the real implementation (paths in the test server's modules) and runs against a real InfluxDB 3
// too when INFLUXDB3_URL is set.
import should from 'should';
import { describeForEachTarget } from '../support/influxdb3/contract-target';
import { silenceClientLog } from '../support/influxdb3/quiet-client';

describeForEachTarget('InfluxDB 3 contract: SQL semantics DuckDB does not share', (target) => {
  silenceClientLog();
  const db = () => target().db('contract_sql_semantics');
  const sql = (q: string) =>
    target().fetch('/api/v3/query_sql', { method: 'POST', body: JSON.stringify({ db: db(), q }) });
  const json = async (q: string) => {
    const res = await sql(q);
    const body = await res.text();
    should(res.status).equal(200, body);
    return body;
  };

  before(async () => {
    // One table for every device type, as in the reference schema: the vibration sensor's rows have
    // no temperature, and its reading is the latest. T1 and T2 share the highest temperature (23).
    const body = [
      'iot_sensors,device_id=T1 temperature=21.5 1795342500000000000',
      'iot_sensors,device_id=T1 temperature=23 1795342560000000000',
      'iot_sensors,device_id=T2 temperature=23 1795342590000000000',
      'iot_sensors,device_id=T2 temperature=22 1795342620000000000',
      'iot_sensors,device_id=V1 vibration=0.7 1795342680000000000',
      // A column that really has an upper-case letter.
      'caps,device_id=C1 Temperature=20,humidity=30 1795342500000000000',
      // 1..10 and 1..100, for percentiles computed by hand from DataFusion's t-digest.
      ...Array.from(
        { length: 10 },
        (_, i) => `ten v=${i + 1},n=${i + 1}i ${1795342500000000000n + BigInt(i) * 1_000_000_000n}`,
      ),
      ...Array.from(
        { length: 100 },
        (_, i) => `hundred v=${i + 1} ${1795342500000000000n + BigInt(i) * 1_000_000_000n}`,
      ),
    ].join('\n');
    const res = await target().fetch(`/api/v3/write_lp?db=${db()}`, { method: 'POST', body });
    should(res.status).equal(204, await res.text());
  });

  it('selectors skip NULL values, break ties on the earliest time, and give {value, time}', async () => {
    should(
      await json(
        `SELECT selector_last(temperature, time) AS last_t, selector_first(vibration, time) AS first_v,
                selector_max(temperature, time) AS max_t, selector_min(vibration, time) AS min_v
         FROM iot_sensors`,
      ),
    ).equal(
      '[{"last_t":{"value":22.0,"time":"2026-11-22T10:17:00"},"first_v":{"value":0.7,"time":"2026-11-22T10:18:00"},' +
        '"max_t":{"value":23.0,"time":"2026-11-22T10:16:00"},"min_v":{"value":0.7,"time":"2026-11-22T10:18:00"}}]',
    );
  });

  it('a selector over a group with no value is NULL, and so is its value', async () => {
    should(
      await json(
        `SELECT device_id, selector_last(vibration, time) AS v, selector_last(vibration, time)['value'] AS vv
         FROM iot_sensors GROUP BY device_id ORDER BY device_id`,
      ),
    ).equal(
      '[{"device_id":"T1"},{"device_id":"T2"},{"device_id":"V1","v":{"value":0.7,"time":"2026-11-22T10:18:00"},"vv":0.7}]',
    );
  });

  it('divides the unsigned retention_period_ns by an integer as a decimal, as DataFusion coerces UInt64 with Int64', async () => {
    const withRetention = target().db('contract_sql_retention');
    const created = await target().fetch('/api/v3/configure/database', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ db: withRetention, retention_period: '7d' }),
    });
    should(created.status).equal(200, await created.text());
    const q = `SELECT retention_period_ns / 1000000000 AS s FROM system.databases WHERE database_name = '${withRetention}'`;
    const res = await target().fetch('/api/v3/query_sql', {
      method: 'POST',
      body: JSON.stringify({ db: '_internal', q }),
    });
    should(await res.text()).equal('[{"s":604800.0000}]', 'Decimal128(24, 4): UInt64 / Int64');
    const rows: Record<string, unknown>[] = [];
    for await (const r of target().client('_internal').query(q)) rows.push({ ...r });
    // Through Flight the client hands over apache-arrow's view of a decimal: the unscaled integer.
    should(rows.map((r) => String(r.s))).eql(['6048000000'], 'Decimal128(24, 4) through Flight');
  });

  it("computes approx_percentile_cont and approx_median with DataFusion's t-digest, in all three forms", async () => {
    should(
      await json(
        `SELECT approx_percentile_cont(v, 0.95) AS p95, approx_percentile_cont(v, 0.1) AS p10,
                approx_percentile_cont(v, 0.5, 10) AS p50_10, approx_median(v) AS median,
                approx_percentile_cont(0.95) WITHIN GROUP (ORDER BY v) AS wg95,
                approx_percentile_cont(0.1) WITHIN GROUP (ORDER BY v DESC) AS wg10_desc,
                approx_percentile_cont(0.5, 4) WITHIN GROUP (ORDER BY v) AS wg50_4
         FROM ten`,
      ),
    ).equal('[{"p95":10.0,"p10":1.5,"p50_10":5.375,"median":5.5,"wg95":10.0,"wg10_desc":9.5,"wg50_4":5.5}]');
    // An integer column gives an integer, the estimate truncated (Rust's `as`).
    should(
      await json(
        'SELECT approx_percentile_cont(n, 0.1) AS p10, approx_median(n) AS m, approx_percentile_cont(n, 0.95) AS p95 FROM ten',
      ),
    ).equal('[{"p10":1,"m":5,"p95":10}]');
    // A hundred values with the default 100 centroids: the middle ones are already merged.
    should(await json('SELECT approx_percentile_cont(v, 0.5) AS p50, approx_median(v) AS m FROM hundred')).equal(
      '[{"p50":50.375,"m":50.375}]',
    );
    should(await json('SELECT approx_percentile_cont(v, 0.95) AS p FROM ten WHERE v > 100')).equal('[{}]');
  });

  it('refuses a percentile outside 0..1 as DataFusion plans it', async () => {
    const res = await sql('SELECT approx_percentile_cont(v, 1.5) AS p FROM ten');
    should([res.status, await res.text()]).eql([
      400,
      'Error during planning: Percentile value must be between 0.0 and 1.0 inclusive, 1.5 is invalid',
    ]);
  });

  it('matches quoted column names exactly and lower-cases unquoted ones, as DataFusion does', async () => {
    should(await json('SELECT "Temperature" AS t, humidity AS h FROM caps')).equal('[{"t":20.0,"h":30.0}]');
    let res = await sql('SELECT "Temperature" AS t FROM iot_sensors');
    should([res.status, await res.text()]).eql([
      500,
      'Schema error: No field named "Temperature". Valid fields are iot_sensors.device_id, iot_sensors.temperature, iot_sensors.time, iot_sensors.vibration.',
    ]);
    res = await sql('SELECT Temperature AS t FROM caps');
    should([res.status, await res.text()]).eql([
      500,
      "Schema error: No field named temperature. Did you mean 'caps.Temperature'?.",
    ]);
    res = await sql(`SELECT temperature FROM iot_sensors WHERE "Device_id" = 'T1'`);
    should(res.status).equal(500);
    should(await res.text()).match(/^Schema error: No field named "Device_id"\./);
    await should(
      (async () => {
        for await (const _ of target().client(db()).query('SELECT "Temperature" AS t FROM iot_sensors')) break;
      })(),
    ).be.rejectedWith({ code: 'INVALID_ARGUMENT', message: /Schema error: No field named "Temperature"/ });
  });
});
