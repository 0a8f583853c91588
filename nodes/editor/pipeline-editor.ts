// What the pack's dialogs take from the runtime, bundled by the build into
// resources/pipeline-editor.js (Node-RED serves it to the editor; each node's html loads it before
// registering its type): every node's declared settings, turned into the dialog's `defaults` with
// validators that refuse what the runtime refuses, and the reference data the dialogs show.

import type { NodeSettings, SettingsShape } from '../lib/node-settings/declared-settings';
import { referenceRules } from '../lib/alert/rules';
import { referenceSchemaRows } from '../lib/schema/reference-schema';
import { REFERENCE_FIELDS } from '../influxdb3-downsample/settings';
import { allNodeCredentials, allNodeSettings } from './all-node-settings';

/** One entry of a Node-RED node definition's `defaults`. */
interface EditorDefault {
  value: unknown;
  type?: string;
  required?: boolean;
  validate?: (this: unknown, v: unknown, opt?: unknown) => boolean | string;
}

const byType = new Map<string, NodeSettings<SettingsShape>>(allNodeSettings.map((s) => [s.type, s]));

/** The `defaults` of a node type's definition, made from its declaration. */
export function editorDefaults(type: string): Record<string, EditorDefault> {
  const declared = byType.get(type);
  if (!declared) throw new Error(`${type} has no declared settings`);
  const out: Record<string, EditorDefault> = { name: { value: '' }, version: { value: declared.version } };
  for (const [name, s] of Object.entries(declared.settings)) {
    if (s.kind === 'config-node') {
      out[name] = { value: '', type: s.nodeType, required: s.required };
      continue;
    }
    out[name] = {
      value: s.value,
      // Node-RED 3.1+ passes `opt` and shows a returned string as the reason.
      validate: (v, opt) => {
        const problem = declared.problem(name, v);
        return problem === undefined ? true : opt ? problem : false;
      },
    };
  }
  return out;
}

/** The reference fleet's data the dialogs show, from the modules the runtime takes it from. */
export const reference = {
  schemaRows: referenceSchemaRows,
  alertRules: referenceRules,
  downsampleFields: () => JSON.parse(JSON.stringify(REFERENCE_FIELDS)) as typeof REFERENCE_FIELDS,
};

/** The `credentials` of a config node type's definition, as its runtime registers them. */
export function editorCredentials(type: string): Record<string, { type: string }> {
  const declared = allNodeCredentials[type];
  if (!declared) throw new Error(`${type} has no declared credentials`);
  return JSON.parse(JSON.stringify(declared)) as Record<string, { type: string }>;
}

(globalThis as Record<string, unknown>).InfluxDB3Pipeline = {
  defaults: editorDefaults,
  credentials: editorCredentials,
  reference,
};
