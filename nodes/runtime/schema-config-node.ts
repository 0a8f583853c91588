// The telemetry-schema config node as other nodes find it: its compiled schema, or its complaint.

import type { Node, NodeAPI } from 'node-red';
import { referenceSchema } from '../lib/schema/reference-schema';
import type { TelemetrySchema } from '../lib/schema/schema';

interface SchemaNode extends Node {
  schema?: TelemetrySchema;
  schemaError?: string;
}

/** The schema of the selected telemetry-schema config node, or the reference fleet's when none is
 *  selected. Throws with the config node's own complaint when it could not build its schema. */
export function schemaFor(RED: NodeAPI, configId: string | undefined): TelemetrySchema {
  if (!configId) return referenceSchema();
  const node = RED.nodes.getNode(configId) as SchemaNode | null;
  if (!node) throw new Error('the selected telemetry-schema node is missing: open this node and select one again');
  if (!node.schema) throw new Error(`the telemetry-schema "${node.name || node.id}" is invalid: ${node.schemaError}`);
  return node.schema;
}
