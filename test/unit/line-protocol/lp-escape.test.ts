import assert from 'node:assert/strict';
import { escapeKeyOrTagValue, escapeMeasurement, quoteStringField } from '../../../nodes/lib/line-protocol/lp-escape';

describe('line protocol escaping', () => {
  it('escapes comma, equals and space in keys and tag values', () => {
    assert.equal(escapeKeyOrTagValue('plain_value-1'), 'plain_value-1');
    assert.equal(escapeKeyOrTagValue('a,b=c d'), 'a\\,b\\=c\\ d');
    assert.equal(escapeKeyOrTagValue('say "hi"'), 'say\\ "hi"');
  });

  it('doubles a backslash only where a parser would read it as an escape', () => {
    assert.equal(escapeKeyOrTagValue('C:\\temp'), 'C:\\temp', 'before an ordinary character it stays single');
    assert.equal(escapeKeyOrTagValue('end\\'), 'end\\\\', 'at the end it is doubled');
    assert.equal(escapeKeyOrTagValue('a\\,b'), 'a\\\\\\,b', 'before an escaped comma both are escaped');
    assert.equal(escapeKeyOrTagValue('a\\\\b'), 'a\\\\\\b');
    assert.equal(escapeKeyOrTagValue('a\\ b'), 'a\\\\\\ b');
  });

  it('escapes comma and space in the measurement but leaves = alone', () => {
    assert.equal(escapeMeasurement('iot sensors,x=1'), 'iot\\ sensors\\,x=1');
    assert.equal(escapeMeasurement('m\\=x'), 'm\\=x');
  });

  it('quotes string fields and escapes quote and backslash', () => {
    assert.equal(quoteStringField('ok'), '"ok"');
    assert.equal(quoteStringField('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
  });
});
