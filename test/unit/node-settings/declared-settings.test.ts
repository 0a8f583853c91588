import should from 'should';
import { declareSettings } from '../../../nodes/lib/node-settings/declared-settings';

const example = () =>
  declareSettings('telemetry-example', {
    server: { kind: 'config-node', value: '', nodeType: 'influxdb3-config', required: true },
    limit: { kind: 'number', value: 4, label: 'Limit', min: 1, max: 64, integer: true },
    policy: { kind: 'choice', value: 'reject', label: 'Policy', options: ['reject', 'drop'] as const },
    quiet: { kind: 'flag', value: false },
    to: { kind: 'text', value: '', required: { label: 'To' } },
    table: { kind: 'text', value: 't', check: (v) => (v.endsWith('\\') ? 'no trailing backslash' : undefined) },
    rows: { kind: 'data', value: [1, 2], check: (v) => (Array.isArray(v) ? undefined : 'a list') },
  });

describe('declared settings', () => {
  it('reads a config with numbers as numbers and the defaults where an older flow has nothing', () => {
    const s = example();
    const c = s.read({ limit: '8', to: 'ops@example.com', policy: '', quiet: undefined });
    should(c).eql({
      name: '',
      version: 1,
      server: '',
      limit: 8,
      policy: 'reject',
      quiet: false,
      to: 'ops@example.com',
      table: 't',
      rows: [1, 2],
    });
  });

  it('refuses with the label and the range a person can act on', () => {
    const s = example();
    should(() => s.read({ to: 'x', limit: 65 })).throw(
      'Limit must be a whole number at least 1 and at most 64, got "65"',
    );
    should(() => s.read({ to: 'x', limit: '2.5' })).throw(/Limit must be a whole number/);
    should(() => s.read({ to: 'x', policy: 'keep' })).throw('Policy must be one of reject, drop, got "keep"');
    should(() => s.read({})).throw('To is required');
    should(() => s.read({ to: 'x', table: 'a\\' })).throw('no trailing backslash');
    should(() => s.read({ to: 'x', rows: {} })).throw('a list');
    should(() => s.read({ to: 'x', quiet: 'yes' })).throw(/true or false/);
  });

  it('says the same as read for each value the dialog holds, and leaves ${NAME} to the deploy', () => {
    const s = example();
    should(s.problem('limit', '65')).equal('Limit must be a whole number at least 1 and at most 64, got "65"');
    should(s.problem('limit', '')).be.undefined();
    should(s.problem('limit', '${LIMIT}')).be.undefined();
    should(s.problem('to', '')).equal('To is required');
    should(s.problem('policy', 'drop')).be.undefined();
  });

  it('gives each new node its own copy of structured defaults', () => {
    const s = example();
    const a = s.defaults();
    a.rows.push(3);
    should(s.defaults().rows).eql([1, 2]);
  });

  it('migrates a config step by step from the version it was saved with', () => {
    const s = declareSettings('telemetry-example', { unit: { kind: 'text', value: 's' } }, [
      (c) => ({ ...c, unit: c.seconds === true ? 's' : 'ms', seconds: undefined }),
      (c) => ({ ...c, unit: c.unit === 'ms' ? 'milliseconds' : c.unit }),
    ]);
    should(s.version).equal(3);
    should(s.migrate({ seconds: false })).eql({ unit: 'milliseconds', seconds: undefined, name: '', version: 3 });
    should(s.migrate({ version: 2, unit: 'ms' })).eql({ unit: 'milliseconds', name: '', version: 3 });
    should(s.migrate({ version: 3, unit: 'ms', name: 'n' })).eql({ unit: 'ms', name: 'n', version: 3 });
  });
});
