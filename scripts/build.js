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
const { expandFormRows } = require(path.join(dist, 'nodes', 'editor', 'form-rows.js'));
for (const type of fs.readdirSync(nodesDir)) {
  const from = path.join(nodesDir, type);
  if (!fs.existsSync(path.join(from, `${type}.ts`))) continue;
  fs.cpSync(from, path.join(dist, 'nodes', type), {
    recursive: true,
    filter: (src) => !src.endsWith('.ts'),
  });
  // The rows every dialog has (name, config node pickers) come from one helper: nodes/editor/form-rows.ts.
  const html = path.join(dist, 'nodes', type, `${type}.html`);
  fs.writeFileSync(html, expandFormRows(fs.readFileSync(html, 'utf8'), type));
}

// The editor's share of the runtime (nodes/editor/pipeline-editor.ts and what it imports) as one
// script Node-RED serves from resources/. A module that needs Node.js cannot run in a browser:
// the build stops and names it.
const resources = path.join(root, 'resources');
fs.rmSync(resources, { recursive: true, force: true });
fs.mkdirSync(resources);
fs.writeFileSync(
  path.join(resources, 'pipeline-editor.js'),
  bundleForBrowser(path.join(dist, 'nodes', 'editor', 'pipeline-editor.js')),
);

function bundleForBrowser(entry) {
  const ids = new Map();
  const sources = [];
  const visit = (file, via = []) => {
    if (ids.has(file)) return ids.get(file);
    const id = ids.size;
    ids.set(file, id);
    sources[id] = fs.readFileSync(file, 'utf8').replace(/\brequire\("([^"]+)"\)/g, (_, spec) => {
      if (!spec.startsWith('.'))
        throw new Error(
          `${[...via, file].map((f) => path.relative(dist, f)).join(' -> ')} requires "${spec}", which the editor cannot load: modules the dialogs use may not need Node.js`,
        );
      return `__require(${visit(require.resolve(path.resolve(path.dirname(file), spec)), [...via, file])})`;
    });
    return id;
  };
  visit(entry);
  const defs = sources.map(
    (s, i) => `// ${path.relative(dist, [...ids.keys()][i])}\nfunction (module, exports, __require) {\n${s}\n}`,
  );
  return [
    '// Built by scripts/build.js from nodes/editor/pipeline-editor.ts: do not edit.',
    '(function () {',
    `  var defs = [\n${defs.join(',\n')}\n];`,
    '  var cache = [];',
    '  function __require(i) {',
    '    if (cache[i]) return cache[i].exports;',
    '    var m = (cache[i] = { exports: {} });',
    '    defs[i](m, m.exports, __require);',
    '    return m.exports;',
    '  }',
    '  __require(0);',
    '})();',
    '',
  ].join('\n');
}
