// The Grafana dashboards in dashboards/: every panel's SQL, with Grafana's SQL macros and the
// dashboard's variables expanded as Grafana expands them, runs against the project's InfluxDB 3
// compatible server holding a simulated day of the reference fleet, its two tiers made by the real
// downsampler, the alert events of the real alert engine and a day of the pipeline's metrics; and
// returns rows with the columns the panel plots. Also: the macro port against Grafana's own cases.
import should from 'should';
import fs from 'node:fs';
import path from 'node:path';
import { FleetDay } from '../support/fleet-day';
import { interpolate, MacroQuery } from '../support/grafana-macros';
import { DASHBOARDS, NOW, panelQueries, provisionedDatabases } from '../support/grafana-dashboards';
import { InfluxDB3Server, startInfluxDB3 } from '../support/influxdb3/server';
import { directIO, httpFor, rowsOf, writeLines } from '../support/tier-fixtures';
import { METRICS_DATABASE, pipelineMetricLines } from '../support/pipeline-metrics-fixture';
import { runFleet, START } from '../support/alert-run';
import { Downsampler } from '../../nodes/lib/downsample/downsampler';
import { tierSpec } from '../../nodes/lib/downsample/tier-spec';
import { MemoryStateStore } from '../../nodes/lib/downsample/tier-state';
import { referenceSchema } from '../../nodes/lib/schema/reference-schema';
import { referenceRules } from '../../nodes/lib/alert/rules';
import { ALERT_EVENTS_TABLE, encodeAlertEvent } from '../../nodes/lib/alert/alert-event-lines';
import { LineWriter } from '../../nodes/lib/line-protocol/line-writer';
import type { InfluxDB3Http } from '../../nodes/lib/influxdb3/influxdb3-http';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/* eslint-disable @typescript-eslint/no-explicit-any -- dashboards are JSON */
type Json = any;
type Row = Record<string, unknown>;

describe('Grafana SQL macros (the cases of grafana/grafana pkg/tsdb/influxdb/fsql/macro_test.go)', () => {
  const from = new Date('2023-01-01T00:00:00Z');
  const q: MacroQuery = { timeRange: { from, to: new Date(from.getTime() + 10 * MIN) }, intervalMs: 10_000 };
  const cases: [string, string][] = [
    ['select * from x', 'select * from x'],
    [
      `select date_bin($__interval, time, timestamp '1970-01-01T00:00:00Z')`,
      `select date_bin(interval '10 second', time, timestamp '1970-01-01T00:00:00Z')`,
    ],
    ['select $__dateBin(time)', `select date_bin(interval '10 second', time, timestamp '1970-01-01T00:00:00Z')`],
    [
      'select $__dateBinAlias(time)',
      `select date_bin(interval '10 second', time, timestamp '1970-01-01T00:00:00Z') as time_binned`,
    ],
    [
      'select * from x where $__timeFilter(time)',
      `select * from x where time >= '2023-01-01T00:00:00Z' AND time <= '2023-01-01T00:10:00Z'`,
    ],
    ['select * from x where $__timeRangeFrom(time)', `select * from x where time >= '2023-01-01T00:00:00Z'`],
    ['select * from x where $__timeRangeTo(time)', `select * from x where time <= '2023-01-01T00:10:00Z'`],
    [
      'select * from x where $__timeRange(time)',
      `select * from x where time >= '2023-01-01T00:00:00Z' AND time <= '2023-01-01T00:10:00Z'`,
    ],
    [
      'select * from x where time >= $__timeFrom',
      `select * from x where time >= cast('2023-01-01T00:00:00Z' as timestamp)`,
    ],
    [
      'select * from x where time < $__timeTo',
      `select * from x where time < cast('2023-01-01T00:10:00Z' as timestamp)`,
    ],
  ];
  for (const [sql, want] of cases) it(sql, () => should(interpolate(sql, q)).equal(want));

  it('expands timeGroup down to the year, and takes the next parenthesis as the arguments of a bare macro', () => {
    should(interpolate('$__timeGroup(time, day)', q)).equal(
      "datepart('day', time),datepart('month', time),datepart('year', time)",
    );
    // Grafana's parser, not a wish: what the dashboards must avoid (a bare $__timeTo before "(").
    should(interpolate('time <= $__timeTo AND avg(x)', q)).equal("time <= cast('2023-01-01T00:10:00Z' as timestamp)");
    should(interpolate('(time <= $__timeTo) AND avg(x)', q)).equal(
      "(time <= cast('2023-01-01T00:10:00Z' as timestamp)) AND avg(x)",
    );
  });
});

