// The compatibility matrix: the pack's tarball installed as the palette installs it, on each Node-RED
// it claims, run by each Node.js that Node-RED supports. In every cell: every node type registers,
// editors, help and icons are served, every example Import > Examples lists deploys without an error,
// and the Full pipeline's readings reach the InfluxDB 3 test server. The table is printed at the end
// (and written to MATRIX_TABLE_FILE, which .ci/run prints again above its summary).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import should from 'should';
import { ExampleServices, startExampleServices } from '../support/example-services';
import {
  editorProblems,
  exampleFlow,
  examplesListed,
  iconProblems,
  registrationProblems,
} from '../support/install/pack-checks';
import {
  InstalledNodeRed,
  freshUserDir,
  installTarball,
  startInstalledNodeRed,
} from '../support/install/installed-node-red';
import { nodeBinary, nodeRedCli, npm } from '../support/install/tool-cache';
import { COLUMNS, ROWS, knownLimit, satisfiesRange, renderMatrix, type Cell } from '../support/install/matrix';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EXAMPLES = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();
const FULL_PIPELINE = '01 - Full pipeline';

describe('compatibility matrix: the tarball on each Node-RED and Node.js it claims', function () {
  this.timeout(600_000);
  let tarball: string;
  let packDir: string;
  let services: ExampleServices;
  const cells: Cell[] = [];

  before(async () => {
    // The tarball as npm publishes it, from the dist/ npm test has just built (no prepare rerun).
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-'));
    const name = npm(process.execPath, ['pack', '--ignore-scripts', '--pack-destination', packDir], ROOT)
      .trim()
      .split('\n')
      .pop()!;
    tarball = path.join(packDir, name);
    services = await startExampleServices();
  });

  after(async () => {
    await services?.stop();
    for (const install of installs.values())
      await install.then((dir) => fs.rmSync(dir, { recursive: true, force: true })).catch(() => undefined);
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
    const table = renderMatrix(cells);
    console.log(`\n${table}\n`);
    if (process.env.MATRIX_TABLE_FILE) fs.writeFileSync(process.env.MATRIX_TABLE_FILE, `${table}\n`);
  });

  const readings = async () => {
    const q = encodeURIComponent('SELECT count(*) AS n FROM iot_sensors');
    const res = await fetch(`${services.influx.url}/api/v3/query_sql?db=iot-sensors&q=${q}`);
    if (!res.ok) return 0; // the table does not exist before the first write
    return Number(((await res.json()) as { n: number }[])[0]?.n ?? 0);
  };

  /** The cells that run, in order; each one's tarball install is started while the cell before it
   *  runs (npm install takes 9 s of a cell's 22, mostly waiting on disk and the npm cache). */
  const planned = () =>
    ROWS.flatMap((nodeRed) =>
      COLUMNS.filter((node) => satisfiesRange(node, nodeRedEngines(nodeRed))).map((node) => `${nodeRed}/${node}`),
    );
  const installs = new Map<string, Promise<string>>();

  /** A fresh user directory with the tarball installed by that Node.js's npm. */
  function installFor(nodeRed: string, nodeVersion: string): Promise<string> {
    const key = `${nodeRed}/${nodeVersion}`;
    let install = installs.get(key);
    if (!install) {
      const userDir = freshUserDir();
      install = installTarball(nodeBinary(nodeVersion), userDir, tarball).then(
        () => userDir,
        (err: unknown) => {
          fs.rmSync(userDir, { recursive: true, force: true });
          const stderr = String((err as { stderr?: string }).stderr ?? err);
          throw new Error(`npm install refused the tarball: ${stderr.trim().split('\n').slice(0, 3).join(' ')}`);
        },
      );
      install.catch(() => undefined); // taken, and thrown, by its own cell
      installs.set(key, install);
    }
    return install;
  }

  /** One cell's whole check; throws with the first thing that went wrong, in words. */
  async function runCell(nodeRed: string, nodeVersion: string): Promise<string> {
    const node = nodeBinary(nodeVersion);
    const cli = nodeRedCli(nodeRed, nodeBinary(COLUMNS[COLUMNS.length - 1]));
    const userDir = await installFor(nodeRed, nodeVersion);
    const cells = planned();
    const next = cells[cells.indexOf(`${nodeRed}/${nodeVersion}`) + 1];
    if (next) void installFor(...(next.split('/') as [string, string]));
    let nr: InstalledNodeRed | undefined;
    try {
      nr = await startInstalledNodeRed({ node, cli, userDir });
      const problems = [
        ...(await registrationProblems(nr.api)),
        ...(await editorProblems(nr.api)),
        ...(await iconProblems(nr.api)),
      ];
      const listed = await examplesListed(nr.api);
      problems.push(...listed.problems);
      if (JSON.stringify(listed.names) !== JSON.stringify(EXAMPLES))
        problems.push(`examples listed: ${listed.names.join(', ')}`);
      if (problems.length) throw new Error(problems.join('; '));

      let stored = 0;
      for (const name of listed.names) {
        const before = await readings();
        const log = await nr.deploy(await exampleFlow(nr.api, name));
        const bad = log.split('\n').filter((l) => /\[error\]|missing types|Error:/.test(l));
        if (bad.length) throw new Error(`${name}: ${bad.slice(0, 3).join(' | ')}`);
        if (name === FULL_PIPELINE) {
          const until = Date.now() + 60_000;
          while ((stored = (await readings()) - before) <= 0 && Date.now() < until)
            await new Promise((r) => setTimeout(r, 250));
          if (stored <= 0) throw new Error(`${name}: no reading reached InfluxDB 3 within 60 s`);
        }
      }
      const crashed = nr
        .log()
        .split('\n')
        .filter((l) => /Uncaught|unhandled|TypeError|ReferenceError/i.test(l));
      if (crashed.length) throw new Error(crashed.slice(0, 3).join(' | '));
      return `${stored} readings stored`;
    } finally {
      await nr?.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  }

  for (const nodeRed of ROWS) {
    for (const nodeVersion of COLUMNS) {
      it(`Node-RED ${nodeRed} on Node.js ${nodeVersion}`, async function () {
        const engines = nodeRedEngines(nodeRed);
        if (!satisfiesRange(nodeVersion, engines)) {
          cells.push({ nodeRed, node: nodeVersion, outcome: 'unsupported', detail: `Node-RED needs Node ${engines}` });
          this.skip();
        }
        const started = Date.now();
        try {
          const detail = await runCell(nodeRed, nodeVersion);
          cells.push({ nodeRed, node: nodeVersion, outcome: 'pass', detail, ms: Date.now() - started });
        } catch (err) {
          const limit = knownLimit(nodeRed, nodeVersion, (err as Error).message);
          if (limit) {
            cells.push({ nodeRed, node: nodeVersion, outcome: 'unsupported', detail: limit });
            this.skip();
          }
          const detail = (err as Error).message.replace(/\s+/g, ' ').slice(0, 300);
          cells.push({ nodeRed, node: nodeVersion, outcome: 'fail', detail, ms: Date.now() - started });
          should.fail(null, null, detail);
        }
      });
    }
  }
});

/** The Node.js range that Node-RED version itself declares (its package.json engines). */
function nodeRedEngines(nodeRed: string): string {
  const cli = nodeRedCli(nodeRed, nodeBinary(COLUMNS[COLUMNS.length - 1]));
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(cli), 'package.json'), 'utf8')) as {
    engines?: { node?: string };
  };
  return pkg.engines?.node ?? '*';
}
