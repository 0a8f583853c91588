// A database created with its retention period before anything writes to it (InfluxDB 3 Core 3.2+
// takes `retention_period` at creation; a first write would create it without one), and an
// existing database left as it is: a different retention is reported, never changed silently.

import type { InfluxDB3Http } from './influxdb3-http';
import { problemOf } from '../settings';

/** humantime's units (what InfluxDB 3 parses retention_period with), in seconds. */
const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  wk: 604800,
  wks: 604800,
  week: 604800,
  weeks: 604800,
  M: 2_630_016,
  month: 2_630_016,
  months: 2_630_016,
  y: 31_557_600,
  yr: 31_557_600,
  yrs: 31_557_600,
  year: 31_557_600,
  years: 31_557_600,
};

/** What is wrong with a retention period as a dialog holds it; undefined when it is fine. */
export function retentionProblem(text: string): string | undefined {
  return problemOf(() => parseRetention(text.trim()));
}

/** A retention period such as "7d", "90d", "1y" or "12h 30m" in nanoseconds; undefined for ''
 *  (no retention set by the pack). Throws with what is wrong. */
export function parseRetention(text: string): bigint | undefined {
  const t = text.trim();
  if (!t) return undefined;
  let seconds = 0n;
  let rest = t;
  for (;;) {
    const m = /^(\d+)\s*([a-zA-Z]+)\s*/.exec(rest);
    if (!m || !(m[2] in UNIT_SECONDS)) break;
    seconds += BigInt(m[1]) * BigInt(UNIT_SECONDS[m[2]]);
    rest = rest.slice(m[0].length);
    if (!rest) break;
  }
  if (rest || seconds === 0n)
    throw new Error(
      `Retention "${t}" is not a duration InfluxDB 3 reads: write a number and a unit, such as 7d, 90d, 1y or 36h (none: leave it empty)`,
    );
  return seconds * 1_000_000_000n;
}

export function formatRetention(ns: bigint | null): string {
  if (ns === null) return 'none (infinite)';
  const s = ns / 1_000_000_000n;
  if (s % 86400n === 0n) return `${s / 86400n}d`;
  if (s % 3600n === 0n) return `${s / 3600n}h`;
  return `${s}s`;
}

export type EnsureOutcome =
  | { kind: 'created' }
  | { kind: 'exists' }
  | { kind: 'different'; message: string }
  | { kind: 'unknown'; message: string };

/** Creates `database` with `retention` when it does not exist. */
export async function ensureDatabase(http: InfluxDB3Http, database: string, retention: string): Promise<EnsureOutcome> {
  const wanted = parseRetention(retention);
  if ((await http.databases()).includes(database)) return compare(http, database, retention, wanted);
  // Another writer may create it between the list and here: 409 then, and the same check.
  if ((await http.createDatabase(database, retention.trim() || undefined)) === 'created') return { kind: 'created' };
  return compare(http, database, retention, wanted);
}

async function compare(
  http: InfluxDB3Http,
  database: string,
  retention: string,
  wanted: bigint | undefined,
): Promise<EnsureOutcome> {
  if (wanted === undefined) return { kind: 'exists' };
  const has = await http.retentionNs(database);
  if (has === undefined)
    return {
      kind: 'unknown',
      message: `the database "${database}" already exists and the server does not say its retention period (InfluxDB 3 before 3.7, or a token that may not read _internal): the setting ${retention.trim()} was not applied`,
    };
  if (has === wanted) return { kind: 'exists' };
  return {
    kind: 'different',
    message: `the database "${database}" already exists with retention ${formatRetention(has)}, not ${retention.trim()}: it is left as it is (change it with "influxdb3 update database --retention-period ${retention.trim()} ${database}", or clear the setting)`,
  };
}