/** The columns a panel plots, beyond a time series' time and values. */
function namedColumns(panel: Json): string[] {
  const names = new Set<string>();
  for (const o of panel.fieldConfig?.overrides ?? []) if (o.matcher.id === 'byName') names.add(o.matcher.options);
  for (const s of panel.options?.sortBy ?? []) names.add(s.displayName);
  const shown = /\$\{__data\.fields\.(\w+)\}/.exec(panel.fieldConfig?.defaults?.displayName ?? '');
  if (shown) names.add(shown[1]);
  return [...names];
}

const isNumber = (v: unknown) => (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint';
/** A timestamp as /api/v3/query_sql's JSON gives it (ISO 8601 in UTC without the Z), or NaN. */
const timeOf = (v: unknown) =>
  typeof v === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+$/.test(v) ? Date.parse(`${v}Z`) : NaN;

/** Runs every query of the panel; throws with the SQL when one fails or lacks what the panel plots. */
async function checkPanel(http: InfluxDB3Http, dashboard: Json, panel: Json, databases: Map<string, string>) {
  const columns = new Set<string>();
  for (const q of panelQueries(dashboard, panel, databases)) {
    let rows: Row[];
    try {
      rows = await rowsOf(http, q.database, q.sql);
    } catch (e) {
      throw new Error(`${q.refId} failed: ${(e as Error).message}\n${q.sql}`, { cause: e });
    }
    const why = (what: string) => `${q.refId}: ${what}\n${q.sql}`;
    should(rows.length).above(0, why('no rows'));
    const keys = Object.keys(rows[0]);
    keys.forEach((k) => columns.add(k));
    const numeric = keys.filter((k) => k !== 'time' && rows.some((r) => isNumber(r[k])));
    should(numeric.length).above(0, why(`no numeric column to plot among ${keys.join(', ')}`));
    if (panel.type === 'timeseries') {
      should(q.format).equal('time_series', why('a time series panel asks for a table'));
      should(keys.includes('time')).be.true(why('no time column'));
      const times = rows.map((r) => timeOf(r.time));
      for (const [i, t] of times.entries())
        should(Number.isFinite(t)).be.true(why(`a time that is not a time: ${String(rows[i].time)}`));
      should(times).eql(
        [...times].sort((a, b) => a - b),
        why('rows not in time order'),
      );
    }
    if (panel.type === 'bargauge') {
      const pattern = /^\/(.*)\/$/.exec(panel.options.reduceOptions.fields)?.[1] ?? '';
      should(keys.some((k) => new RegExp(pattern).test(k))).be.true(why(`no column matches ${pattern}`));
    }
  }
  for (const name of namedColumns(panel)) should(columns.has(name)).be.true(`the panel names column ${name}`);
}

describe('Grafana dashboards against a seeded day', function () {
  this.timeout(600_000);
  let server: InfluxDB3Server;
  let http: InfluxDB3Http;
  const databases = provisionedDatabases();
  const files = fs.readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'));
  const dashboards = new Map<string, Json>(
    files.map((f) => [f, JSON.parse(fs.readFileSync(path.join(DASHBOARDS, f), 'utf8'))]),
  );

  before(async () => {
    server = await startInfluxDB3({ walFlushMs: 0 });
    http = httpFor(server.url);
    await seedDay(http);
  });
  after(async () => {
    http?.close();
    await server?.stop();
  });

  it('provisions one SQL-mode data source per database the dashboards read', () => {
    should([...databases.values()].sort()).eql([
      'iot-alerts',
      'iot-pipeline',
      'iot-sensors',
      'iot-sensors-1hour',
      'iot-sensors-5min',
    ]);
    for (const [file, d] of dashboards) {
      should(d.schemaVersion).be.within(39, 41, file);
      for (const v of d.templating.list.filter((x: Json) => x.type === 'datasource'))
        should(databases.has(v.current.value)).be.true(`${file}: ${v.name} defaults to a provisioned data source`);
    }
  });

  for (const file of files) {
    const dashboard = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, file), 'utf8'));
    for (const panel of dashboard.panels)
      it(`${dashboard.title}: ${panel.title}`, () => checkPanel(http, dashboard, panel, databases));
  }

  const run = async (file: string, title: string, range?: { from: number; to: number }) => {
    const dashboard = dashboards.get(file);
    const panel = dashboard.panels.find((p: Json) => p.title === title);
    const q = panelQueries(dashboard, panel, databases, range)[0];
    return rowsOf(http, q.database, q.sql);
  };

  it('keeps a counter rate right across a Node-RED restart (counters start again from 0)', async () => {
    const restart = { from: START + 12 * HOUR + 30 * MIN, to: START + 13 * HOUR + 30 * MIN };
    const rows = await run('fleet-overview.json', 'Messages per second', restart);
    should(rows.length).above(30);
    // The fixture's fleet sends 16 messages a second, before and after the restart at 13:00.
    for (const r of rows) should(r.messages_per_second).be.approximately(16, 1e-9, String(r.time));
  });

  it('shows the alerts of the day: batteries low and firing at its end, anomalies resolved', async () => {
    const firing = await run('alerts.json', 'Firing now');
    should(firing.filter((r) => r.rule === 'battery low').length).above(0);
    const resolved = await run('alerts.json', 'Time to resolve by rule');
    should(resolved.map((r) => r.rule)).containEql('temperature anomaly');
    const battery = await run('device-health.json', 'Battery by device, lowest first');
    const levels = battery.map((r) => Number(r.battery));
    should(levels).eql(
      [...levels].sort((a, b) => a - b),
      'lowest first',
    );
  });

  it('fails a panel whose SQL is broken or lacks a column it plots', async () => {
    const dashboard = dashboards.get('fleet-overview.json');
    const panel = dashboard.panels.find((p: Json) => p.title === 'Last seen per device');
    const broken = (edit: (sql: string) => string) => ({
      ...panel,
      targets: [{ ...panel.targets[0], rawSql: edit(panel.targets[0].rawSql) }],
    });
    await checkPanel(http, dashboard, panel, databases);
    await should(
      checkPanel(
        http,
        dashboard,
        broken((s) => s.replace('device_type,', 'devicetype,')),
        databases,
      ),
    ).be.rejectedWith(/failed/);
    await should(
      checkPanel(
        http,
        dashboard,
        broken((s) => s.replace('AS silent_s', 'AS silent')),
        databases,
      ),
    ).be.rejectedWith(/names column silent_s/);
    await should(
      checkPanel(
        http,
        dashboard,
        broken((s) => s.replace('$__timeFilter(time)', 'time < $__timeFrom')),
        databases,
      ),
    ).be.rejectedWith(/no rows/);
  });
});

