// Compiles the TypeScript (nodes, tests, scripts) to CommonJS in dist/ and puts each node's
// editor html, locales and icons beside its compiled file, where Node-RED looks for them.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});

// Each node's folder (nodes/<type>/) holds its runtime, editor, help, messages and icon; Node-RED
// finds the html, locales/ and icons/ beside the compiled <type>.js.
const nodesDir = path.join(root, 'nodes');
for (const type of fs.readdirSync(nodesDir)) {
  const from = path.join(nodesDir, type);
  if (!fs.existsSync(path.join(from, `${type}.ts`))) continue;
  fs.cpSync(from, path.join(dist, 'nodes', type), {
    recursive: true,
    filter: (src) => !src.endsWith('.ts'),
  });
}
