// The callbacks Node-RED hands an input listener, typed once for every node of the pack.

import type { NodeMessage } from 'node-red';

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;
