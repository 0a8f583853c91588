// The flows npm start runs: every example of the pack, one tab each, the Full pipeline first. On a
// later start the saved flows are kept, and each example whose shipped version changed since npm
// start wrote it is offered instead of being silently kept old: replaced when the saved copy is
// still exactly what npm start wrote, otherwise named in the output with the command that replaces
// it. What npm start wrote is remembered by a hash per example tab.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  label?: string;
  disabled?: boolean;
  [key: string]: unknown;
}

export interface Example {
  /** The file name without .json, as Import > Examples shows it. */
  name: string;
  tab: FlowNode;
  /** Every node of the example: its tab, the nodes on it and the config nodes it brings. */
  nodes: FlowNode[];
}

/** The examples of the pack in examples/, in their file names' order. */
export function readExamples(dir: string): Example[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const nodes = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FlowNode[];
      const tab = nodes.find((n) => n.type === 'tab');
      if (!tab) throw new Error(`example ${file} has no tab`);
      return { name: file.replace(/\.json$/, ''), tab, nodes };
    });
}

/** Tabs npm start loads switched off: the Quick start writes the same sensors as the Full pipeline. */
export const OFF_IN_PLAYGROUND = ['quickstarttab001'];

/** The examples as the playground runs them (see OFF_IN_PLAYGROUND). */
export function playgroundExamples(dir: string): Example[] {
  const examples = readExamples(dir);
  for (const e of examples) if (OFF_IN_PLAYGROUND.includes(e.tab.id)) e.tab.disabled = true;
  return examples;
}

/** Every example in one flow, one tab each; a config node several share appears once. */
export function allExamples(examples: Example[]): FlowNode[] {
  const byId = new Map<string, FlowNode>();
  for (const e of examples) for (const n of e.nodes) if (!byId.has(n.id)) byId.set(n.id, n);
  return [...byId.values()];
}

/** A tab and the nodes on it, independent of key order and of where they sit in the file. */
export function tabHash(nodes: FlowNode[], tabId: string): string {
  const mine = nodes
    .filter((n) => n.id === tabId || n.z === tabId)
    .map(canonical)
    .sort();
  return crypto.createHash('sha256').update(mine.join('\n')).digest('hex').slice(0, 16);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export interface Merged {
  flows: FlowNode[];
  /** Hash of each example tab as npm start last wrote it. */
  written: Record<string, string>;
  /** What happened, a line each, for the terminal. */
  notes: string[];
}

/**
 * The flows to start with. `saved` is the user directory's flows (undefined on a first start),
 * `written` what npm start wrote before (per example tab), `update` whether to replace every
 * changed example even where the saved copy was edited.
 */
export function mergeExamples(
  examples: Example[],
  saved: FlowNode[] | undefined,
  written: Record<string, string>,
  update: boolean,
): Merged {
  const now: Record<string, string> = {};
  const shipped = (e: Example) => tabHash(e.nodes, e.tab.id);
  if (!saved) {
    for (const e of examples) now[e.tab.id] = shipped(e);
    return { flows: allExamples(examples), written: now, notes: [] };
  }
  let flows = [...saved];
  const notes: string[] = [];
  for (const e of examples) {
    const id = e.tab.id;
    const hasTab = flows.some((n) => n.id === id);
    const before = written[id];
    if (!hasTab) {
      if (before !== undefined) continue; // deleted by the user: left out
      flows = withExample(flows, e);
      now[id] = shipped(e);
      notes.push(`added the example "${e.name}" (a new tab)`);
      continue;
    }
    const savedHash = tabHash(flows, id);
    if (savedHash === shipped(e)) {
      now[id] = savedHash;
      continue;
    }
    if (before === shipped(e)) {
      now[id] = before; // changed by the user, and nothing new shipped
      continue;
    }
    if (savedHash === before || update) {
      flows = withExample(flows, e);
      now[id] = shipped(e);
      notes.push(
        `replaced the example "${e.name}" with its newer version${savedHash === before ? '' : ' (your edits to that tab are gone, as asked)'}`,
      );
    } else {
      if (before !== undefined) now[id] = before;
      notes.push(
        `the example "${e.name}" has a newer version than your saved copy, which you changed: your copy is kept; \`npm start -- --update-examples\` replaces it`,
      );
    }
  }
  return { flows, written: now, notes };
}

/** The flows with the example's tab in place of the saved one (or added at the end); config nodes
 *  that exist already are kept, as Node-RED's import keeps them. */
function withExample(flows: FlowNode[], e: Example): FlowNode[] {
  const id = e.tab.id;
  const at = flows.findIndex((n) => n.id === id);
  const rest = flows.filter((n) => n.id !== id && n.z !== id);
  const ids = new Set(rest.map((n) => n.id));
  const added = e.nodes.filter((n) => !ids.has(n.id));
  if (at < 0) return [...rest, ...added];
  const tabsBefore = flows.slice(0, at).filter((n) => n.type === 'tab' && n.id !== id).length;
  let insertAt = rest.length;
  let tabs = 0;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i].type !== 'tab') continue;
    if (tabs === tabsBefore) {
      insertAt = i;
      break;
    }
    tabs++;
  }
  return [...rest.slice(0, insertAt), ...added, ...rest.slice(insertAt)];
}
