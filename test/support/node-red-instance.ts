// A real Node-RED started in-process (RED.init / RED.start) on 127.0.0.1, with this pack installed
// in its user directory the way a palette install puts it there, and its Admin API on a free port.

import express from 'express';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PACK_NAME = 'node-red-contrib-influxdb3-pipeline';
const packRoot = path.resolve(__dirname, '..', '..', '..');

export interface NodeRedInstance {
  url: string;
  userDir: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  RED: any;
  /** Admin API request; JSON in and out unless accept says otherwise. */
  api(method: string, route: string, body?: unknown, accept?: string): Promise<{ status: number; body: string; json(): any }>;
  deploy(flows: object[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startNodeRed(extraSettings: Record<string, unknown> = {}): Promise<NodeRedInstance> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-e2e-'));
  fs.mkdirSync(path.join(userDir, 'node_modules'));
  fs.symlinkSync(packRoot, path.join(userDir, 'node_modules', PACK_NAME), 'dir');

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red');
  const app = express();
  const server = http.createServer(app);
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: '/',
    uiHost: '127.0.0.1',
    logging: { console: { level: process.env.NODE_RED_LOG ?? 'warn' } },
    telemetry: { enabled: false },
    credentialSecret: 'e2e-test-only',
    editorTheme: { tours: false },
    ...extraSettings,
  });
  app.use('/', RED.httpAdmin);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The first flows:started comes after RED.start() resolves: wait for it, or a deploy right after
  // would take it for its own.
  const firstStart = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  await firstStart;
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: NodeRedInstance['api'] = async (method, route, body, accept = 'application/json') => {
    const res = await fetch(url + route, {
      method,
      headers: { accept, 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text, json: () => JSON.parse(text) };
  };

  return {
    url,
    userDir,
    RED,
    api,
    async deploy(flows) {
      const started = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
      const res = await api('POST', '/flows', flows);
      if (res.status !== 204 && res.status !== 200) throw new Error(`deploy failed: ${res.status} ${res.body}`);
      await started;
    },
    async stop() {
      await RED.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}
