// The SQL a tier runs. Every name from the editor is a quoted identifier and every column of the
// answer has an alias made here (never from user text), so a table, tag or field name holding
// quotes, spaces, semicolons or SQL is only ever a name. The window reaches SQL as the parameters
// $start and $end, computed by the node from its own clock: no now() in the SQL.

import { SAMPLE_COUNT, TierSpec, percentileOf } from './tier-spec';

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Aliases of the answer's columns. */
export const BUCKET = '_bucket';
export const ROWS = '_rows';
export const tagAlias = (i: number) => `_t${i}`;
export const valueAlias = (fieldIndex: number, aggregate: string) => `_f${fieldIndex}_${aggregate.replace('.', '_')}`;

const WINDOW = 'time >= $start AND time < $end';

function binned(bucketMs: number): string {
  return `date_bin(INTERVAL '${bucketMs / 1000} seconds', time)`;
}

function tagColumns(spec: TierSpec): { select: string[]; group: string[] } {
  const group = spec.tags.map(quoteIdentifier);
  return { select: group.map((g, i) => `${g} AS ${tagAlias(i)}`), group };
}

/** Raw readings -> one row per series and bucket with every stored aggregate. */
export function rawAggregateSql(spec: TierSpec): string {
  const { select, group } = tagColumns(spec);
  const values: string[] = [];
  spec.fields.forEach((f, i) => {
    const col = quoteIdentifier(f.field);
    // Every value as a double: one type per tier column whatever the source wrote (an integer
    // field's mean is not an integer), exact for integers up to 2^53. Booleans count as 1 and 0.
    const x = f.boolean
      ? `CAST(CASE WHEN ${col} THEN 1 WHEN NOT ${col} THEN 0 END AS DOUBLE)`
      : `CAST(${col} AS DOUBLE)`;
    const present = `FILTER (WHERE ${col} IS NOT NULL)`;
    for (const a of f.stored) {
      const p = percentileOf(a);
      const expr =
        a === 'count'
          ? `count(${col})`
          : a === 'mean'
            ? `avg(${x})`
            : a === 'stddev'
              ? `stddev(${x})`
              : a === 'first'
                ? `first_value(${x} ORDER BY time) ${present}`
                : a === 'last'
                  ? `last_value(${x} ORDER BY time) ${present}`
                  : p !== undefined
                    ? `approx_percentile_cont(${x}, ${p})`
                    : `${a}(${x})`;
      values.push(`${expr} AS ${valueAlias(i, a)}`);
    }
  });
  return [
    `SELECT ${binned(spec.bucketMs)} AS ${BUCKET}, ${[...select, `count(*) AS ${ROWS}`, ...values].join(', ')}`,
    `FROM ${quoteIdentifier(spec.source.table)}`,
    `WHERE ${WINDOW}`,
    `GROUP BY ${[binned(spec.bucketMs), ...group].join(', ')}`,
  ].join('\n');
}

/** A finer tier's rows, all their columns, re-aggregated in the node (exact pooling needs each
 *  row's count, mean and deviation together). All of them, not the ones this tier needs: a column
 *  the finer tier never wrote (a deviation of single readings is null, and nulls are not written)
 *  must read as null, not fail the query. */
export function tierRowsSql(spec: TierSpec): string {
  return [`SELECT *`, `FROM ${quoteIdentifier(spec.source.table)}`, `WHERE ${WINDOW}`].join('\n');
}

/** Readings per series and bucket in the source, for the late-data recount. */
export function sourceCountSql(spec: TierSpec): string {
  const { select, group } = tagColumns(spec);
  const n = spec.source.kind === 'raw' ? 'count(*)' : `sum(${quoteIdentifier(SAMPLE_COUNT)})`;
  return [
    `SELECT ${binned(spec.bucketMs)} AS ${BUCKET}, ${[...select, `${n} AS ${ROWS}`].join(', ')}`,
    `FROM ${quoteIdentifier(spec.source.table)}`,
    `WHERE ${WINDOW}`,
    `GROUP BY ${[binned(spec.bucketMs), ...group].join(', ')}`,
  ].join('\n');
}

/** The counts this tier stored, for the same recount. */
export function targetCountSql(spec: TierSpec): string {
  const { select } = tagColumns(spec);
  return [
    `SELECT time AS ${BUCKET}, ${[...select, `${quoteIdentifier(SAMPLE_COUNT)} AS ${ROWS}`].join(', ')}`,
    `FROM ${quoteIdentifier(spec.target.table)}`,
    `WHERE ${WINDOW}`,
  ].join('\n');
}
