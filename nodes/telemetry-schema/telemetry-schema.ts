// telemetry-schema: the config node that holds device types, tags and field types for every other
// node of the pack. It builds the schema once at deploy; nodes that use it read node.schema.

import type { Node, NodeAPI, NodeDef } from 'node-red';
import { buildSchema } from '../lib/schema/schema-config';
import type { TelemetrySchema } from '../lib/schema/schema';
import { errorMessage } from '../lib/settings';
import { settings } from './settings';

export = function (RED: NodeAPI) {
  function TelemetrySchemaNode(this: Node & { schema?: TelemetrySchema; schemaError?: string }, config: NodeDef) {
    RED.nodes.createNode(this, config);
    try {
      this.schema = buildSchema(settings.read(config));
    } catch (e) {
      this.schemaError = errorMessage(e);
      this.error(`telemetry-schema: ${this.schemaError}`);
    }
  }
  RED.nodes.registerType('telemetry-schema', TelemetrySchemaNode);
};
