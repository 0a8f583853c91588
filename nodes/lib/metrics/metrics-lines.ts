// The pipeline's metrics as line protocol, for users without Prometheus: one line per series of
// labels at the scrape's time, its tags the labels and its fields named after the metrics (as
// Telegraf's Prometheus input writes them, metric_version 2), so a dashboard reads them with SQL.
// A histogram gives <name>_sum and <name>_count, and <name>_bucket lines tagged by `le`.

import type { Registry } from 'prom-client';
import { escapeKeyOrTagValue, escapeMeasurement } from '../line-protocol/lp-escape';
import { shownText } from '../shown-text';
import { tagCoercer } from '../schema/compiled-schema';
import { ReadingError } from '../schema/reading-error';

export const METRICS_TABLE = 'pipeline_metrics';

/** Why InfluxDB 3 would take no line of `table`, if it would not. */
export function metricsTableProblem(table: string): string | undefined {
  const t = table.trim();
  if (t.startsWith('#')) return 'Table must not start with # (line protocol reads such a line as a comment)';
  const checked = tagCoercer('Table', 256)(t);
  return checked instanceof ReadingError ? checked.message : undefined;
}

/** A label value (a node's name) as a tag value InfluxDB 3 takes: control characters shown as
 *  \uXXXX, no trailing backslash. */
function tagValue(v: string): string {
  return shownText(v, 256).replace(/\\+$/, '');
}

/** Every series of the registry at `timeMs`, as lines (precision ms) of `table`. */
export async function metricsLines(registry: Registry, timeMs: number, table = METRICS_TABLE): Promise<string[]> {
  const series = new Map<string, string[]>();
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values) {
      if (!Number.isFinite(v.value)) continue;
      const tags = Object.entries(v.labels)
        .filter(([, value]) => value !== undefined && String(value) !== '')
        .map(([k, value]) => [k, tagValue(String(value))] as const)
        .filter(([, value]) => value !== '')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, value]) => `,${escapeKeyOrTagValue(k)}=${escapeKeyOrTagValue(value)}`)
        .join('');
      const field = `${escapeKeyOrTagValue((v as { metricName?: string }).metricName ?? metric.name)}=${v.value}`;
      const fields = series.get(tags);
      if (fields) fields.push(field);
      else series.set(tags, [field]);
    }
  }
  const measurement = escapeMeasurement(table);
  return [...series].map(([tags, fields]) => `${measurement}${tags} ${fields.join(',')} ${Math.round(timeMs)}`);
}
