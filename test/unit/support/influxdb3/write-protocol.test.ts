// HTTP rules of the test server's write endpoints, against the texts of InfluxDB 3 Core's
// influxdb3_server/src/http.rs (see write-protocol.ts for the functions each rule follows).
import should from 'should';
import zlib from 'node:zlib';
import {
  MALFORMED_AUTH,
  UNAUTHENTICATED,
  WriteParams,
  authenticate,
  dbNameError,
  decodeBody,
  readWriteParams,
  toNanos,
} from '../../../support/influxdb3/write-protocol';

describe('InfluxDB 3 write endpoints: HTTP rules (test server)', () => {
  it("reads each endpoint's parameters with its own defaults", () => {
    should(readWriteParams('v3', 'db=a')).eql({ db: 'a', precision: 'auto', acceptPartial: true, noSync: false });
    should(readWriteParams('v3', 'db=a&precision=ms&accept_partial=false&no_sync=true')).eql({
      db: 'a',
      precision: 'millisecond',
      acceptPartial: false,
      noSync: true,
    });
    should(readWriteParams('v2', 'bucket=b&org=x&precision=s')).eql({
      db: 'b',
      precision: 'second',
      acceptPartial: false,
      noSync: false,
    });
    should(readWriteParams('v2', 'bucket=b')).eql({
      db: 'b',
      precision: 'nanosecond',
      acceptPartial: false,
      noSync: false,
    });
    should((readWriteParams('v1', 'db=a&rp=autogen') as WriteParams).db).equal('a');
    should((readWriteParams('v1', 'db=a&rp=week') as WriteParams).db).equal('a/week');
    should((readWriteParams('v1', 'db=a&precision=u') as WriteParams).precision).equal('microsecond');
  });

  it("refuses missing and bad parameters with InfluxDB 3's replies", () => {
    should(readWriteParams('v3', null)).eql({ status: 400, body: "missing query parameter 'db'" });
    should(readWriteParams('v3', 'x=1')).eql({ status: 400, body: 'serde error: missing field `db`' });
    should((readWriteParams('v3', 'db=a&precision=h') as { body: string }).body).match(
      /^serde error: unknown variant `h`, expected one of `auto`/,
    );
    should(readWriteParams('v2', null)).eql({
      status: 400,
      body: '{"code":"invalid","message":"no org/bucket destination provided"}',
    });
    should(readWriteParams('v2', 'org=x')).eql({
      status: 400,
      body: '{"code":"invalid","message":"missing bucket value"}',
    });
    should(readWriteParams('v1', null)).eql({ status: 400, body: '{"error":"no db destination provided"}' });
    should((readWriteParams('v1', 'db=a&precision=h') as { status: number }).status).equal(400);
  });

  it('authenticates Bearer, Token, Basic and ?p= on /write, with the exact 401 and 400 bodies', () => {
    const tokens = new Set(['s3cret']);
    should(authenticate('v3', undefined, 'db=a', undefined)).equal(undefined, 'no tokens: open');
    should(authenticate('v3', 'Bearer s3cret', 'db=a', tokens)).equal(undefined);
    should(authenticate('v2', 'Token s3cret', 'bucket=a', tokens)).equal(undefined);
    should(authenticate('v3', `Basic ${Buffer.from('anyone:s3cret').toString('base64')}`, null, tokens)).equal(
      undefined,
    );
    should(authenticate('v1', undefined, 'db=a&p=s3cret', tokens)).equal(undefined);
    should(authenticate('v1', 'Bearer wrong', 'db=a&p=s3cret', tokens)).equal(undefined, '?p= wins over the header');
    should(authenticate('v3', undefined, 'db=a', tokens)).equal(UNAUTHENTICATED);
    should(authenticate('v3', 'Bearer nope', 'db=a', tokens)).equal(UNAUTHENTICATED);
    should(authenticate('v3', 'Bearer', 'db=a', tokens)).equal(MALFORMED_AUTH);
    should(authenticate('v3', 'Digest s3cret', 'db=a', tokens)).equal(MALFORMED_AUTH);
    should(authenticate('v3', 'Bearer a b', 'db=a', tokens)).equal(MALFORMED_AUTH);
    should(UNAUTHENTICATED.body).equal('{"error": "the request was not authenticated"}');
  });

  it('decodes bodies: gzip with several members, size limit before and after, encodings, UTF-8', () => {
    const lp = 'm v=1 1\nm v=2 2';
    const twoMembers = Buffer.concat([zlib.gzipSync('m v=1 1\n'), zlib.gzipSync('m v=2 2')]);
    should(decodeBody('v3', twoMembers, 'gzip')).equal(lp);
    should(decodeBody('v3', Buffer.from(lp), undefined)).equal(lp);
    should(decodeBody('v3', Buffer.from(lp), 'identity')).equal(lp);
    should(decodeBody('v3', Buffer.alloc(101), undefined, 100)).eql({
      status: 413,
      body: 'max request size (100 bytes) exceeded',
    });
    should(decodeBody('v3', zlib.gzipSync(Buffer.alloc(1000)), 'gzip', 100)).eql({
      status: 413,
      body: 'max request size (100 bytes) exceeded',
    });
    should(decodeBody('v2', Buffer.alloc(101), undefined, 100)).eql({
      status: 413,
      body: '{"code":"request too large","message":"max request size (100 bytes) exceeded"}',
    });
    should(decodeBody('v3', Buffer.from(lp), 'br')).eql({ status: 400, body: 'unacceptable content-encoding: br' });
    should((decodeBody('v3', Buffer.from('not gzip'), 'gzip') as { body: string }).body).match(
      /^error decoding gzip stream: /,
    );
    should((decodeBody('v3', Buffer.from([0x6d, 0xff]), undefined) as { body: string }).body).match(
      /^body content is not valid utf8: /,
    );
  });

  it('validates database names with the verbatim messages', () => {
    should(dbNameError('iot-sensors')).equal(undefined);
    should(dbNameError('iot_sensors/week')).equal(undefined);
    should(dbNameError('')).equal('db name cannot be empty');
    should(dbNameError('_x')).equal('db name did not start with a number or letter');
    should(dbNameError('a b')).equal(
      'invalid character in database or rp name: must be ASCII, containing only letters, numbers, underscores, or hyphens',
    );
    should(dbNameError('a/b/c')).equal(
      "db name with invalid retention policy, if providing a retention policy name, must be of form '<db_name>/<rp_name>'",
    );
    should(dbNameError('a/')).equal(
      "db name with invalid retention policy, if providing a retention policy name, must be of form '<db_name>/<rp_name>'",
    );
    should(dbNameError('a'.repeat(512))).equal('db name too long: max 511');
  });

  it('converts timestamps by precision, guessing the unit per line for auto', () => {
    const now = 1_795_342_500_123_456_789n;
    should(toNanos(1_795_342_500n, 'auto', now)).equal(1_795_342_500_000_000_000n);
    should(toNanos(1_795_342_500_123n, 'auto', now)).equal(1_795_342_500_123_000_000n);
    should(toNanos(1_795_342_500_123_456n, 'auto', now)).equal(1_795_342_500_123_456_000n);
    should(toNanos(1_795_342_500_123_456_789n, 'auto', now)).equal(1_795_342_500_123_456_789n);
    should(toNanos(4_999_999_999n, 'auto', now)).equal(
      4_999_999_999_000_000_000n,
      'auto reads 0..4,999,999,999 as seconds',
    );
    should(toNanos(5n, 'millisecond', now)).equal(5_000_000n);
    should(toNanos(undefined, 'second', now)).equal(
      1_795_342_500_000_000_000n,
      'server time truncated to the precision',
    );
    should(toNanos(undefined, 'auto', now)).equal(now);
    should(toNanos(10_000_000_000n, 'second', now)).equal('timestamp, 10000000000, out of range for precision: Second');
  });
});
