// Where the pack's nodes keep what must survive a restart (spools, journals, watermarks, open
// alerts, outboxes): one folder under the Node-RED user directory, one name per node.

import type { NodeAPI } from 'node-red';
import os from 'os';
import path from 'path';

/** <userDir>/influxdb3-pipeline (~/.node-red when Node-RED was started without a user directory). */
export function pipelineStateDir(RED: NodeAPI): string {
  return path.join(RED.settings.userDir || path.join(os.homedir(), '.node-red'), 'influxdb3-pipeline');
}

/** <userDir>/influxdb3-pipeline/<kind>-<node id>, the id made safe as a file name. */
export function nodeStatePath(RED: NodeAPI, kind: string, nodeId: string): string {
  return path.join(pipelineStateDir(RED), `${kind}-${nodeId.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
}
