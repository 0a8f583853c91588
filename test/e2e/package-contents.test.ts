// What a palette install gets: the tarball `npm pack` makes, checked for what must and must not be in it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import should from 'should';

const root = path.resolve(__dirname, '../../..');

describe('the published package', function () {
  this.timeout(60_000);

  it('holds every node with its editor, help and messages, and no tests, sources, maps or profiles', () => {
    // The npm that runs the tests (node_modules/.bin holds an older one, which runs prepare, and so a
    // rebuild of dist/ under the tests, even with --ignore-scripts).
    const npm = process.env.npm_execpath;
    const args = ['pack', '--dry-run', '--json', '--ignore-scripts'];
    const out = npm
      ? execFileSync(process.execPath, [npm, ...args], { cwd: root, encoding: 'utf8' })
      : execFileSync('npm', args, { cwd: root, encoding: 'utf8' });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      'node-red': { nodes: Record<string, string> };
    };
    for (const [type, js] of Object.entries(pkg['node-red'].nodes)) {
      const dir = path.posix.dirname(js);
      for (const f of [
        js,
        `${dir}/${type}.html`,
        `${dir}/locales/en-US/${type}.html`,
        `${dir}/locales/en-US/${type}.json`,
      ]) {
        should(files).containEql(f);
      }
    }
    should(files).containEql('docs/reference-pipeline.md');
    should(files.filter((f) => /(^|\/)test\/|\.ts$|\.map$|\.cpuprofile$|\.heapsnapshot$|\.heapprofile$/.test(f))).eql(
      [],
    );
  });
});
