// The rule that keeps nodes/lib readable as a pipeline: a concern (a folder of nodes/lib) imports
// only from the concerns before it and from the shared root, never from a later stage, from the
// Node-RED glue (nodes/*.ts, nodes/runtime) or from Node-RED itself. A new folder must be placed in
// the table before anything in it builds.

import fs from 'fs';
import path from 'path';
import ts from 'typescript';

/** Each concern and the concerns it may import from; '' is the shared root of nodes/lib. */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  '': [],
  schema: [''],
  simulator: ['', 'schema'],
  'line-protocol': ['', 'schema', 'receipts'],
  influxdb3: ['', 'schema', 'line-protocol'],
  downsample: ['', 'schema', 'line-protocol', 'influxdb3'],
  alert: ['', 'schema', 'line-protocol'],
  email: ['', 'alert'],
  mqtt: ['', 'schema', 'receipts'],
  receipts: ['', 'http'],
  'node-settings': [''],
  http: [''],
  metrics: ['', 'schema', 'line-protocol'],
};

const NODE_RED = /^(node-red|@node-red\/)/;

export interface ImportViolation {
  file: string;
  imports: string;
  reason: string;
}

export function importViolations(libDir: string, mayImport = MAY_IMPORT): ImportViolation[] {
  const violations: ImportViolation[] = [];
  for (const file of tsFiles(libDir)) {
    const from = concernOf(libDir, file);
    const rel = path.relative(libDir, file);
    if (!(from in mayImport)) {
      violations.push({ file: rel, imports: '', reason: `folder "${from}" is not in the import-direction table` });
      continue;
    }
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      if (NODE_RED.test(spec)) {
        violations.push({ file: rel, imports: spec, reason: 'nodes/lib never imports Node-RED' });
        continue;
      }
      if (!spec.startsWith('.')) continue; // node built-ins and packages
      const target = path.resolve(path.dirname(file), spec);
      const inLib = path.relative(libDir, target);
      if (inLib.startsWith('..') || path.isAbsolute(inLib)) {
        violations.push({ file: rel, imports: spec, reason: 'nodes/lib imports nothing outside nodes/lib' });
        continue;
      }
      const to = concernOf(libDir, target);
      if (to !== from && !mayImport[from].includes(to)) {
        violations.push({
          file: rel,
          imports: spec,
          reason: `${from || 'the shared root'} may not import from ${to || 'the shared root'}`,
        });
      }
    }
  }
  return violations;
}

function concernOf(libDir: string, file: string): string {
  const parts = path.relative(libDir, file).split(path.sep);
  return parts.length > 1 ? parts[0] : '';
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The rules of the rest of nodes/: a node's folder wires lib to Node-RED through runtime/ and
 *  never reaches into another node's folder; its settings.ts, which the editor runs too, needs
 *  neither Node-RED nor runtime/; runtime/ is the Node-RED glue (each file imports Node-RED) on
 *  top of lib; editor/ takes only lib and the nodes' settings. */
export function nodeTreeViolations(nodesDir: string): ImportViolation[] {
  const violations: ImportViolation[] = [];
  const say = (file: string, imports: string, reason: string) =>
    violations.push({ file: path.relative(nodesDir, file), imports, reason });
  for (const entry of fs.readdirSync(nodesDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'lib') continue;
    const folder = entry.name;
    for (const file of tsFiles(path.join(nodesDir, folder))) {
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      const specs = importedFiles.map((f) => f.fileName);
      if (folder === 'runtime' && !specs.some((s) => NODE_RED.test(s)))
        say(file, '', 'runtime/ is Node-RED glue: a module without Node-RED belongs in nodes/lib');
      for (const spec of specs) {
        const inBrowser = folder === 'editor' || path.basename(file) === 'settings.ts';
        if (!spec.startsWith('.')) {
          if (inBrowser) say(file, spec, 'the editor runs this module: it may import only nodes/lib and settings');
          continue;
        }
        const target = path.relative(nodesDir, path.resolve(path.dirname(file), spec)).split(path.sep);
        const where = target.length > 1 ? target[0] : '';
        const ok =
          where === 'lib' ||
          (folder === 'editor' && (where === 'editor' || target[1] === 'settings')) ||
          (!inBrowser && folder !== 'runtime' && folder !== 'editor' && (where === 'runtime' || where === folder)) ||
          (folder === 'runtime' && where === 'runtime') ||
          (inBrowser && folder !== 'editor' && where === folder && target[1] === 'settings');
        if (!ok) say(file, spec, `${folder}/ may not import from ${where || 'nodes/'}`);
      }
    }
  }
  return violations;
}
