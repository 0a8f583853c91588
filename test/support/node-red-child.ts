// A real Node-RED in a child process, for tests that stop or kill it: node node-red-child.js
// <userDir> <flows.json>. Copies the flows into the user directory, starts Node-RED with this pack,
// prints "READY <url>", then "GIVEN <n>" each time the node with id "w" receives a message of n
// lines, and "EVENT <json>" with the payload of each message the node with id "alert-events"
// receives (stdout to a pipe is synchronous on Linux, so a line printed is a line the parent sees
// even if the process is then killed). Messages reaching a node whose id starts with "count-" are
// counted by that id and their msg.error.code; SIGUSR2 prints "STATS <json>" with those counts and
// the heap in use after a full collection (when started with --expose-gc). SIGTERM stops Node-RED
// the way a service manager would.
// The parent side is node-red-child-control.ts.
import fs from 'node:fs';
import path from 'node:path';
import { launchNodeRed } from '../../scripts/launch-node-red';

async function main() {
  const [userDir, flows] = process.argv.slice(2);
  fs.mkdirSync(userDir, { recursive: true });
  fs.copyFileSync(flows, path.join(userDir, 'flows.json'));
  const nr = await launchNodeRed({
    userDir,
    settings: { credentialSecret: 'child-test', logging: { console: { level: 'warn' } } },
  });
  let given = 0;
  const counts: Record<string, Record<string, number>> = {};
  nr.RED.hooks.add(
    'onReceive.child',
    (ev: {
      destination: { id: string };
      msg: { lineCount?: number; payload?: unknown; error?: { code?: unknown } };
    }) => {
      const id = ev.destination.id;
      if (id.startsWith('count-')) {
        const code = typeof ev.msg.error?.code === 'string' ? ev.msg.error.code : 'uncoded';
        const byCode = (counts[id] ??= {});
        byCode[code] = (byCode[code] ?? 0) + 1;
      }
      if (ev.destination.id === 'alert-events') process.stdout.write(`EVENT ${JSON.stringify(ev.msg.payload)}\n`);
      if (ev.destination.id !== 'w') return;
      given += ev.msg.lineCount ?? 0;
      process.stdout.write(`GIVEN ${given}\n`);
    },
  );
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    process.stdout.write(`STATS ${JSON.stringify({ heapUsed: process.memoryUsage().heapUsed, counts })}\n`);
  });
  process.stdout.write(`READY ${nr.url}\n`);
  process.once('SIGTERM', () => {
    nr.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
