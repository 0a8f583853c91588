// npm start: Node-RED on http://127.0.0.1:1880 with this pack and the example pipeline, running
// against embedded defaults (no broker or database to set up). Data lives in .node-red-data/.
import fs from 'node:fs';
import path from 'node:path';
import { PACK_ROOT, launchNodeRed } from './launch-node-red';

async function main() {
  const userDir = path.resolve(process.env.NODE_RED_USER_DIR ?? path.join(PACK_ROOT, '.node-red-data'));
  fs.mkdirSync(userDir, { recursive: true });
  const flowFile = path.join(userDir, 'flows.json');
  if (!fs.existsSync(flowFile)) {
    fs.copyFileSync(path.join(PACK_ROOT, 'examples', 'front-half-pipeline.json'), flowFile);
  }
  const nr = await launchNodeRed({
    userDir,
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 1880),
    settings: { credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET ?? 'influxdb3-pipeline-playground' },
  });
  console.log(`Node-RED with node-red-contrib-influxdb3-pipeline: ${nr.url}  (Ctrl-C to stop)`);
  const shutdown = () => {
    nr.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
