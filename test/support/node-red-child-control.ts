// The parent side of node-red-child.ts: starts a real Node-RED in a child process with the given
// flows and user directory, and reads what it reports.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CHILD = path.join(__dirname, 'node-red-child.js');

export interface Child {
  proc: ChildProcess;
  url: string;
  /** Lines the node "w" has been given so far. */
  given: () => number;
  /** Payloads the node "alert-events" has received so far. */
  events: unknown[];
  exited: Promise<void>;
  /** The heap in use after a full collection (started with exposeGc), and the counts of messages
   *  that reached each node whose id starts with "count-", by msg.error.code. */
  stats: () => Promise<ChildStats>;
}

export interface ChildStats {
  heapUsed: number;
  counts: Record<string, Record<string, number>>;
}

export async function startChild(userDir: string, flows: object[], o: { exposeGc?: boolean } = {}): Promise<Child> {
  const file = path.join(os.tmpdir(), `flows-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(flows));
  const args = [...(o.exposeGc ? ['--expose-gc'] : []), CHILD, userDir, file];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const statsWaiting: ((s: ChildStats) => void)[] = [];
  let given = 0;
  let url = '';
  const events: unknown[] = [];
  let buffered = '';
  let ready: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  proc.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith('READY ')) {
        url = l.slice(6).trim();
        ready();
      }
      const m = /^GIVEN (\d+)/.exec(l);
      if (m) given = Number(m[1]);
      if (l.startsWith('EVENT ')) events.push(JSON.parse(l.slice(6)));
      if (l.startsWith('STATS ')) statsWaiting.shift()?.(JSON.parse(l.slice(6)) as ChildStats);
    }
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await Promise.race([
    isReady,
    exited.then(() => Promise.reject(new Error('Node-RED child exited before it was ready'))),
  ]);
  const stats = () =>
    new Promise<ChildStats>((resolve) => {
      statsWaiting.push(resolve);
      proc.kill('SIGUSR2');
    });
  return { proc, url, given: () => given, events, exited, stats };
}
