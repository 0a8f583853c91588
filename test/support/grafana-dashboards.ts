// The Grafana dashboards of dashboards/ as Grafana would query them: each panel's targets with
// the data source resolved to its database (from the provisioning file the README gives users),
// the dashboard's variables and Grafana's SQL macros expanded (grafana-macros.ts).

import fs from 'node:fs';
import path from 'node:path';
import { interpolate } from './grafana-macros';
import { START } from './alert-run';
import type { EmittedSql } from './emitted-sql';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const DASHBOARDS = path.join(ROOT, 'dashboards');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Grafana's "now" in the tests: the end of the seeded day. */
export const NOW = START + DAY;

/* eslint-disable @typescript-eslint/no-explicit-any -- dashboards are JSON */
type Json = any;

/** The dashboards, by file name. */
export function dashboards(): [string, Json][] {
  return fs
    .readdirSync(DASHBOARDS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(DASHBOARDS, f), 'utf8'))]);
}

/** Every panel's SQL, expanded, for the parse gate. */
export function dashboardSql(): EmittedSql[] {
  const databases = provisionedDatabases();
  return dashboards().flatMap(([file, d]) =>
    d.panels.flatMap((panel: Json) =>
      panelQueries(d, panel, databases).map((q) => ({
        source: `${file} panel "${String(panel.title)}" ${q.refId}`,
        sql: q.sql,
        database: q.database,
        runElsewhere: true,
      })),
    ),
  );
}

/** uid -> database, from the provisioning file the README tells users to use. */
export function provisionedDatabases(): Map<string, string> {
  const text = fs.readFileSync(path.join(DASHBOARDS, 'provisioning', 'datasources', 'influxdb3.yaml'), 'utf8');
  const out = new Map<string, string>();
  for (const block of text.split(/\n\s*- name:/).slice(1)) {
    const uid = /\n\s*uid:\s*(\S+)/.exec(block)?.[1];
    const db = /\n\s*dbName:\s*(\S+)/.exec(block)?.[1];
    if (uid && db) out.set(uid, db);
  }
  return out;
}

/** Grafana's relative times as these dashboards use them: now-6h, 7d, 30s. */
function duration(text: string): number {
  const m = /^(?:now-)?(\d+)([smhd])$/.exec(text);
  if (!m) throw new Error(`not a duration this test knows: ${text}`);
  return Number(m[1]) * { s: 1000, m: MIN, h: HOUR, d: DAY }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** The dashboard's variables ($name, ${name}, [[name]]) replaced by their current values. */
function expandVariables(text: string, dashboard: Json): string {
  const values = new Map<string, string>();
  for (const v of dashboard.templating?.list ?? []) values.set(v.name, String(v.current?.value ?? ''));
  return text.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (all, a, b, c) => values.get(a ?? b ?? c) ?? all);
}

export interface PanelQuery {
  refId: string;
  database: string;
  sql: string;
  format: string;
}

/** Each target of a panel as Grafana would send it: the data source resolved, the SQL expanded. */
export function panelQueries(
  dashboard: Json,
  panel: Json,
  databases: Map<string, string>,
  range?: { from: number; to: number },
): PanelQuery[] {
  const to = new Date(range?.to ?? NOW);
  const from = new Date(range?.from ?? NOW - duration(panel.timeFrom ?? dashboard.time.from));
  // Grafana's interval: the range over the data points asked for (1000 here; Grafana takes the
  // panel's width), not below the panel's minimum. Grafana then rounds it to a round figure; left
  // unrounded here (87 s, 605 s), so the SQL is shown to work with any bin width.
  const minInterval = panel.interval ? duration(panel.interval) : 1000;
  const intervalMs = Math.max(
    Math.ceil((to.getTime() - from.getTime()) / (panel.maxDataPoints ?? 1000) / 1000) * 1000,
    minInterval,
  );
  return panel.targets.map((t: Json) => {
    const uid = expandVariables(t.datasource.uid, dashboard);
    const database = databases.get(uid);
    if (!database) throw new Error(`target ${t.refId} names data source "${uid}", which is not provisioned`);
    const sql = interpolate(expandVariables(t.rawSql, dashboard), { timeRange: { from, to }, intervalMs });
    return { refId: t.refId, database, sql, format: t.format };
  });
}
