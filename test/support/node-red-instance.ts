// A real Node-RED started in-process (RED.init / RED.start) on 127.0.0.1, with this pack installed
// in a fresh user directory, and helpers for its Admin API.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACK_NAME, launchNodeRed } from '../../scripts/launch-node-red';

export { PACK_NAME };

export interface ApiAnswer {
  status: number;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Admin API answers of any shape
  json(): any;
}

/** Admin API request; JSON in and out unless accept says otherwise. */
export type AdminApi = (method: string, route: string, body?: unknown, accept?: string) => Promise<ApiAnswer>;

/** The Admin API of the Node-RED at url (no adminAuth). */
export function adminApi(url: string): AdminApi {
  return async (method, route, body, accept = 'application/json') => {
    const res = await fetch(url + route, {
      method,
      headers: { accept, 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text, json: () => JSON.parse(text) };
  };
}

export interface NodeRedInstance {
  url: string;
  userDir: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  RED: any;
  api: AdminApi;
  deploy(flows: object[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startNodeRed(extraSettings: Record<string, unknown> = {}): Promise<NodeRedInstance> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-e2e-'));
  const nr = await launchNodeRed({
    userDir,
    settings: {
      logging: { console: { level: process.env.NODE_RED_LOG ?? 'warn' } },
      credentialSecret: 'e2e-test-only',
      ...extraSettings,
    },
  });
  const { RED, url } = nr;

  const api = adminApi(url);

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
      await nr.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}
