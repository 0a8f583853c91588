// Answer rows -> tier points -> line protocol. From raw, each row of the aggregate query is one
// point. From a finer tier, rows are merged per series and coarse bucket, exactly: counts and sums
// summed, min of mins, max of maxes, first of the earliest bucket, last of the latest, the mean
// weighted by each field's own count and the standard deviation pooled from count, mean and
// deviation (Chan, Golub & LeVeque's parallel update), so chaining tiers equals computing from raw.

import { escapeKeyOrTagValue, escapeMeasurement } from '../line-protocol/lp-escape';
import { BUCKET, ROWS, tagAlias, valueAlias } from './tier-sql';
import { Aggregate, SAMPLE_COUNT, TierSpec, columnName } from './tier-spec';

export interface TierPoint {
  time: number;
  tags: (string | null)[];
  rows: number;
  /** Per field, per stored aggregate (spec order); null where there was nothing to aggregate. */
  values: (number | null)[][];
}

type Row = Record<string, unknown>;

/** A timestamp of InfluxDB 3's JSON answers ("2026-11-22T10:05:00", UTC without a zone) in ms. */
export function rowTime(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') throw new Error(`the server sent a bucket time of type ${typeof v}`);
  const t = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(v) ? v : `${v}Z`);
  if (Number.isNaN(t)) throw new Error(`the server sent an unreadable bucket time "${v}"`);
  return t;
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

export function tagsOf(spec: TierSpec, row: Row): (string | null)[] {
  return spec.tags.map((_, i) => tagValue(row[tagAlias(i)]));
}

function tagValue(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One series in one bucket, as a map key. */
export function seriesKey(time: number, tags: readonly (string | null)[]): string {
  return `${time}\u0000${tags.map((t) => (t === null ? '\u0001' : t)).join('\u0000')}`;
}

export function pointFromAggregateRow(spec: TierSpec, row: Row): TierPoint {
  return {
    time: rowTime(row[BUCKET]),
    tags: tagsOf(spec, row),
    rows: num(row[ROWS]) ?? 0,
    values: spec.fields.map((f, i) => f.stored.map((a) => num(row[valueAlias(i, a)]))),
  };
}

interface FieldMoments {
  n: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  sum: number;
  first: number | null;
  firstTime: number;
  last: number | null;
  lastTime: number;
}

interface Accumulator {
  time: number;
  tags: (string | null)[];
  rows: number;
  fields: FieldMoments[];
}

const emptyMoments = (): FieldMoments => ({
  n: 0,
  mean: 0,
  m2: 0,
  min: Infinity,
  max: -Infinity,
  sum: 0,
  first: null,
  firstTime: Infinity,
  last: null,
  lastTime: -Infinity,
});

/** Merges a finer tier's rows into this tier's buckets. */
export class TierMerger {
  private readonly buckets = new Map<string, Accumulator>();
  rowsRead = 0;

  constructor(private readonly spec: TierSpec) {}

  add(row: Row): void {
    const spec = this.spec;
    // The finer tier's own columns (SELECT *): time, its tags, sample_count, <field>_<aggregate>.
    const fineTime = rowTime(row.time);
    const time = Math.floor(fineTime / spec.bucketMs) * spec.bucketMs;
    const tags = spec.tags.map((t) => tagValue(row[t]));
    const key = seriesKey(time, tags);
    let acc = this.buckets.get(key);
    if (!acc) {
      acc = { time, tags, rows: 0, fields: spec.fields.map(emptyMoments) };
      this.buckets.set(key, acc);
    }
    this.rowsRead++;
    acc.rows += num(row[SAMPLE_COUNT]) ?? 0;
    spec.fields.forEach((f, i) => {
      const get = (a: Aggregate) => num(row[columnName({ as: f.field }, a)]);
      const c = get('count');
      if (!c) return;
      const m = acc.fields[i];
      const mean = get('mean');
      if (mean !== null) {
        const sd = get('stddev');
        const n = m.n + c;
        const delta = mean - m.mean;
        m.mean += (delta * c) / n;
        m.m2 += (sd === null ? 0 : sd * sd * (c - 1)) + (delta * delta * m.n * c) / n;
      }
      m.n += c;
      const min = get('min');
      if (min !== null && min < m.min) m.min = min;
      const max = get('max');
      if (max !== null && max > m.max) m.max = max;
      m.sum += get('sum') ?? 0;
      const first = get('first');
      if (first !== null && fineTime < m.firstTime) {
        m.first = first;
        m.firstTime = fineTime;
      }
      const last = get('last');
      if (last !== null && fineTime > m.lastTime) {
        m.last = last;
        m.lastTime = fineTime;
      }
    });
  }

  points(): TierPoint[] {
    const out: TierPoint[] = [];
    for (const acc of this.buckets.values()) {
      out.push({
        time: acc.time,
        tags: acc.tags,
        rows: acc.rows,
        values: this.spec.fields.map((f, i) => {
          const m = acc.fields[i];
          return f.stored.map((a) => {
            if (m.n === 0) return null;
            switch (a) {
              case 'count':
                return m.n;
              case 'mean':
                return m.mean;
              case 'stddev':
                return m.n > 1 ? Math.sqrt(m.m2 / (m.n - 1)) : null;
              case 'min':
                return m.min;
              case 'max':
                return m.max;
              case 'sum':
                return m.sum;
              case 'first':
                return m.first;
              case 'last':
                return m.last;
              default:
                return null; // percentiles are refused for tier sources in tierSpec
            }
          });
        }),
      });
    }
    return out;
  }
}

/** The points as line protocol at second precision (buckets start on whole seconds): counts as
 *  integers, every other aggregate a float; a field with no readings in a bucket is left out. */
export function pointsToLines(spec: TierSpec, points: readonly TierPoint[]): { text: string; lines: number } {
  const measurement = escapeMeasurement(spec.target.table);
  const tagKeys = spec.tags.map(escapeKeyOrTagValue);
  const columns = spec.fields.map((f) => f.stored.map((a) => escapeKeyOrTagValue(columnName(f, a))));
  const sampleCount = escapeKeyOrTagValue(SAMPLE_COUNT);
  const out: string[] = [];
  for (const p of points) {
    let line = measurement;
    p.tags.forEach((t, i) => {
      if (t !== null) line += `,${tagKeys[i]}=${escapeKeyOrTagValue(t)}`;
    });
    line += ` ${sampleCount}=${p.rows}i`;
    spec.fields.forEach((f, i) => {
      if (!p.values[i][f.stored.indexOf('count')]) return;
      f.stored.forEach((a, k) => {
        const v = p.values[i][k];
        if (v === null) return;
        line += `,${columns[i][k]}=${a === 'count' ? `${v}i` : String(v)}`;
      });
    });
    out.push(`${line} ${Math.floor(p.time / 1000)}`);
  }
  return { text: out.join('\n'), lines: out.length };
}
