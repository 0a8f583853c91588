// Starts Node-RED in this process with this pack installed in its user directory, the way a
// palette install puts it there (a link in <userDir>/node_modules). Used by `npm start` and by the
// end-to-end tests and benchmarks.

import express from 'express';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { FlowNode, allExamples, playgroundExamples } from './playground-flows';

export const PACK_NAME = 'node-red-contrib-influxdb3-pipeline';
export const PACK_ROOT = path.resolve(__dirname, '..', '..');

/** Every example flow as npm start runs them, one tab each, the Full pipeline first; a config node
 *  they share once. */
export function exampleFlows(): FlowNode[] {
  return allExamples(playgroundExamples(path.join(PACK_ROOT, 'examples')));
}

export interface LaunchOptions {
  userDir: string;
  host?: string;
  port?: number;
  settings?: Record<string, unknown>;
  /** Pages served beside the editor (npm start's mail page), before Node-RED's own routes. */
  routes?: express.Router[];
}

/** What this file uses of the node-red module, which ships no types of its own. */
interface NodeRedModule {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: express.RequestHandler;
  httpNode: express.RequestHandler;
  events: { once(event: string, listener: () => void): void };
}

export interface LaunchedNodeRed {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  RED: any;
  url: string;
  stop(): Promise<void>;
}

export async function launchNodeRed(o: LaunchOptions): Promise<LaunchedNodeRed> {
  const modules = path.join(o.userDir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  const link = path.join(modules, PACK_NAME);
  if (!fs.existsSync(link)) fs.symlinkSync(PACK_ROOT, link, 'dir');

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the user directory is ready
  const RED = require('node-red') as NodeRedModule;
  const app = express();
  const server = http.createServer(app);
  RED.init(server, {
    userDir: o.userDir,
    flowFile: 'flows.json',
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    uiHost: o.host ?? '127.0.0.1',
    telemetry: { enabled: false },
    editorTheme: { tours: false },
    ...o.settings,
  });
  for (const r of o.routes ?? []) app.use(r);
  app.use('/', RED.httpAdmin);
  app.use('/', RED.httpNode);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  // The first flows:started comes after RED.start() resolves: wait for it, or a deploy right after
  // would take it for its own.
  const firstStart = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  await firstStart;
  return {
    RED,
    url: `http://${o.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`,
    async stop() {
      await RED.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
