// Node files wire, lib decides: each node's constructor stays short enough to read as wiring, and
// reads its config through the node's declared settings (settings.ts), never on its own.

import fs from 'fs';
import path from 'path';
import should from 'should';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string> };
};
const MAX_CONSTRUCTOR_LINES = 120;

/** The function each file registers as a node type, with its length in lines. */
function constructors(file: string): { type: string; name: string; lines: number }[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const functions = new Map<string, ts.FunctionDeclaration>();
  const registered: { type: string; name: string }[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isFunctionDeclaration(n) && n.name) functions.set(n.name.text, n);
    if (
      ts.isCallExpression(n) &&
      n.expression.getText(source) === 'RED.nodes.registerType' &&
      ts.isStringLiteral(n.arguments[0]) &&
      n.arguments[1]
    )
      registered.push({ type: n.arguments[0].text, name: n.arguments[1].getText(source).replace(/ as never$/, '') });
    ts.forEachChild(n, visit);
  };
  visit(source);
  return registered.map(({ type, name }) => {
    const f = functions.get(name);
    if (!f) throw new Error(`${file}: ${name} is not a function declaration`);
    const first = source.getLineAndCharacterOfPosition(f.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(f.getEnd()).line;
    return { type, name, lines: last - first + 1 };
  });
}

describe('node files wire, lib decides', () => {
  for (const type of Object.keys(pkg['node-red'].nodes)) {
    const file = path.join(ROOT, 'nodes', type, `${type}.ts`);

    it(`${type}: its constructor is at most ${MAX_CONSTRUCTOR_LINES} lines`, () => {
      const found = constructors(file);
      should(found.map((c) => c.type)).eql([type]);
      should(found[0].lines).be.belowOrEqual(MAX_CONSTRUCTOR_LINES, `${found[0].name} has ${found[0].lines} lines`);
    });

    it(`${type}: reads its config through its declared settings`, () => {
      const text = fs.readFileSync(file, 'utf8');
      should(text).match(/import \{[^}]*\bsettings\b[^}]*\} from '\.\/settings';/);
      should(text).match(/\b(settings|declared)\.read\(/);
    });
  }
});
