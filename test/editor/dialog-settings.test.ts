// Each node's dialog against its runtime, through the editor script the build writes from the
// nodes' declared settings: the dialog's defaults are the declaration's, its fields are declared
// settings, it refuses every value the runtime refuses, and configs as this release saves them
// (the examples, a new node) and as older releases saved them (properties missing) load.

import fs from 'fs';
import path from 'path';
import should from 'should';
import { allNodeCredentials, allNodeSettings } from '../../nodes/editor/all-node-settings';
import type { NodeSettings, Setting, SettingsShape } from '../../nodes/lib/node-settings/declared-settings';
import { referenceRules } from '../../nodes/lib/alert/rules';
import { referenceSchemaRows } from '../../nodes/lib/schema/reference-schema';
import { REFERENCE_FIELDS } from '../../nodes/influxdb3-downsample/settings';
import { REPO_ROOT, loadEditorBundle } from '../support/editor-bundle';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  'node-red': { nodes: Record<string, string> };
};
const TYPES = Object.keys(pkg['node-red'].nodes);
const editor = loadEditorBundle();
const declared = new Map<string, NodeSettings<SettingsShape>>(allNodeSettings.map((s) => [s.type, s]));

/** Values a dialog field or a hand-edited flow may hold for a setting of this kind. */
function candidates(s: Setting): unknown[] {
  switch (s.kind) {
    case 'number': {
      const around = [s.min, s.max].filter((v): v is number => v !== undefined);
      return [
        s.value,
        String(s.value),
        '',
        undefined,
        'abc',
        ' 7 ',
        '1e3',
        '0x10',
        2.5,
        '2.5',
        -1,
        0,
        1,
        Infinity,
        'NaN',
        true,
        ...around.flatMap((v) => [v, v - 1, v + 1, v - 0.5, v + 0.5, String(v)]),
      ];
    }
    case 'choice':
      return [...s.options, '', undefined, 'bogus', 1, s.value.toUpperCase()];
    case 'flag':
      return [true, false, undefined, 'true', 0];
    case 'text':
      return [
        s.value,
        '',
        '   ',
        'x',
        'a\\',
        '7d',
        '3x',
        '90 days',
        '{',
        '{"a":1}',
        '#',
        'a/+/b',
        'a/#/b',
        'iot/{{device_id}}',
        '2026-01-01T00:00:00Z',
        'not a date',
        '60',
        '900',
        42,
      ];
    case 'config-node':
      return [];
    case 'data':
      return [s.value, [], {}, 'x', undefined, '[]'];
  }
}

/** A config the runtime takes: the defaults, with required text filled in. */
function validBase(d: NodeSettings<SettingsShape>): Record<string, unknown> {
  const base: Record<string, unknown> = { ...d.defaults() };
  for (const [k, s] of Object.entries(d.settings)) if (s.kind === 'text' && s.required) base[k] = 'x';
  return base;
}

function runtimeTakes(d: NodeSettings<SettingsShape>, name: string, value: unknown): boolean {
  try {
    d.read({ ...validBase(d), [name]: value });
    return true;
  } catch {
    return false;
  }
}

