// What one downsampling tier is: where it reads, where it writes, its bucket, the tags it groups by
// and, per field, the aggregates it keeps and the columns they are stored in. Checked once, when
// the node starts, so a mistake is a clear setup error and never a failing query every five minutes.

import { describeType } from '../describe';
import type { TelemetrySchema, ValueType } from '../schema/schema';

export type BasicAggregate = 'mean' | 'min' | 'max' | 'sum' | 'count' | 'first' | 'last' | 'stddev';
/** A percentile as written in the editor: p50, p95, p99.9 ... (approximate, from raw only). */
export type Aggregate = BasicAggregate | `p${string}`;

export const BASIC_AGGREGATES: readonly BasicAggregate[] = [
  'mean',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
  'stddev',
];

export interface FieldSetting {
  field: string;
  aggregates: string[] | string;
  /** The name its columns start with, instead of the field's. */
  as?: string;
}

export interface FieldSpec {
  /** The source's name: a raw field, or the column prefix of the finer tier. */
  field: string;
  /** The prefix of this tier's columns. */
  as: string;
  /** What the user chose. */
  aggregates: Aggregate[];
  /** What is stored: the chosen aggregates plus what a coarser tier needs to re-aggregate them
   *  exactly (count always; mean with stddev). */
  stored: Aggregate[];
  /** Booleans are aggregated as 1 (true) and 0 (false). */
  boolean: boolean;
}

export interface TierSpec {
  source: { database: string; table: string; kind: 'raw' | 'tier' };
  target: { database: string; table: string };
  bucketMs: number;
  tags: string[];
  fields: FieldSpec[];
}

/** The column a tier keeps the number of source readings of each bucket in (rows of raw, the sum of
 *  the finer tier's). The recount compares it with the source. */
export const SAMPLE_COUNT = 'sample_count';

export function columnName(f: Pick<FieldSpec, 'as'>, aggregate: Aggregate): string {
  return `${f.as}_${aggregate.replace('.', '_')}`;
}

/** The percentile an aggregate asks for (0.95 for p95), or undefined for the others. */
export function percentileOf(aggregate: Aggregate): number | undefined {
  if (!aggregate.startsWith('p')) return undefined;
  return Number((Number(aggregate.slice(1)) / 100).toPrecision(12));
}

