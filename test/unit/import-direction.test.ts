import fs from 'fs';
import os from 'os';
import path from 'path';
import should from 'should';
import { importViolations, nodeTreeViolations } from '../support/import-direction';

const repoRoot = path.resolve(__dirname, '../../..');

describe('nodes/lib imports run from a later stage to an earlier one', () => {
  it('holds for the whole of nodes/lib', () => {
    should(importViolations(path.join(repoRoot, 'nodes/lib'))).eql([]);
  });

  it('reports a wrong-way import, a Node-RED import, an import from the glue and an unplaced folder', () => {
    const lib = fs.mkdtempSync(path.join(os.tmpdir(), 'lib-'));
    try {
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(lib, file)), { recursive: true });
        fs.writeFileSync(path.join(lib, file), text);
      };
      write('settings.ts', 'export const x = 1;\n');
      write('influxdb3/durable-writer.ts', "import { x } from '../settings';\nexport const w = x;\n");
      write('line-protocol/line-encoder.ts', "import { w } from '../influxdb3/durable-writer';\nexport const e = w;\n");
      write('schema/schema.ts', "import type { NodeAPI } from 'node-red';\nexport type N = NodeAPI;\n");
      write('schema/payload.ts', "const s = require('../../runtime/node-support');\nexport const p = s;\n");
      write('dashboards/panel.ts', 'export const d = 1;\n');
      const found = importViolations(lib)
        .map((v) => `${v.file} -> ${v.imports}: ${v.reason}`)
        .sort();
      should(found).eql([
        'dashboards/panel.ts -> : folder "dashboards" is not in the import-direction table',
        'line-protocol/line-encoder.ts -> ../influxdb3/durable-writer: line-protocol may not import from influxdb3',
        'schema/payload.ts -> ../../runtime/node-support: nodes/lib imports nothing outside nodes/lib',
        'schema/schema.ts -> node-red: nodes/lib never imports Node-RED',
      ]);
    } finally {
      fs.rmSync(lib, { recursive: true, force: true });
    }
  });

  it('holds for the node folders, runtime/ and editor/', () => {
    should(nodeTreeViolations(path.join(repoRoot, 'nodes'))).eql([]);
  });

  it('reports a node reaching into another, Node.js in what the editor runs, and runtime/ without Node-RED', () => {
    const nodes = fs.mkdtempSync(path.join(os.tmpdir(), 'nodes-'));
    try {
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(nodes, file)), { recursive: true });
        fs.writeFileSync(path.join(nodes, file), text);
      };
      write('lib/x.ts', 'export const x = 1;\n');
      write('runtime/glue.ts', "import type { Node } from 'node-red';\nexport type G = Node;\n");
      write('runtime/plain.ts', "import { x } from '../lib/x';\nexport const p = x;\n");
      write(
        'telemetry-a/telemetry-a.ts',
        "import { x } from '../lib/x';\nimport { b } from '../telemetry-b/telemetry-b';\nimport type { G } from '../runtime/glue';\nexport const a: G | number = x + b;\n",
      );
      write(
        'telemetry-a/settings.ts',
        "import fs from 'fs';\nimport type { G } from '../runtime/glue';\nexport const s: G | typeof fs | 1 = 1;\n",
      );
      write('telemetry-b/telemetry-b.ts', "import { s } from './settings';\nexport const b = s;\n");
      write('telemetry-b/settings.ts', "import { x } from '../lib/x';\nexport const s = x;\n");
      write(
        'editor/entry.ts',
        "import { s } from '../telemetry-b/settings';\nimport { a } from '../telemetry-a/telemetry-a';\nexport const e = [s, a];\n",
      );
      const found = nodeTreeViolations(nodes)
        .map((v) => `${v.file} -> ${v.imports}: ${v.reason}`)
        .sort();
      should(found).eql([
        'editor/entry.ts -> ../telemetry-a/telemetry-a: editor/ may not import from telemetry-a',
        'runtime/plain.ts -> : runtime/ is Node-RED glue: a module without Node-RED belongs in nodes/lib',
        'telemetry-a/settings.ts -> ../runtime/glue: telemetry-a/ may not import from runtime',
        'telemetry-a/settings.ts -> fs: the editor runs this module: it may import only nodes/lib and settings',
        'telemetry-a/telemetry-a.ts -> ../telemetry-b/telemetry-b: telemetry-a/ may not import from telemetry-b',
      ]);
    } finally {
      fs.rmSync(nodes, { recursive: true, force: true });
    }
  });
});
