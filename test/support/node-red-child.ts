// A real Node-RED in a child process, for tests that stop or kill it: node node-red-child.js
// <userDir> <flows.json>. Copies the flows into the user directory, starts Node-RED with this pack,
// prints "READY <url>", then "GIVEN <n>" each time the node with id "w" receives a message of n
// lines, and "EVENT <json>" with the payload of each message the node with id "alert-events"
// receives (stdout to a pipe is synchronous on Linux, so a line printed is a line the parent sees
// even if the process is then killed). SIGTERM stops Node-RED the way a service manager would.
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
  nr.RED.hooks.add(
    'onReceive.child',
    (ev: { destination: { id: string }; msg: { lineCount?: number; payload?: unknown } }) => {
      if (ev.destination.id === 'alert-events') process.stdout.write(`EVENT ${JSON.stringify(ev.msg.payload)}\n`);
      if (ev.destination.id !== 'w') return;
      given += ev.msg.lineCount ?? 0;
      process.stdout.write(`GIVEN ${given}\n`);
    },
  );
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