/** The day: raw readings, both tiers by the real downsampler with the example flow's settings, the
 *  alert events of the reference rules, and the pipeline's metrics with a restart at 13:00. */
async function seedDay(http: InfluxDB3Http): Promise<void> {
  const day = new FleetDay(START, 'alert-test');
  await day.writeUntil(http, 'iot-sensors', NOW - 1);

  const flow: Json[] = JSON.parse(
    fs.readFileSync(path.join(DASHBOARDS, '..', 'examples', '01 - Full pipeline.json'), 'utf8'),
  );
  const unit: Record<string, number> = { s: 1, min: 60, h: 3600, d: 86400 };
  const tiers = flow.filter((n) => n.type === 'influxdb3-downsample');
  should(tiers.map((n) => n.targetDatabase)).eql(['iot-sensors-5min', 'iot-sensors-1hour']);
  for (const n of tiers) {
    const spec = tierSpec({ ...n, bucketSeconds: n.bucket * unit[n.bucketUnit] }, referenceSchema());
    const options = {
      graceMs: MIN,
      recountBuckets: 0,
      maxBucketsPerQuery: 288,
      maxRowsPerQuery: 500_000,
      maxBackfillBuckets: 10_000,
    };
    const tier = new Downsampler(spec, directIO(http), options, new MemoryStateStore());
    tier.state.watermark = START;
    if (spec.source.kind === 'tier') tier.upstreamComplete(NOW);
    const report = await tier.run(NOW + 2 * MIN);
    should(report.buckets).equal(DAY / spec.bucketMs, `${spec.target.table}: the whole day`);
  }

  // Spikes make temperature anomalies that fire and resolve; batteries drain below 20 % and stay there.
  const spikes = [3, 9, 15, 21].map((h) => ({
    atMs: START + h * HOUR,
    fault: { kind: 'spike' as const, device: `TEMP_00${h % 9}`, magnitude: 8 },
  }));
  const run = runFleet(referenceRules(), DAY, spikes, 'alert-test');
  const w = new LineWriter();
  for (const e of run.events) {
    const refused = encodeAlertEvent(w, e, ALERT_EVENTS_TABLE, 'ms');
    if (refused) throw new Error(`an alert event could not be stored: ${refused.message}`);
  }
  await writeLines(http, 'iot-alerts', w.toString(), 'ms');

  const metrics = await pipelineMetricLines({ startMs: START, endMs: NOW, restartAtMs: START + 13 * HOUR });
  for (let i = 0; i < metrics.length; i += 10_000)
    await writeLines(http, METRICS_DATABASE, metrics.slice(i, i + 10_000).join('\n'), 'ms');
}
