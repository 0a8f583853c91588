// Grafana's SQL macros for its InfluxDB data source in SQL mode, expanded as Grafana's backend
// expands them before the query goes to InfluxDB 3 over Flight SQL, so a dashboard's SQL can be run
// by a test exactly as Grafana would send it. A port of grafana/grafana
// pkg/tsdb/influxdb/fsql/macro.go (commit fff771d15f08bbf94299f0e2b7189325fa51d75d) and of the
// interpolation and default macros it builds on, grafana/grafana-plugin-sdk-go data/sqlutil/macros.go
// (commit d44c37a1573fe36ea6e4909daa64dac24fa28fd3), quirks included: a macro written without
// parentheses takes the next parenthesised group as its arguments unless a ')' comes first, and
// $__timeFrom/$__timeTo drop the fractional seconds (Go's time.RFC3339).

export interface MacroQuery {
  timeRange: { from: Date; to: Date };
  /** The panel's interval (Grafana's intervalMs). */
  intervalMs: number;
  table?: string;
  column?: string;
}

type MacroFunc = (q: MacroQuery, args: string[]) => string;

export class MacroError extends Error {}

/** Go's time.Format(time.RFC3339) of a UTC time: no fractional seconds. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function argCount(args: string[], n: number): void {
  // The message is Go's, "expected 1 argument" even where 2 are expected.
  if (args.length !== n)
    throw new MacroError(`unexpected number of arguments: expected 1 argument, received ${args.length}`);
}

/** sqlutil's default macros (used where the data source defines none of its own). */
const sdkTimeFilter: MacroFunc = (q, args) => {
  argCount(args, 1);
  return `${args[0]} >= '${rfc3339(q.timeRange.from)}' AND ${args[0]} <= '${rfc3339(q.timeRange.to)}'`;
};
const sdkTimeFrom: MacroFunc = (q, args) => {
  argCount(args, 1);
  return `${args[0]} >= '${rfc3339(q.timeRange.from)}'`;
};
const sdkTimeTo: MacroFunc = (q, args) => {
  argCount(args, 1);
  return `${args[0]} <= '${rfc3339(q.timeRange.to)}'`;
};

const PARTS = ['minute', 'hour', 'day', 'month', 'year'];
/** fsql's timeGroup(Alias): the switch falls through from the named part down to the year. */
function timeGroup(alias: boolean): MacroFunc {
  return (_q, args) => {
    argCount(args, 2);
    const [column, part] = args;
    const from = PARTS.indexOf(part);
    if (from < 0) return '';
    return PARTS.slice(from)
      .map((p) => `datepart('${p}', ${column})${alias ? ` as ${column}_${p}` : ''}`)
      .join(',');
  };
}

function dateBin(suffix: string): MacroFunc {
  return (q, args) => {
    argCount(args, 1);
    const column = args[0];
    const aliasing = suffix === '' ? '' : ` as ${column}${suffix}`;
    return `date_bin(interval '${Math.trunc(q.intervalMs / 1000)} second', ${column}, timestamp '1970-01-01T00:00:00Z')${aliasing}`;
  };
}

/** fsql's macros, then sqlutil's defaults for the names fsql leaves out (timeFilter, table, column). */
export const MACROS: Record<string, MacroFunc> = {
  dateBin: dateBin(''),
  dateBinAlias: dateBin('_binned'),
  interval: (q) => `interval '${Math.trunc(q.intervalMs / 1000)} second'`,
  timeGroup: timeGroup(false),
  timeGroupAlias: timeGroup(true),
  timeRangeFrom: sdkTimeFrom,
  timeRangeTo: sdkTimeTo,
  timeRange: sdkTimeFilter,
  timeTo: (q) => `cast('${rfc3339(q.timeRange.to)}' as timestamp)`,
  timeFrom: (q) => `cast('${rfc3339(q.timeRange.from)}' as timestamp)`,
  timeFilter: sdkTimeFilter,
  table: (q) => q.table ?? '',
  column: (q) => q.column ?? '',
};

/** sqlutil getMacroMatches: each occurrence of $__name with the text of its arguments. */
function macroMatches(input: string, name: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of input.matchAll(new RegExp(`\\$__${name}\\b`, 'g'))) {
    const copy = input.slice(m.index);
    let macroEnd = 0;
    let argStart = 0;
    let depth = 0;
    for (let i = 0; i < copy.length; i++) {
      if (depth === 0 && macroEnd > 0) break;
      if (copy[i] === '(') {
        depth++;
        if (argStart === 0) argStart = i + 1;
      } else if (copy[i] === ')') {
        if (depth === 0) {
          macroEnd = 0;
          break;
        }
        depth--;
        macroEnd = i + 1;
      }
    }
    if (macroEnd === 0) macroEnd = m[0].length;
    out.push([copy.slice(0, macroEnd), argStart > 0 ? copy.slice(argStart, macroEnd - 1) : '']);
  }
  return out;
}

/** sqlutil Interpolate with the fsql macros. Go walks its map in random order; no macro here
 *  expands to another's name, so the order does not change the result. */
export function interpolate(sql: string, q: MacroQuery): string {
  let raw = sql;
  for (const [name, macro] of Object.entries(MACROS)) {
    for (const [text, argText] of macroMatches(raw, name)) {
      // As in Go, strings.Split("", ",") is [""]: a macro without parentheses gets one empty argument.
      const args = argText.split(',').map((a) => a.trim());
      raw = raw.split(text).join(macro(q, args));
    }
  }
  return raw;
}
