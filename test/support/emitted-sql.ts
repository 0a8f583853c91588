// Every SQL the pack emits or shows its users, in one list, so one test can check that InfluxDB 3's
// parser takes each of them: the downsampler's queries, the example flows' and the editor's
// default queries, the SQL in the help texts and the README, the SQL literals of the runtime,
// and the Grafana dashboards' panels with their macros expanded. Append new sources here.

import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLE_QUERY } from '../../nodes/influxdb3-query/settings';
import { BASIC_AGGREGATES, TierSettings, TierSpec, tierSpec } from '../../nodes/lib/downsample/tier-spec';
import { rawAggregateSql, sourceCountSql, targetCountSql, tierRowsSql } from '../../nodes/lib/downsample/tier-sql';
import { referenceSchema } from '../../nodes/lib/schema/reference-schema';
import { dashboardSql } from './grafana-dashboards';

export interface EmittedSql {
  /** Where it comes from, for the failure message. */
  source: string;
  sql: string;
  /** The database it is meant for, when not the pack's raw one. */
  database?: string;
  /** Run elsewhere, on data of its own (the dashboards, on the seeded day): only parsed here. */
  runElsewhere?: boolean;
}

const ROOT = path.resolve(__dirname, '../../..');
const UNIT_SECONDS: Record<string, number> = { s: 1, min: 60, h: 3600, d: 86400 };

export function emittedSql(): EmittedSql[] {
  return [
    ...downsamplerSql(),
    ...exampleFlowSql(),
    { source: 'influxdb3-query default query', sql: EXAMPLE_QUERY },
    ...helpTextSql(),
    ...readmeSql(),
    ...runtimeLiteralSql(),
    ...dashboardSql(),
  ];
}

/** The tiers whose queries are checked: every field of the reference schema with every aggregate
 *  (from raw, and from a finer tier without percentiles), and each downsample node of the examples. */
export function checkedTiers(): { name: string; spec: TierSpec }[] {
  const schema = referenceSchema();
  const fields = new Set<string>();
  for (const dt of Object.values(schema.deviceTypes))
    for (const [k, c] of Object.entries(dt.columns)) if (c.kind === 'field' && c.type !== 'string') fields.add(k);
  const everything = (percentiles: boolean) =>
    [...fields].map((field) => ({
      field,
      aggregates: [...BASIC_AGGREGATES, ...(percentiles ? ['p50', 'p95', 'p99.9'] : [])],
    }));
  const tiers: [string, TierSettings][] = [
    ['reference fields, every aggregate, from raw', tier('raw', 'iot_sensors', 'iot_sensors_5min', everything(true))],
    [
      'reference fields, every aggregate, from a tier',
      tier('tier', 'iot_sensors_5min', 'iot_sensors_1h', everything(false)),
    ],
  ];
  for (const { file, node } of exampleNodes('influxdb3-downsample'))
    tiers.push([
      `${file} node "${String(node.name)}"`,
      {
        sourceDatabase: String(node.sourceDatabase),
        sourceTable: String(node.sourceTable),
        sourceKind: String(node.sourceKind),
        targetDatabase: String(node.targetDatabase),
        targetTable: String(node.targetTable),
        bucketSeconds: Number(node.bucket) * UNIT_SECONDS[String(node.bucketUnit)],
        tags: String(node.tags ?? ''),
        fields: node.fields as TierSettings['fields'],
      },
    ]);
  return tiers.map(([name, settings]) => ({ name, spec: tierSpec(settings, schema) }));
}

/** The queries a tier runs: its source rows (aggregated from raw, whole from a tier) and the two
 *  counts of the late-data recount. */
function downsamplerSql(): EmittedSql[] {
  return checkedTiers().flatMap(({ name, spec }) => [
    spec.source.kind === 'raw'
      ? { source: `downsampler ${name}: aggregate`, sql: rawAggregateSql(spec), database: spec.source.database }
      : { source: `downsampler ${name}: tier rows`, sql: tierRowsSql(spec), database: spec.source.database },
    { source: `downsampler ${name}: source count`, sql: sourceCountSql(spec), database: spec.source.database },
    { source: `downsampler ${name}: target count`, sql: targetCountSql(spec), database: spec.target.database },
  ]);
}

function tier(kind: string, source: string, target: string, fields: TierSettings['fields']): TierSettings {
  return {
    sourceDatabase: 'iot-sensors',
    sourceTable: source,
    sourceKind: kind,
    targetDatabase: 'iot-sensors',
    targetTable: target,
    bucketSeconds: 300,
    tags: '',
    fields,
  };
}

function exampleNodes(type: string): { file: string; node: Record<string, unknown> }[] {
  const dir = path.join(ROOT, 'examples');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) =>
      (JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>[])
        .filter((n) => n.type === type)
        .map((node) => ({ file: `examples/${file}`, node })),
    );
}

function exampleFlowSql(): EmittedSql[] {
  return exampleNodes('influxdb3-query').map(({ file, node }) => ({
    source: `${file} query node "${String(node.name)}"`,
    sql: String(node.query),
    database: typeof node.database === 'string' && node.database ? node.database : undefined,
  }));
}

const startsAsSql = (text: string) => /^\s*(SELECT|WITH)\b/i.test(text);

/** <pre> and <code> blocks of the nodes' help that are SQL. */
function helpTextSql(): EmittedSql[] {
  const out: EmittedSql[] = [];
  for (const node of fs.readdirSync(path.join(ROOT, 'nodes')).sort()) {
    const dir = path.join(ROOT, 'nodes', node, 'locales', 'en-US');
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.html'))) {
      const html = fs.readFileSync(path.join(dir, file), 'utf8');
      for (const m of html.matchAll(/<(pre|code)\b[^>]*>([\s\S]*?)<\/\1>/gi)) {
        const text = htmlText(m[2]);
        if (startsAsSql(text)) out.push({ source: `nodes/${node}/locales/en-US/${file}`, sql: text });
      }
    }
  }
  return out;
}

function htmlText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The README's fenced blocks that are SQL (```sql, or any block that starts as a query). */
function readmeSql(): EmittedSql[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)]
    .filter((m) => m[1].toLowerCase() === 'sql' || startsAsSql(m[2]))
    .map((m) => ({ source: 'README.md', sql: m[2] }));
}

/** Whole SQL string literals in the runtime's source (built SQL comes from the sources above). */
function runtimeLiteralSql(): EmittedSql[] {
  const out: EmittedSql[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/'((?:SELECT|WITH) [^'\n]*)'/g))
          out.push({
            source: path.relative(ROOT, p),
            sql: m[1],
            database: /\bsystem\.databases\b/.test(m[1]) ? '_internal' : undefined,
          });
      }
    }
  };
  walk(path.join(ROOT, 'nodes'));
  return out;
}
