// The versions the compatibility matrix runs, exact so that its cache is keyed by them, and the
// table it prints. Rows: the newest release of each Node-RED line the pack claims (package.json's
// node-red.version); columns: the newest release of each Node.js line the pack claims (engines.node;
// 20 is past its end of life since April 2026 and still claimed while the matrix proves it).
export const ROWS = ['3.1.9', '4.1.15', '5.0.7'];
export const COLUMNS = ['20.20.2', '22.23.5', '24.22.3'];

/** Pairs a Node-RED declares it supports (its engines range) yet does not run on, whatever is
 *  installed: such a cell still runs, and counts as unsupported only if it fails with exactly this
 *  signature, so the entry goes stale visibly (the cell passes) rather than hiding a new fault. */
export const NODE_RED_LIMITS: { nodeRed: RegExp; node: string; signature: string; reason: string }[] = [
  {
    nodeRed: /^3\./,
    node: '>=23',
    signature: 'util.log is not a function',
    reason:
      'Node-RED 3.x itself exits at start on Node.js 23 and later (its red.js calls util.log, which Node.js 23 removed)',
  },
];

export function knownLimit(nodeRed: string, node: string, failure: string): string | undefined {
  return NODE_RED_LIMITS.find(
    (l) => l.nodeRed.test(nodeRed) && satisfiesRange(node, l.node) && failure.includes(l.signature),
  )?.reason;
}

export interface Cell {
  nodeRed: string;
  node: string;
  outcome: 'pass' | 'fail' | 'unsupported';
  detail: string;
  ms?: number;
}

function parts(v: string): number[] {
  return v
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10) || 0);
}

function atLeast(version: string, min: string): boolean {
  const a = parts(version);
  const b = parts(min);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** Whether a version meets a range of the forms packages use here: ">=X[.Y]",
 *  "^X" and alternatives joined by "||". */
export function satisfiesRange(version: string, range: string): boolean {
  return range.split('||').some((alt) =>
    alt
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .every((c) => {
        if (c === '*') return true;
        if (c.startsWith('>=')) return atLeast(version, c.slice(2));
        if (c.startsWith('<')) return !atLeast(version, c.slice(1));
        if (c.startsWith('^')) return parts(version)[0] === parts(c.slice(1))[0] && atLeast(version, c.slice(1));
        throw new Error(`engines range not understood: ${range}`);
      }),
  );
}

/** Node-RED down, Node.js across; each cell pass / FAIL / unsupported, with its reason below. */
export function renderMatrix(cells: Cell[]): string {
  const mark = (c: Cell | undefined) =>
    !c
      ? 'not run'
      : c.outcome === 'pass'
        ? `pass (${Math.round((c.ms ?? 0) / 1000)} s)`
        : c.outcome === 'fail'
          ? 'FAIL'
          : 'unsupported';
  const header = ['Node-RED \\ Node.js', ...COLUMNS];
  const rows = ROWS.map((r) => [r, ...COLUMNS.map((n) => mark(cells.find((c) => c.nodeRed === r && c.node === n)))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((v, i) => v.padEnd(widths[i])).join(' | ');
  const reasons = cells
    .filter((c) => c.outcome !== 'pass')
    .map(
      (c) =>
        `  Node-RED ${c.nodeRed} on Node.js ${c.node}: ${c.outcome === 'fail' ? 'FAIL' : 'unsupported'}, ${c.detail}`,
    );
  const passed = cells.filter((c) => c.outcome === 'pass');
  return [
    'Compatibility matrix (the tarball installed as the palette does, every example deployed, the Full pipeline storing readings):',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map(line),
    ...(passed.length ? [`  pass: ${passed.map((c) => `${c.nodeRed}/${c.node} ${c.detail}`).join('; ')}`] : []),
    ...reasons,
  ].join('\n');
}
