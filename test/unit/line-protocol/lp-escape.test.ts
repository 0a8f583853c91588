import should from 'should';
import { escapeKeyOrTagValue, escapeMeasurement, quoteStringField } from '../../../nodes/lib/line-protocol/lp-escape';

describe('line protocol escaping', () => {
  it('escapes comma, equals and space in keys and tag values', () => {
    should(escapeKeyOrTagValue('plain_value-1')).equal('plain_value-1');
    should(escapeKeyOrTagValue('a,b=c d')).equal('a\\,b\\=c\\ d');
    should(escapeKeyOrTagValue('say "hi"')).equal('say\\ "hi"');
  });

  it('doubles a backslash only where a parser would read it as an escape', () => {
    should(escapeKeyOrTagValue('C:\\temp')).equal('C:\\temp', 'before an ordinary character it stays single');
    should(escapeKeyOrTagValue('end\\')).equal('end\\\\', 'at the end it is doubled');
    should(escapeKeyOrTagValue('a\\,b')).equal('a\\\\\\,b', 'before an escaped comma both are escaped');
    should(escapeKeyOrTagValue('a\\\\b')).equal('a\\\\\\b');
    should(escapeKeyOrTagValue('a\\ b')).equal('a\\\\\\ b');
  });

  it('escapes comma and space in the measurement but leaves = alone', () => {
    should(escapeMeasurement('iot sensors,x=1')).equal('iot\\ sensors\\,x=1');
    should(escapeMeasurement('m\\=x')).equal('m\\=x');
  });

  it('quotes string fields and escapes quote and backslash', () => {
    should(quoteStringField('ok')).equal('"ok"');
    should(quoteStringField('say "hi" \\o/')).equal('"say \\"hi\\" \\\\o/"');
  });
});
