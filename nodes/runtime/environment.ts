// ${NAME} in a dialog value, resolved as Node-RED resolves it at deploy, for the editor's test
// buttons (which run before, or without, a deploy).

import type { Node, NodeAPI } from 'node-red';

/** A dialog value that is ${NAME}, replaced as Node-RED does at deploy: from the deployed node's
 *  flow and global environment, else the process's (for the editor's test buttons). */
export function withEnvironment(RED: NodeAPI, deployed: Node | null, v: unknown): unknown {
  const name = typeof v === 'string' ? /^\$\{(\S+)\}$/.exec(v.trim())?.[1] : undefined;
  return (name && RED.util.getSetting(deployed as never, name)) || v;
}
