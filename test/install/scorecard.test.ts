// The Flow Library's scorecard (flows.nodered.org marks each pack on these), every check that needs
// no network, run against package.json, the lock file and the files npm would publish.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import should from 'should';
import { COLUMNS, ROWS, satisfiesRange } from '../support/install/matrix';
import { CONFIG_ONLY, TYPES } from '../support/install/pack-checks';
import { lockedRuntimeVersions, readRegistryLatest } from '../support/install/registry-latest';
import { npmCli } from '../support/install/tool-cache';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface PackageJson {
  license?: string;
  repository?: { type?: string; url?: string } | string;
  keywords?: string[];
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
}

const major = (v: string) => Number.parseInt(v.replace(/^[^\d]*/, ''), 10);

describe('Flow Library scorecard', function () {
  this.timeout(60_000);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  let published: string[];

  before(() => {
    // What npm would publish, as the Flow Library reads it (no build, no network).
    const out = execFileSync(process.execPath, [npmCli(), 'pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    published = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  });

  it('has a licence, a licence file and a repository', () => {
    should(pkg.license).equal('MIT');
    should(published).containEql('LICENSE');
    const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    should(repo).match(/^(git\+)?https:\/\/github\.com\/[\w.-]+\/[\w.-]+(\.git)?$/);
  });

  it('carries the node-red keyword', () => {
    should(pkg.keywords).containEql('node-red');
  });

  it('claims the Node-RED and Node.js versions the compatibility matrix proves, no wider and no narrower', () => {
    const nodeRed = pkg['node-red']?.version ?? '';
    const node = pkg.engines?.node ?? '';
    should(nodeRed).not.equal('', 'node-red.version');
    should(node).not.equal('', 'engines.node');
    for (const r of ROWS) should(satisfiesRange(r, nodeRed)).be.true(`node-red.version ${nodeRed} admits ${r}`);
    for (const n of COLUMNS) should(satisfiesRange(n, node)).be.true(`engines.node ${node} admits ${n}`);
    // The release line before the oldest one the matrix runs is not claimed.
    const [r0, r1] = ROWS[0].split('.').map(Number);
    should(satisfiesRange(`${r0}.${r1 - 1}.99`, nodeRed)).be.false(
      `node-red.version ${nodeRed} claims below ${ROWS[0]}`,
    );
    should(satisfiesRange(`${major(COLUMNS[0]) - 1}.99.0`, node)).be.false(
      `engines.node ${node} claims below ${COLUMNS[0]}`,
    );
  });

  it('declares every node type once, each with the pack prefix, its editor registering that type', () => {
    const nodes = pkg['node-red']?.nodes ?? {};
    should(Object.keys(nodes).sort()).eql([...TYPES].sort());
    const registered: string[] = [];
    for (const [type, file] of Object.entries(nodes)) {
      should(type).match(/^(telemetry|influxdb3)-[a-z0-9-]+$/);
      should(published).containEql(file);
      const html = fs.readFileSync(path.join(ROOT, file.replace(/\.js$/, '.html')), 'utf8');
      const here = [...html.matchAll(/RED\.nodes\.registerType\(\s*'([^']+)'/g)].map((m) => m[1]);
      should(here).eql([type], `${file} registers ${here.join(', ')}`);
      registered.push(...here);
    }
    should(new Set(registered).size).equal(registered.length);
  });

  it('uses every node type in an example, config nodes included', () => {
    const examples = published.filter((p) => p.startsWith('examples/') && p.endsWith('.json'));
    should(examples.length).be.above(0);
    const used = new Set<string>();
    for (const f of examples)
      for (const n of JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8')) as { type: string }[]) used.add(n.type);
    const unused = TYPES.filter((t) => !used.has(t));
    should(unused).eql([], `in no example: ${unused.join(', ')}`);
    should(CONFIG_ONLY.every((t) => used.has(t))).be.true();
  });

  it('has at most 6 runtime dependencies', () => {
    should(Object.keys(pkg.dependencies ?? {}).length).be.belowOrEqual(6);
  });

  it('has no runtime dependency a major version behind the registry when the lock file was made', () => {
    const recorded = readRegistryLatest();
    const locked = lockedRuntimeVersions();
    const stale = Object.entries(locked).filter(([name, v]) => recorded.dependencies[name]?.locked !== v);
    should(stale).eql(
      [],
      'the lock file changed since the registry was recorded: run npm run build && node dist/test/support/install/registry-latest.js',
    );
    for (const [name, { locked: v, latest }] of Object.entries(recorded.dependencies))
      should(major(v)).equal(major(latest), `${name} ${v} is behind ${latest} (registry on ${recorded.recorded})`);
  });

  it('has a README with an install section that names the supported versions', () => {
    should(published).containEql('README.md');
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const install = readme.split(/^## /m).find((s) => s.startsWith('Install'));
    should(install).be.ok();
    should(install).containEql('npm install node-red-contrib-influxdb3-pipeline');
    for (const r of ROWS) should(install).containEql(r.split('.').slice(0, 2).join('.'));
    for (const n of COLUMNS) should(install).containEql(`Node.js ${major(n)}`);
  });

  it('publishes help, messages and an icon for each node', () => {
    for (const type of TYPES) {
      for (const f of [
        `dist/nodes/${type}/locales/en-US/${type}.html`,
        `dist/nodes/${type}/locales/en-US/${type}.json`,
      ])
        should(published).containEql(f);
      const help = fs.readFileSync(path.join(ROOT, 'nodes', type, 'locales', 'en-US', `${type}.html`), 'utf8');
      should(help).match(new RegExp(`data-help-name="${type}">\\s*<p>\\S`));
      if (!CONFIG_ONLY.includes(type)) should(published).containEql(`dist/nodes/${type}/icons/${type}.svg`);
    }
  });
});
