// Real MQTT brokers for tests: Debian's Mosquitto as a child process (persistence, TLS, mutual TLS,
// restarts), and aedes in-process for tests that only need a broker.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Aedes } from 'aedes';

const MOSQUITTO = '/usr/sbin/mosquitto';

/** Mosquitto's binary: Debian's, else one on PATH (as .ci/run's check accepts). */
function findMosquitto(): string | undefined {
  if (fs.existsSync(MOSQUITTO)) return MOSQUITTO;
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

/** A file of test/support/tls. Compiled code runs from dist/test/support, the PEMs stay in the source tree. */
export function tlsFile(name: string): string {
  const dir = path.resolve(__dirname, '../../../test/support/tls');
  if (!fs.existsSync(dir)) throw new Error(`test TLS directory not found: ${dir}`);
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new Error(`test TLS file not found: ${file} (see make.sh there)`);
  return file;
}

export function mosquittoInstalled(): boolean {
  return findMosquitto() !== undefined;
}

/**
 * For `before(function () { requireMosquitto(this) })`: skips without Mosquitto, except under CI,
 * where .ci/run installs it and its absence is a failure.
 */
export function requireMosquitto(ctx: Mocha.Context): void {
  if (findMosquitto()) return;
  if (process.env.CI === 'true') {
    throw new Error(
      'CI needs Mosquitto (Debian package mosquitto): it is missing, and .ci/run should have installed it',
    );
  }
  const t = ctx.test;
  // In a before() hook the hook is ctx.test, and what is skipped is its suite.
  const hook = t !== undefined && 'type' in t && t.type === 'hook';
  const title = (hook ? t.parent?.fullTitle() : t?.fullTitle()) || 'this suite';
  console.error(`Mosquitto is not installed (apt-get install mosquitto): skipping ${title}`);
  ctx.skip();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

// A bare TCP probe: on a TLS listener Mosquitto logs it as "unexpected eof while reading".
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// A mosquitto left running would hold its port and keep mocha's parent waiting: kill every live
// one, and remove the temporary directories we made, when the test process exits.
const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

export interface MosquittoOptions {
  /** Where the config, log and persistence file go; kept across restarts (and never removed). */
  dataDir?: string;
  /** 'server': TLS with test/support/tls's server certificate; 'mutual': also requires a client certificate signed by client-ca.pem. */
  tls?: 'server' | 'mutual';
  /** Default true: mosquitto.db in dataDir, saved every second and on SIGTERM. */
  persistence?: boolean;
  /** Default: a free port. */
  port?: number;
  /** max_queued_messages, default 1000000. */
  maxQueued?: number;
}

export interface Mosquitto {
  /** mqtt://127.0.0.1:port, or mqtts:// with tls. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The current mosquitto process (a new one after restart()). */
  readonly proc: ChildProcess;
  /** SIGTERM (Mosquitto saves its persistence file then), SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** stop(), then start again on the same port with the same directory. */
  restart(): Promise<void>;
  /** The contents of mosquitto.log. */
  log(): string;
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const bin = findMosquitto();
  if (!bin) throw new Error('Mosquitto is not installed (apt-get install mosquitto)');
  let dir: string;
  if (opts.dataDir) {
    dir = path.resolve(opts.dataDir);
    fs.mkdirSync(dir, { recursive: true });
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosquitto-'));
    tempDirs.add(dir);
  }
  const port = opts.port ?? (await freePort());
  const logFile = path.join(dir, 'mosquitto.log');
  const conf = [
    'per_listener_settings false',
    'allow_anonymous true',
    `listener ${port} 127.0.0.1`,
    `persistence ${opts.persistence === false ? 'false' : 'true'}`,
    `persistence_location ${dir}/`,
    'autosave_interval 1',
    `max_queued_messages ${opts.maxQueued ?? 1_000_000}`,
    'max_inflight_messages 100',
    `log_dest file ${logFile}`,
    // One type per line: mosquitto 2.0.11 silently ignores the rest of a `log_type a b c` line.
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
  ];
  // Started as root, mosquitto 2 switches to the "mosquitto" user, which cannot write a root-owned
  // temporary directory; "root" keeps it as it is (as non-root the option does nothing).
  if (process.getuid?.() === 0) conf.push('user root');
  if (opts.tls) {
    // Under 'mutual', cafile is what client certificates are checked against; clients check the
    // server against ca.pem themselves.
    conf.push(
      `cafile ${tlsFile(opts.tls === 'mutual' ? 'client-ca.pem' : 'ca.pem')}`,
      `certfile ${tlsFile('server.pem')}`,
      `keyfile ${tlsFile('server-key.pem')}`,
    );
    if (opts.tls === 'mutual') conf.push('require_certificate true', 'use_identity_as_username true');
  }
  const confFile = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(confFile, conf.join('\n') + '\n');

  const log = () => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  let proc: ChildProcess;
  const launch = async () => {
    const logFrom = log().length; // the log is appended to across restarts
    const p = spawn(bin, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = p;
    live.add(p);
    // Config errors are printed on stderr, before the log file is opened.
    let stderr = '';
    p.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    p.once('exit', () => live.delete(p));
    let spawnError: Error | undefined;
    p.once('error', (e) => (spawnError = e));
    const why = () => `${stderr.trim()}\n--- mosquitto.log (tail) ---\n${log().slice(-4000)}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (spawnError) throw new Error(`could not start ${bin}: ${spawnError.message}`);
      if (p.exitCode !== null || p.signalCode !== null) {
        throw new Error(`mosquitto exited (${p.exitCode ?? p.signalCode}) on port ${port}: ${why()}`);
      }
      // Something else on the port would answer the probe too: also wait for this run's "running".
      if ((await canConnect(port)) && / running\b/.test(log().slice(logFrom))) return;
      if (Date.now() > deadline) {
        p.kill('SIGKILL');
        throw new Error(`mosquitto did not accept connections on port ${port} within 10 s: ${why()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async () => {
    const p = proc;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    dataDir: dir,
    get proc() {
      return proc;
    },
    stop,
    async restart() {
      await stop();
      await launch();
    },
    log,
  };
}

export interface AedesBroker {
  /** mqtt://127.0.0.1:port */
  url: string;
  port: number;
  broker: Aedes;
  /** Closes the listener, drops open connections and closes the broker. */
  close(): Promise<void>;
}

/** aedes 1.x in this process, on a loopback port (a free one unless given). Sessions live in memory. */
export async function startAedes(opts: { port?: number; host?: string } = {}): Promise<AedesBroker> {
  // aedes 1.x is ESM only: loaded here, through Node 20's require(esm), so that merely importing
  // this module (for Mosquitto) does not depend on it. It has no default export any more, and
  // listen() is async: createBroker() awaits it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Aedes: AedesClass } = require('aedes') as typeof import('aedes');
  const broker = await AedesClass.createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    broker,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}
