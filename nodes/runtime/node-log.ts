// A node's log as lib objects are given it (lib/node-io.ts's Log): each text with the node's type
// before it, as every message of the pack says which node said it.

import type { Node } from 'node-red';
import type { Log } from '../lib/node-io';

export function nodeLog(node: Node, type: string): Log {
  return {
    log: (text) => node.log(`${type}: ${text}`),
    warn: (text) => node.warn(`${type}: ${text}`),
    error: (text) => node.error(`${type}: ${text}`),
  };
}
