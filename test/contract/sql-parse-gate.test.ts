// InfluxDB 3 refuses SQL its parser (sqlparser-rs, GenericDialect) refuses, before DuckDB's more
// lenient parser would see it; and every SQL the pack emits or shows parses there, and runs.
import should from 'should';
import { storedColumns } from '../../nodes/lib/downsample/tier-spec';
import { checkedTiers, emittedSql } from '../support/emitted-sql';
import { describeForEachTarget } from '../support/influxdb3/contract-target';
import { silenceClientLog } from '../support/influxdb3/quiet-client';
import { sqlParseError } from '../support/influxdb3/sql-parse-gate';

describe("every SQL the pack emits parses with InfluxDB 3's parser", () => {
  const all = emittedSql();

  it('collects the downsampler, example flows, help texts, README, runtime literals and dashboards', () => {
    const sources = all.map((e) => e.source);
    for (const part of ['downsampler', 'examples/', 'default query', 'locales/en-US', 'influxdb3-http.ts', 'panel'])
      should(sources.some((s) => s.includes(part))).be.true(`nothing collected from ${part}`);
  });

  for (const { source, sql } of all)
    it(`parses: ${source}`, async () => {
      should(await sqlParseError(sql)).equal(undefined, sql);
    });
});

describeForEachTarget('InfluxDB 3 contract: the SQL parse gate', (target) => {
  silenceClientLog();
  const db = () => target().db('contract_parse_gate');
  const post = (q: string, database = db(), params: Record<string, unknown> = {}) =>
    target().fetch('/api/v3/query_sql', { method: 'POST', body: JSON.stringify({ db: database, q, params }) });

  before(async () => {
    // A row in each table the emitted SQL reads, with the columns it names.
    const t = 1795342500000000000n;
    const tags = 'device_id=T1,device_type=temperature,location=hall,floor=1';
    const lines = [
      `iot_sensors,${tags} temperature=21.5,humidity=40,battery_level=90,signal_strength=-60i ${t}`,
      `iot_sensors,device_id=M1,device_type=motion,location=hall,floor=1 motion_detected=true,sensitivity=5i,battery_level=80 ${t}`,
      `iot_sensors,device_id=D1,device_type=door,location=hall,floor=1 door_open=false,open_count=3i,battery_level=70 ${t}`,
      `alert_events,series=T1 rule="hot",event="firing",duration_s=0 ${t}`,
      `line_sensors,device_id=L1,device_type=line,location=hall hpa=1013.2,rms=0.3,peak=1.1 ${t}`,
    ];
    for (const { spec } of checkedTiers())
      lines.push(
        `${spec.target.table},${tags} ${storedColumns(spec)
          .map((c) => `${c}=1`)
          .join(',')} ${t}`,
      );
    const res = await target().fetch(`/api/v3/write_lp?db=${db()}`, { method: 'POST', body: lines.join('\n') });
    should(res.status).equal(204, await res.text());
    // The last value cache influxdb3-write's option creates, which the Full pipeline's query reads.
    const cache = await target().fetch('/api/v3/configure/last_cache', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ db: db(), table: 'iot_sensors', name: 'latest' }),
    });
    should(cache.status).equal(201, await cache.text());
  });

  it('refuses SQL its parser refuses with a 400 and DataFusion\'s "SQL error: ParserError(…)"', async () => {
    // DuckDB runs both; sqlparser-rs has neither USING SAMPLE nor a ** operator.
    let res = await post('SELECT count(*) AS n FROM iot_sensors USING SAMPLE 10%');
    should([res.status, await res.text()]).eql([
      400,
      'SQL error: ParserError("Expected: end of statement, found: USING at Line: 1, Column: 39")',
    ]);
    res = await post('SELECT 2 ** 3 AS p');
    should([res.status, await res.text()]).eql([
      400,
      'SQL error: ParserError("Expected: an expression, found: * at Line: 1, Column: 11")',
    ]);
    res = await post("SELECT 'open AS s");
    should(res.status).equal(400);
    should(await res.text()).match(
      /^SQL error: TokenizerError\("Unterminated string literal at Line: 1, Column: 8"\)$/,
    );
    await should(
      (async () => {
        for await (const _ of target().client(db()).query('SELECT 2 ** 3 AS p')) break;
      })(),
    ).be.rejectedWith({ code: 'INVALID_ARGUMENT', message: /Error while planning query: SQL error: ParserError\(/ });
  });

  it('runs every emitted SQL on tables holding the columns it names', async () => {
    const params = { start: '2026-11-22T00:00:00Z', end: '2026-11-23T00:00:00Z', db: db() };
    const failures: string[] = [];
    for (const { source, sql, database, runElsewhere } of emittedSql()) {
      if (runElsewhere) continue;
      const res = await post(sql, database === '_internal' ? '_internal' : db(), params);
      if (res.status !== 200) failures.push(`${source}: ${res.status} ${await res.text()}\n${sql}`);
    }
    should(failures).eql([]);
  });
});
