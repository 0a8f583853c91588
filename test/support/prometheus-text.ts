// A reader of Prometheus's text exposition format (version 0.0.4), strict enough that a test fails
// on text a scraper would refuse: every sample is `name{label="value",...} number`, every family
// has its # HELP and # TYPE before its samples, and no series appears twice.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/;

export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const seen = new Set<string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const at = `line ${i + 1}: ${line}`;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, rest] = line.match(/^# (HELP|TYPE) (\S+) ?(.*)$/) ?? [];
      if (!NAME.test(name ?? '')) throw new Error(`bad metric name, ${at}`);
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type, ${at}`);
        types.set(name, rest);
      }
      continue;
    }
    const m = line.match(SAMPLE);
    if (!m) throw new Error(`not a sample, ${at}`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? '';
    while (rest !== '') {
      const l = rest.match(LABEL);
      if (!l) throw new Error(`bad labels, ${at}`);
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value, ${at}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]) && !types.has(family)) throw new Error(`a sample before its # TYPE, ${at}`);
    const key = `${m[1]}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`the same series twice, ${at}`);
    seen.add(key);
    samples.push({ name: m[1], labels, value });
  }
  return { samples, types };
}

/** The sum of a metric's samples whose labels include `where`. */
export function total(e: Exposition, name: string, where: Record<string, string> = {}): number {
  return e.samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}
