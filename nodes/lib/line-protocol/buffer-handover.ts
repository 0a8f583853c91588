// Lines a line-protocol node still held when it stopped, kept on disk until the node with the same
// id starts again. Node-RED delivers messages asynchronously and stops every node of a flow in one
// pass, so a batch sent from a close handler arrives at a node that has already stopped; writing
// the buffer down is what keeps it across a redeploy or a restart.

import fs from 'fs';
import path from 'path';
import { PRECISIONS, Precision } from '../timestamps';

export interface HandedOver {
  lines: string[];
  precision: Precision;
}

/** What is kept: a batch's text (lines joined by \n) and its precision. */
export interface ToHandOver {
  payload: string;
  precision: Precision;
}

const HEADER = '# line-protocol handover precision=';

function fileFor(dir: string, nodeId: string): string {
  return path.join(dir, `line-protocol-${nodeId.replace(/[^A-Za-z0-9_.-]/g, '_')}.lp`);
}

/** Writes the lines atomically (a crash mid-write leaves the previous file or none, never half). */
export function saveHandover(dir: string, nodeId: string, h: ToHandOver): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = fileFor(dir, nodeId);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${HEADER}${h.precision}\n${h.payload}\n`);
  fs.renameSync(tmp, file);
  return file;
}

/** Reads and removes what an earlier instance of the node left, if anything. */
export function takeHandover(dir: string, nodeId: string): HandedOver | undefined {
  const file = fileFor(dir, nodeId);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  fs.rmSync(file, { force: true });
  const [header, ...rest] = text.split('\n');
  const precision = header.startsWith(HEADER) ? (header.slice(HEADER.length) as Precision) : 'ns';
  return {
    lines: rest.filter((l) => l !== ''),
    precision: PRECISIONS.includes(precision) ? precision : 'ns',
  };
}

/** Where a node's lines buffered at stop wait for its next start (BatchRunner takes this, a test
 *  gives its own). */
export interface Handover {
  /** Keeps them; returns where, for the log. */
  save(h: ToHandOver): string;
  /** What the last instance kept, if anything, and forgets it. */
  take(): HandedOver | undefined;
}

/** The handover file of node `nodeId` in `dir`. */
export function handoverFile(dir: string, nodeId: string): Handover {
  return { save: (h) => saveHandover(dir, nodeId, h), take: () => takeHandover(dir, nodeId) };
}
