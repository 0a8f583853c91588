// Device text as the pack shows it: every character class that could break a line or a header, or
// make text read differently from what it is, made visible; the rest left alone; lengths capped.
import fs from 'node:fs';
import path from 'node:path';
import should from 'should';
import { named, quoted, shownText } from '../../nodes/lib/shown-text';

const cp = (n: number) => String.fromCharCode(n);

describe('shown text', () => {
  const unsafe: [string, number[]][] = [
    ['C0 controls: NUL, TAB, LF, CR, ESC, US', [0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x1f]],
    ['DEL', [0x7f]],
    ['C1 controls: PAD, NEL, CSI, APC', [0x80, 0x85, 0x9b, 0x9f]],
    ['line and paragraph separators', [0x2028, 0x2029]],
    ['bidirectional embeddings and overrides', [0x202a, 0x202b, 0x202c, 0x202d, 0x202e]],
    ['bidirectional isolates', [0x2066, 0x2067, 0x2068, 0x2069]],
    ['bidirectional marks', [0x200e, 0x200f, 0x061c]],
    ['zero-width space, non-joiner, joiner, word joiner, BOM', [0x200b, 0x200c, 0x200d, 0x2060, 0xfeff]],
    ['invisible operators and fillers', [0x2061, 0x2064, 0x00ad, 0x180e, 0x115f, 0x1160, 0x3164, 0xffa0]],
    ['interlinear annotation', [0xfff9, 0xfffb]],
    ['lone surrogates', [0xd800, 0xdbff, 0xdc00, 0xdfff]],
  ];
  for (const [what, points] of unsafe) {
    it(`makes ${what} visible as \\uXXXX`, () => {
      for (const n of points) {
        const hex = n.toString(16).padStart(4, '0');
        should(shownText(`pump${cp(n)}Bcc: x`)).equal(`pump\\u${hex}Bcc: x`, `U+${hex}`);
        should(shownText(`a${cp(n)}`)).equal(`a\\u${hex}`, `U+${hex} alone`);
      }
    });
  }

  it('leaves the text of every script, emoji and punctuation as it is', () => {
    for (const s of [
      'TEMP_001',
      'Kühlhaus-Süd 3/2',
      '温度センサー',
      'مستشعر',
      'sensor 🌡️ 🔧', // (a joined emoji such as 👩‍🔧 holds U+200D, and is shown with it visible)
      'a "quoted" \\ back-slashed <b>&amp;</b>',
      'line\\u2028 written out by hand',
    ]) {
      should(shownText(s)).equal(s);
    }
  });

  it('cuts at whole characters, never inside a surrogate pair or a \\uXXXX it made, and shows the cut', () => {
    should(shownText('x'.repeat(5000))).equal(`${'x'.repeat(199)}…`);
    should(Array.from(shownText('x'.repeat(5000), 40))).have.length(40);
    should(shownText('🌡'.repeat(50), 10)).equal(`${'🌡'.repeat(9)}…`);
    should(shownText(`abcdefg${cp(0x2028)}xyz`, 10)).equal('abcdefg…');
    should(shownText('short', 10)).equal('short');
    should(shownText(42)).equal('42');
  });

  it('quotes device text in messages as JSON does, with what JSON leaves made visible', () => {
    should(quoted('a"b\\c\nd')).equal('"a\\"b\\\\c\\nd"');
    should(quoted(`x${cp(0x2028)}${cp(0x85)}${cp(0x202e)}y`)).equal('"x\\u2028\\u0085\\u202ey"');
    should(quoted('y'.repeat(100))).equal(`"${'y'.repeat(40)}…"`);
    should(named(`key${cp(0x0a)}injected`)).equal("'key\\u000ainjected'");
    should(named('k'.repeat(100))).have.length(66);
  });

  it('is the only place in the pack that rewrites such characters', () => {
    const nodes = path.resolve(__dirname, '..', '..', '..', 'nodes');
    const stripping = /\/\[[^\]\n]*\\u(?:0000|001f|007f|0085|2028)[^\]\n]*\][^/\n]*\/[a-z]*g/;
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (
          /\.(ts|html)$/.test(e.name) &&
          e.name !== 'shown-text.ts' &&
          stripping.test(fs.readFileSync(p, 'utf8'))
        )
          offenders.push(path.relative(nodes, p));
      }
    };
    walk(nodes);
    should(offenders).eql([]);
  });
});
