import fs from 'fs';
import os from 'os';
import path from 'path';
import should from 'should';
import { importViolations } from '../support/import-direction';

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
});