describe("each node's dialog and runtime share one declaration of its settings", () => {
  it('declares every node type of the package', () => {
    should([...declared.keys()].sort()).eql([...TYPES].sort());
  });

  for (const type of TYPES) {
    describe(type, () => {
      const d = () => declared.get(type)!;
      const html = () =>
        fs.readFileSync(
          path.join(REPO_ROOT, path.dirname(pkg['node-red'].nodes[type]).replace(/^dist\//, ''), `${type}.html`),
          'utf8',
        );

      it('loads the editor script and takes its defaults from it', () => {
        should(html()).startWith(
          `<script type="text/javascript" src="resources/${pkg.name}/pipeline-editor.js"></script>`,
        );
        should(html()).containEql(`defaults: InfluxDB3Pipeline.defaults('${type}')`);
      });

      it('takes its name row and a picker per config node from the one form-rows helper', () => {
        const pickers = Object.entries(d().settings).filter(([, s]) => s.kind === 'config-node');
        for (const name of ['name', ...pickers.map(([k]) => k)]) should(html()).containEql(`<!-- row: ${name} -->`);
        const built = fs.readFileSync(
          path.join(REPO_ROOT, pkg['node-red'].nodes[type].replace(/\.js$/, '.html')),
          'utf8',
        );
        should(built).not.containEql('<!-- row:');
        for (const name of ['name', ...pickers.map(([k]) => k)])
          should(built).match(new RegExp(`id="node-(config-)?input-${name}"`));
      });

      it("has the dialog's defaults equal the runtime's", () => {
        const fromEditor = editor.defaults(type);
        const values = Object.fromEntries(Object.entries(fromEditor).map(([k, v]) => [k, v.value]));
        should(plain(values)).eql(plain(d().defaults()));
        for (const [k, s] of Object.entries(d().settings)) {
          if (s.kind !== 'config-node') continue;
          should(plain(fromEditor[k])).eql({ value: '', type: s.nodeType, required: s.required });
        }
      });

      it('takes its credentials, if it has any, from the declaration its runtime registers', () => {
        const declaredSecrets = allNodeCredentials[type];
        if (!declaredSecrets) {
          should(html()).not.containEql('credentials:');
          return;
        }
        should(html()).containEql(`credentials: InfluxDB3Pipeline.credentials('${type}')`);
        should(plain(editor.credentials(type))).eql(declaredSecrets);
      });

      it('has a declared setting behind every field of its dialog', () => {
        const fields = [...html().matchAll(/id="node-(?:config-)?input-([A-Za-z0-9_]+)"/g)].map((m) => m[1]);
        const secrets = Object.keys(allNodeCredentials[type] ?? {});
        const known = new Set(['name', ...Object.keys(d().settings), ...secrets]);
        const undeclared = fields.filter((f) => !known.has(f));
        should(undeclared).eql([], `fields of the ${type} dialog that are not declared settings`);
      });

      it('refuses in the dialog every value the runtime refuses, and takes the others', () => {
        const fromEditor = editor.defaults(type);
        const mismatches: string[] = [];
        for (const [name, s] of Object.entries(d().settings)) {
          for (const v of candidates(s)) {
            const validate = fromEditor[name].validate!;
            const answer = validate(v, { label: name });
            const runtime = runtimeTakes(d(), name, v);
            if ((answer === true) !== runtime)
              mismatches.push(
                `${name} = ${JSON.stringify(v)}: dialog ${answer === true ? 'takes' : 'refuses'}, runtime ${runtime ? 'takes' : 'refuses'}`,
              );
            if (answer !== true) should(answer).be.a.String().and.not.be.empty();
            if (answer !== true) should(validate(v)).equal(false); // Node-RED before 3.1 passes no opt
          }
        }
        should(mismatches).eql([]);
      });

      it('loads configs as this release saves them: a new node, and each one in the examples', () => {
        const saved: Record<string, unknown>[] = [d().defaults()];
        for (const file of fs.readdirSync(path.join(REPO_ROOT, 'examples')))
          for (const n of JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8')) as {
            type: string;
          }[])
            if (n.type === type) saved.push(n);
        for (const config of saved) {
          const migrated = d().migrate(config);
          should(migrated.version).equal(d().version);
          for (const k of Object.keys(d().settings)) if (config[k] !== undefined) should(migrated[k]).eql(config[k]);
          if (!Object.values(config).some((v) => typeof v === 'string' && /^\$\{\w+\}$/.test(v)))
            for (const k of Object.keys(d().settings))
              should(d().problem(k, migrated[k]) ?? d().problem(k, config[k])).be.oneOf(
                [undefined, `${k} is required`].concat(requiredLabels(d())),
              );
        }
      });

      it('loads a config saved before its settings existed with the documented defaults', () => {
        const migrated = d().migrate({ id: 'n1', type, z: 'f1' });
        should(migrated.version).equal(d().version);
        for (const [k, s] of Object.entries(d().settings)) should(migrated[k]).eql(s.value);
      });
    });
  }

  it("shows the runtime's reference data: schema rows, alert rules, downsample fields", () => {
    should(plain(editor.reference.schemaRows())).eql(plain(referenceSchemaRows()));
    should(plain(editor.reference.alertRules())).eql(plain(referenceRules()));
    should(plain(editor.reference.downsampleFields())).eql(REFERENCE_FIELDS);
  });
});

function requiredLabels(d: NodeSettings<SettingsShape>): string[] {
  return Object.values(d.settings).flatMap((s) =>
    s.kind === 'text' && s.required ? [`${s.required.label} is required`] : [],
  );
}

/** Objects made in the editor's context have that context's prototypes: compared as data. */
function plain<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
