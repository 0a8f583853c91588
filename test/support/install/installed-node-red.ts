// The pack as a user gets it from the palette: its tarball installed by npm into a fresh Node-RED
// user directory with the arguments Node-RED's palette manager uses, and Node-RED started from that
// directory with its own CLI (`node-red -u DIR`) under a given Node.js binary, in a child process.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AdminApi, adminApi } from '../node-red-instance';
import { npmInBackground } from './tool-cache';

/** What Node-RED's palette manager (@node-red/registry installer) passes to `npm install`. */
const PALETTE_INSTALL_ARGS = ['--save', '--save-prefix=~', '--omit=dev', '--engine-strict'];

/** A fresh user directory, with the package.json Node-RED writes into a new one. */
export function freshUserDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-installed-'));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }),
  );
  return dir;
}

/** npm install <tarball> in the user directory, run by the Node.js that will run Node-RED. */
export async function installTarball(node: string, userDir: string, tarball: string): Promise<void> {
  await npmInBackground(node, ['install', ...PALETTE_INSTALL_ARGS, '--', tarball], userDir);
}

export interface InstalledNodeRed {
  url: string;
  /** Everything Node-RED printed so far. */
  log(): string;
  api: AdminApi;
  /** A full deploy through the Admin API; resolves once Node-RED has started the flows, with the
   *  lines it logged meanwhile. */
  deploy(flows: object[]): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const countOf = (text: string, needle: string) => text.split(needle).length - 1;

export async function startInstalledNodeRed(o: {
  node: string;
  cli: string;
  userDir: string;
}): Promise<InstalledNodeRed> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // -D sets what a user would put in settings.js: loopback only, no telemetry prompt.
  const child: ChildProcess = spawn(
    o.node,
    [o.cli, '-u', o.userDir, '-p', String(port), '-D', 'uiHost=127.0.0.1', '-D', 'telemetry.enabled=false'],
    { cwd: o.userDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));

  const waitFor = async (cond: () => boolean, what: string, ms = 60_000) => {
    const until = Date.now() + ms;
    while (!cond()) {
      if (gone) throw new Error(`Node-RED exited before ${what}:\n${output.slice(-4000)}`);
      if (Date.now() > until) throw new Error(`no ${what} within ${ms / 1000} s:\n${output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const api = adminApi(url);

  const stop = async () => {
    if (!gone) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(o.userDir, { recursive: true, force: true });
  };

  try {
    await waitFor(() => output.includes('Started flows'), 'start');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    log: () => output,
    api,
    async deploy(flows) {
      const from = output.length;
      const started = countOf(output, 'Started flows');
      const res = await api('POST', '/flows', flows);
      if (res.status !== 204 && res.status !== 200) throw new Error(`deploy answered ${res.status}: ${res.body}`);
      await waitFor(() => countOf(output, 'Started flows') > started, 'flows started after deploy', 30_000);
      return output.slice(from);
    },
    stop,
  };
}
