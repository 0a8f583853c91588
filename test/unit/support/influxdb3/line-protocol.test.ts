// The InfluxDB 3 line-protocol rules of the test server (test/support/influxdb3), checked against
// the upstream parser's own expectations, and our encoder checked against them: every hostile
// reading it writes reads back equal, backslashes included (which InfluxDB 1.x reads differently).
import should from 'should';
import { ReadingError } from '../../../../nodes/lib/schema/reading-error';
import { seededRandom } from '../../../../nodes/lib/simulator/seeded-random';
import { hostileEncoder } from '../../../support/hostile-corpus';
import { parseLine, parseLines, parseSimpleLine } from '../../../support/influxdb3/line-protocol';

const errorOf = (lp: string) => parseLines(lp)[0].error;

describe('InfluxDB 3 line protocol rules (test server)', () => {
  it('gives the upstream parser error texts (better_error_messages)', () => {
    const cases: [string, string][] = [
      ['measurement', 'Expected at least one space character, got end of input'],
      [',', 'Invalid measurement was provided'],
      ['J,#', 'Tag set malformed: could not find equals sign in `#`'],
      [`J,${'a'.repeat(200)}`, 'Tag set malformed: could not find equals sign in `aaaaaaaaaa...`'],
      ['J,', 'Expected tag key, got end of input'],
      ['testmeasure, bar=1i', 'Expected tag key, got ` bar=1i`'],
      [`testmeasure, ${'b'.repeat(200)}=1i`, 'Expected tag key, got ` bbbbbbbbb...`'],
      ['0,,=', 'Expected tag value, got end of input'],
      ['testmeasure,foo\\=\\,baz= bar=1i', 'Expected tag value, got ` bar=1i`'],
      [`testmeasure,foo\\=\\,baz= bar=${'1'.repeat(100)}i`, 'Expected tag value, got ` bar=11111...`'],
      ['testmeasure,foo=,baz= bar=1i', 'Expected tag value, got `,baz= bar=...`'],
      ['metrics,bananas=,platanos=great value=1.000000 1725629157696678000', 'Expected tag value, got `,platanos=...`'],
      ['testmeasure,foo= sed=1i', 'Expected tag value, got ` sed=1i`'],
      ['testmeasure,foo=f bar=1i,baz=', 'Could not parse entire line. Found trailing content: `baz=`'],
      [
        `testmeasure,foo=f bar=1i,ba${'z'.repeat(100)}=`,
        'Could not parse entire line. Found trailing content: `bazzzzzzzz...`',
      ],
      ['\u001b# /', 'No fields were provided'],
      [':\u0014\\', 'Measurements, tag keys and values, and field keys may not end with a backslash'],
      [`testmeasure field=3.0 1${'8'.repeat(71)}`, `Unable to parse timestamp value \`1${'8'.repeat(71)}\``],
      [
        'testmeasure field=66666666666666666666666666666666666666666666668i',
        'Unable to parse integer value `66666666666666666666666666666666666666666666668`',
      ],
      ['cpu,host=a val= 123', 'No fields were provided'],
      ['m v=1\r', 'Could not parse entire line. Found trailing content: `\r`'],
      ['m v=tRUE', 'Could not parse entire line. Found trailing content: `RUE`'],
      ['m v=.5', 'No fields were provided'],
      ['m v=-1u', 'Could not parse entire line. Found trailing content: `u`'],
    ];
    for (const [lp, message] of cases) should(errorOf(lp)).equal(message, JSON.stringify(lp));
  });

  it('numbers lines without blank and comment lines, and keeps good lines beside bad ones', () => {
    const r = parseLines(
      'goodline,tag1=one,tag2=2 value=1 123\n\n# note\n  badline,\nanothergoodline,tag3=3 value=67 1234',
    );
    should(r.map((x) => [x.lineNumber, x.error ?? 'ok'])).eql([
      [1, 'ok'],
      [2, 'Expected tag key, got end of input'],
      [3, 'ok'],
    ]);
  });

  it('reads every value type, escapes, quoted newlines and timestamps', () => {
    const [r] = parseLines(
      'm\\ x\\,y=1,t\\=k=a\\ b\\\\c\\d i=-5i,u=7u,f=1.5e3,g=-2,s="say \\"hi\\"\\\\ \\n new\nline",b=TRUE -42',
    );
    should(r.error).equal(undefined);
    should(r.line).eql({
      measurement: 'm x,y=1',
      tags: [['t=k', 'a b\\c\\d']],
      fields: [
        ['i', { type: 'i64', value: -5n }],
        ['u', { type: 'u64', value: 7n }],
        ['f', { type: 'f64', value: 1500 }],
        ['g', { type: 'f64', value: -2 }],
        ['s', { type: 'string', value: 'say "hi"\\ \\n new\nline' }],
        ['b', { type: 'bool', value: true }],
      ],
      timestamp: -42n,
    });
  });
});