/** Parses one field's aggregates: "mean, max p95" or an array. Throws with what is wrong. */
export function parseAggregates(value: string[] | string, field: string): Aggregate[] {
  const words = (Array.isArray(value) ? value : String(value).split(/[\s,]+/))
    .map((w) => String(w).trim().toLowerCase())
    .filter(Boolean);
  if (words.length === 0) throw new Error(`field "${field}" has no aggregates: choose at least one`);
  const out: Aggregate[] = [];
  for (const w of words) {
    const known = (BASIC_AGGREGATES as readonly string[]).includes(w) || /^p(\d{1,2}(\.\d{1,3})?)$/.test(w);
    const p = known && w.startsWith('p') ? Number(w.slice(1)) : 50;
    if (!known || p <= 0 || p >= 100)
      throw new Error(
        `field "${field}": "${w}" is not an aggregate; use ${BASIC_AGGREGATES.join(', ')} or a percentile such as p95`,
      );
    const a = w as Aggregate;
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

export interface TierSettings {
  sourceDatabase: string;
  sourceTable: string;
  sourceKind: string;
  targetDatabase: string;
  targetTable: string;
  bucketSeconds: number;
  /** Comma-separated; empty for the schema's tags. */
  tags: string;
  fields: FieldSetting[];
}

const SQL_NAME_LIMIT = 256;

export function tierSpec(s: TierSettings, schema: TelemetrySchema): TierSpec {
  const name = (v: unknown, what: string) => {
    const t = typeof v === 'string' ? v.trim() : '';
    if (!t) throw new Error(`${what} is empty`);
    // eslint-disable-next-line no-control-regex
    if (t.length > SQL_NAME_LIMIT || /[\u0000-\u001f]/.test(t))
      throw new Error(`${what} must be at most ${SQL_NAME_LIMIT} characters without control characters`);
    return t;
  };
  const kind: 'raw' | 'tier' | undefined =
    s.sourceKind === 'tier' ? 'tier' : s.sourceKind === 'raw' ? 'raw' : undefined;
  if (!kind) throw new Error(`Source must be "raw" or "tier", got "${String(s.sourceKind)}"`);
  const bucketSeconds = Number(s.bucketSeconds);
  if (!Number.isInteger(bucketSeconds) || bucketSeconds < 1 || bucketSeconds > 366 * 86400)
    throw new Error(`Bucket must be a whole number of seconds from 1 to 366 days, got "${String(s.bucketSeconds)}"`);
  const source = {
    database: name(s.sourceDatabase, 'Source database'),
    table: name(s.sourceTable, 'Source table'),
    kind,
  };
  const target = { database: name(s.targetDatabase, 'Target database'), table: name(s.targetTable, 'Target table') };
  if (source.database === target.database && source.table === target.table)
    throw new Error('the target table is the source table: a tier must be written somewhere else');

  const tags = String(s.tags ?? '').trim()
    ? [
        ...new Set(
          String(s.tags)
            .split(',')
            .map((t) => name(t, 'A group-by tag')),
        ),
      ]
    : schemaTags(schema);
  if (!Array.isArray(s.fields) || s.fields.length === 0)
    throw new Error('no fields: add at least one field and its aggregates');
  const types = schemaFieldTypes(schema);
  const fields: FieldSpec[] = [];
  const columns = new Set<string>([SAMPLE_COUNT, 'time', ...tags]);
  for (const raw of s.fields) {
    if (raw === null || typeof raw !== 'object')
      throw new Error(`a field entry must be an object, not ${describeType(raw)}`);
    const field = name(raw.field, 'A field name');
    const as = raw.as && String(raw.as).trim() ? name(raw.as, `The new name of "${field}"`) : field;
    if (tags.includes(field)) throw new Error(`"${field}" is a group-by tag, not a field`);
    const aggregates = parseAggregates(raw.aggregates, field);
    const type: ValueType | undefined = types.get(field);
    if (type === 'string')
      throw new Error(`field "${field}" is a string in the schema: only numbers and booleans aggregate`);
    if (kind === 'tier') {
      const p = aggregates.find((a) => percentileOf(a) !== undefined);
      if (p)
        throw new Error(
          `field "${field}": ${p} cannot be computed exactly from a finer tier (percentiles do not combine); compute it from the raw table`,
        );
    }
    const stored: Aggregate[] = [...aggregates];
    if (!stored.includes('count')) stored.push('count');
    if (stored.includes('stddev') && !stored.includes('mean')) stored.push('mean');
    for (const a of stored) {
      const col = columnName({ as }, a);
      if (columns.has(col)) throw new Error(`two aggregates would be stored in the column "${col}": rename a field`);
      columns.add(col);
    }
    fields.push({ field, as, aggregates, stored, boolean: type === 'boolean' });
  }
  return { source, target, bucketMs: bucketSeconds * 1000, tags, fields };
}

/** The tags of every device type in the schema, the device type key first. */
export function schemaTags(schema: TelemetrySchema): string[] {
  const tags = new Set<string>();
  for (const dt of Object.values(schema.deviceTypes))
    for (const [k, c] of Object.entries(dt.columns)) if (c.kind === 'tag') tags.add(k);
  tags.add(schema.deviceTypeKey);
  return [...tags];
}

function schemaFieldTypes(schema: TelemetrySchema): Map<string, ValueType> {
  const types = new Map<string, ValueType>();
  for (const dt of Object.values(schema.deviceTypes))
    for (const [k, c] of Object.entries(dt.columns)) if (c.kind === 'field') types.set(k, c.type);
  return types;
}

/** Every column a tier writes besides time and its tags. */
export function storedColumns(spec: TierSpec): string[] {
  return [SAMPLE_COUNT, ...spec.fields.flatMap((f) => f.stored.map((a) => columnName(f, a)))];
}
