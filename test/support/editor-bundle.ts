// The editor's script as Node-RED serves it (resources/pipeline-editor.js, written by the build),
// run in a bare context without Node.js globals, as a browser would run it.

import fs from 'fs';
import path from 'path';
import vm from 'vm';

export interface EditorDefault {
  value: unknown;
  type?: string;
  required?: boolean;
  validate?: (v: unknown, opt?: unknown) => boolean | string;
}

export interface PipelineEditor {
  defaults(type: string): Record<string, EditorDefault>;
  credentials(type: string): Record<string, { type: string }>;
  reference: { schemaRows(): unknown[]; alertRules(): unknown[]; downsampleFields(): unknown[] };
}

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export function loadEditorBundle(): PipelineEditor {
  // What every browser has that a bare context lacks.
  const context: Record<string, unknown> = { TextDecoder, TextEncoder, URL };
  context.globalThis = context;
  vm.createContext(context);
  vm.runInContext(fs.readFileSync(path.join(REPO_ROOT, 'resources', 'pipeline-editor.js'), 'utf8'), context);
  return context.InfluxDB3Pipeline as PipelineEditor;
}