describe('our encoder, read by the InfluxDB 3 rules', () => {
  it('writes random hostile readings that read back equal in value and type, backslashes included', () => {
    const TAGS = ['id', 'loc ation', 'floor=x', 'zone,1', 'quo"te', 'back\\slash'];
    const FIELDS: [string, 'float' | 'integer' | 'boolean' | 'string'][] = [
      ['temp erature', 'float'],
      ['count,i', 'integer'],
      ['ok=1', 'boolean'],
      ['note "x"', 'string'],
      ['a\\,b', 'float'],
    ];
    const encode = hostileEncoder('m e,a\\s=x', TAGS, FIELDS);
    const rng = seededRandom('influxdb3-rules');
    const alphabet = ['a', 'Z', '0', ' ', ',', '=', '"', "'", '#', 'é', '😀'];
    const char = () => {
      const u = rng.next();
      if (u < 0.005) return rng.next() < 0.5 ? '\n' : '\t';
      return u < 0.08 ? '\\' : alphabet[rng.int(0, alphabet.length - 1)];
    };
    const str = () => Array.from({ length: rng.int(1, 10) }, char).join('');
    let compared = 0;
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const r: Record<string, unknown> = {
        device_type: 'h',
        timestamp: String(1_795_342_500_000_000_000n + BigInt(i)),
      };
      for (const t of TAGS) if (rng.next() < 0.8) r[t] = str();
      r['temp erature'] = (rng.next() - 0.5) * 10 ** rng.int(-5, 8);
      if (rng.next() < 0.7) r['count,i'] = rng.int(-1e9, 1e9);
      if (rng.next() < 0.7) r['ok=1'] = rng.next() < 0.5;
      if (rng.next() < 0.7) r['note "x"'] = str();
      if (rng.next() < 0.5) r['a\\,b'] = rng.normal(0, 100);
      const line = encode(r, 0);
      if (line instanceof ReadingError) {
        should(line.code).equal('invalid_characters', line.message);
        refused++;
        continue;
      }
      const [parsed, ...more] = parseLines(line);
      should(more.length).equal(0, 'one reading, one line');
      should(parsed.error).equal(undefined, `${line}\n-> ${parsed.error}`);
      const p = parsed.line!;
      should(p.measurement).equal('m e,a\\s=x');
      should(Object.fromEntries(p.tags)).eql(
        Object.fromEntries([...TAGS, 'device_type'].filter((t) => r[t] !== undefined).map((t) => [t, r[t]])),
      );
      const want: Record<string, unknown> = {};
      for (const [k, type] of FIELDS) {
        if (r[k] === undefined) continue;
        want[k] =
          type === 'integer'
            ? { type: 'i64', value: BigInt(r[k] as number) }
            : type === 'float'
              ? { type: 'f64', value: r[k] }
              : type === 'boolean'
                ? { type: 'bool', value: r[k] }
                : { type: 'string', value: r[k] };
      }
      should(Object.fromEntries(p.fields)).eql(want);
      should(p.timestamp).equal(BigInt(r.timestamp as string));
      compared++;
    }
    should(compared > 2500 && refused > 200).be.true(`${compared} compared, ${refused} refused`);
    console.log(
      `      ${compared} readings read back equal under InfluxDB 3's rules, ${refused} refused by the encoder`,
    );
  });

  it('parses the common line fast exactly as the full parser does, and leaves every other line to it', () => {
    const random = seededRandom('fast-path');
    const rnd = () => random.next();
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
    const tokens = [
      'm',
      'cpu',
      'a',
      'host',
      'x=y',
      '=',
      ',',
      ' ',
      '  ',
      '"',
      '\\',
      't',
      'T',
      'true',
      'FALSE',
      'f',
      'i',
      'u',
      '-',
      '1',
      '42',
      '9',
      '0',
      '.',
      '.5',
      'e',
      'E+',
      'e-3',
      'ü',
      '\u0000',
      '\r',
      '\t',
      '#',
      '9223372036854775807',
      '9223372036854775808',
      '-9223372036854775808',
      '18446744073709551615',
      '1795342500000000000',
      '99999999999999999999',
    ];
    const piece = () => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(tokens)).join('');
    let fast = 0;
    let slowOnly = 0;
    for (let n = 0; n < 30_000; n++) {
      // Mostly well-formed shapes with random pieces, so both paths are exercised.
      const tags = Array.from({ length: Math.floor(rnd() * 3) }, () => `,${piece()}=${piece()}`).join('');
      const fields = Array.from(
        { length: 1 + Math.floor(rnd() * 3) },
        () => `${piece()}=${pick([piece(), '1.5', '-7i', '3u', 't', '1e3'])}`,
      ).join(',');
      const line = `${piece()}${tags} ${fields}${rnd() < 0.7 ? ` ${pick(['1', '-5', '1795342500000000000', '9223372036854775807', '9223372036854775808', piece()])}` : ''}`;
      const quick = parseSimpleLine(line);
      if (quick === undefined) {
        slowOnly++;
        continue;
      }
      fast++;
      const { series, ...rest } = quick;
      should(series).equal(line.slice(0, line.indexOf(' ')));
      should(rest).eql(parseLine(line), JSON.stringify(line));
    }
    should(fast > 2000 && slowOnly > 2000).be.true(`${fast} fast, ${slowOnly} left to the full parser`);
  });
});
