// node-red-node-test-helper set up for this pack: the real Node-RED runtime, our compiled nodes,
// and the core Catch and Complete nodes to observe done() and done(err).
/* eslint-disable @typescript-eslint/no-explicit-any */
import type { Node } from 'node-red';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: any = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const catchNode = require('@node-red/nodes/core/common/25-catch.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const completeNode = require('@node-red/nodes/core/common/24-complete.js');

export type Msg = Record<string, any>;
export type FlowNode = Node & { receive(msg: Msg): void };

/** Collects the messages a helper node receives. */
export function collect(node: FlowNode): Msg[] {
  const got: Msg[] = [];
  node.on('input', (msg: Msg) => got.push(msg));
  return got;
}

/** Collects the warnings a node logs from now on (they still reach the log). */
export function warningsOf(node: FlowNode): string[] {
  const got: string[] = [];
  const warn = node.warn.bind(node);
  node.warn = (w: unknown) => {
    got.push(String(w));
    return warn(w);
  };
  return got;
}

/** Resolves once the condition holds, checking after every message of the given nodes. */
export function until(nodes: FlowNode[], condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (condition()) return resolve();
    let settled = false;
    // setImmediate: let the collecting listeners registered earlier run first
    const listener = () =>
      setImmediate(() => {
        if (settled || !condition()) return;
        settled = true;
        for (const n of nodes) n.removeListener('input', listener);
        resolve();
      });
    for (const n of nodes) n.on('input', listener);
  });
}

export function getNode(id: string): FlowNode {
  const n = helper.getNode(id) as FlowNode | null;
  if (!n) throw new Error(`node ${id} is not in the test flow`);
  return n;
}

const CONFIG_TYPES = new Set(['telemetry-schema', 'influxdb3-config', 'telemetry-mqtt-broker']);

/** Puts the flow's nodes on one tab with a position, as the editor does: Node-RED 4 takes nodes
 *  without a position for config nodes. */
export function onTab(flow: object[]): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    ...flow.map((n) => (CONFIG_TYPES.has((n as { type: string }).type) ? n : { z: 'tab', x: 100, y: 100, ...n })),
  ];
}
