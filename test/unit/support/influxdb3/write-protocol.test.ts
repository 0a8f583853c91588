// HTTP rules of the test server's write endpoints, against the texts in shared/reference/influxdb3-wire.md.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import {
  MALFORMED_AUTH, UNAUTHENTICATED, WriteParams, authenticate, dbNameError, decodeBody, readWriteParams, toNanos,
} from '../../../support/influxdb3/write-protocol';

describe('InfluxDB 3 write endpoints: HTTP rules (test server)', () => {
  it('reads each endpoint\'s parameters with its own defaults', () => {
    assert.deepEqual(readWriteParams('v3', 'db=a'), { db: 'a', precision: 'auto', acceptPartial: true, noSync: false });
    assert.deepEqual(readWriteParams('v3', 'db=a&precision=ms&accept_partial=false&no_sync=true'), { db: 'a', precision: 'millisecond', acceptPartial: false, noSync: true });
    assert.deepEqual(readWriteParams('v2', 'bucket=b&org=x&precision=s'), { db: 'b', precision: 'second', acceptPartial: false, noSync: false });
    assert.deepEqual(readWriteParams('v2', 'bucket=b'), { db: 'b', precision: 'nanosecond', acceptPartial: false, noSync: false } as WriteParams);
    assert.equal((readWriteParams('v1', 'db=a&rp=autogen') as WriteParams).db, 'a');
    assert.equal((readWriteParams('v1', 'db=a&rp=week') as WriteParams).db, 'a/week');
    assert.equal((readWriteParams('v1', 'db=a&precision=u') as WriteParams).precision, 'microsecond');
  });

  it('refuses missing and bad parameters with InfluxDB 3\'s replies', () => {
    assert.deepEqual(readWriteParams('v3', null), { status: 400, body: "missing query parameter 'db'" });
    assert.deepEqual(readWriteParams('v3', 'x=1'), { status: 400, body: 'serde error: missing field `db`' });
    assert.match((readWriteParams('v3', 'db=a&precision=h') as { body: string }).body, /^serde error: unknown variant `h`, expected one of `auto`/);
    assert.deepEqual(readWriteParams('v2', null), { status: 400, body: '{"code":"invalid","message":"no org/bucket destination provided"}' });
    assert.deepEqual(readWriteParams('v2', 'org=x'), { status: 400, body: '{"code":"invalid","message":"missing bucket value"}' });
    assert.deepEqual(readWriteParams('v1', null), { status: 400, body: '{"error":"no db destination provided"}' });
    assert.equal((readWriteParams('v1', 'db=a&precision=h') as { status: number }).status, 400);
  });

  it('authenticates Bearer, Token, Basic and ?p= on /write, with the exact 401 and 400 bodies', () => {
    const tokens = new Set(['s3cret']);
    assert.equal(authenticate('v3', undefined, 'db=a', undefined), undefined, 'no tokens: open');
    assert.equal(authenticate('v3', 'Bearer s3cret', 'db=a', tokens), undefined);
    assert.equal(authenticate('v2', 'Token s3cret', 'bucket=a', tokens), undefined);
    assert.equal(authenticate('v3', `Basic ${Buffer.from('anyone:s3cret').toString('base64')}`, null, tokens), undefined);
    assert.equal(authenticate('v1', undefined, 'db=a&p=s3cret', tokens), undefined);
    assert.equal(authenticate('v1', 'Bearer wrong', 'db=a&p=s3cret', tokens), undefined, '?p= wins over the header');
    assert.equal(authenticate('v3', undefined, 'db=a', tokens), UNAUTHENTICATED);
    assert.equal(authenticate('v3', 'Bearer nope', 'db=a', tokens), UNAUTHENTICATED);
    assert.equal(authenticate('v3', 'Bearer', 'db=a', tokens), MALFORMED_AUTH);
    assert.equal(authenticate('v3', 'Digest s3cret', 'db=a', tokens), MALFORMED_AUTH);
    assert.equal(authenticate('v3', 'Bearer a b', 'db=a', tokens), MALFORMED_AUTH);
    assert.equal(UNAUTHENTICATED.body, '{"error": "the request was not authenticated"}');
  });

  it('decodes bodies: gzip with several members, size limit before and after, encodings, UTF-8', () => {
    const lp = 'm v=1 1\nm v=2 2';
    const twoMembers = Buffer.concat([zlib.gzipSync('m v=1 1\n'), zlib.gzipSync('m v=2 2')]);
    assert.equal(decodeBody('v3', twoMembers, 'gzip'), lp);
    assert.equal(decodeBody('v3', Buffer.from(lp), undefined), lp);
    assert.equal(decodeBody('v3', Buffer.from(lp), 'identity'), lp);
    assert.deepEqual(decodeBody('v3', Buffer.alloc(101), undefined, 100), { status: 413, body: 'max request size (100 bytes) exceeded' });
    assert.deepEqual(decodeBody('v3', zlib.gzipSync(Buffer.alloc(1000)), 'gzip', 100), { status: 413, body: 'max request size (100 bytes) exceeded' });
    assert.deepEqual(decodeBody('v2', Buffer.alloc(101), undefined, 100), { status: 413, body: '{"code":"request too large","message":"max request size (100 bytes) exceeded"}' });
    assert.deepEqual(decodeBody('v3', Buffer.from(lp), 'br'), { status: 400, body: 'unacceptable content-encoding: br' });
    assert.match((decodeBody('v3', Buffer.from('not gzip'), 'gzip') as { body: string }).body, /^error decoding gzip stream: /);
    assert.match((decodeBody('v3', Buffer.from([0x6d, 0xff]), undefined) as { body: string }).body, /^body content is not valid utf8: /);
  });

  it('validates database names with the verbatim messages', () => {
    assert.equal(dbNameError('iot-sensors'), undefined);
    assert.equal(dbNameError('iot_sensors/week'), undefined);
    assert.equal(dbNameError(''), 'db name cannot be empty');
    assert.equal(dbNameError('_x'), 'db name did not start with a number or letter');
    assert.equal(dbNameError('a b'), 'invalid character in database or rp name: must be ASCII, containing only letters, numbers, underscores, or hyphens');
    assert.equal(dbNameError('a/b/c'), "db name with invalid retention policy, if providing a retention policy name, must be of form '<db_name>/<rp_name>'");
    assert.equal(dbNameError('a/'), "db name with invalid retention policy, if providing a retention policy name, must be of form '<db_name>/<rp_name>'");
    assert.equal(dbNameError('a'.repeat(512)), 'db name too long: max 511');
  });

  it('converts timestamps by precision, guessing the unit per line for auto', () => {
    const now = 1_795_342_500_123_456_789n;
    assert.equal(toNanos(1_795_342_500n, 'auto', now), 1_795_342_500_000_000_000n);
    assert.equal(toNanos(1_795_342_500_123n, 'auto', now), 1_795_342_500_123_000_000n);
    assert.equal(toNanos(1_795_342_500_123_456n, 'auto', now), 1_795_342_500_123_456_000n);
    assert.equal(toNanos(1_795_342_500_123_456_789n, 'auto', now), 1_795_342_500_123_456_789n);
    assert.equal(toNanos(4_999_999_999n, 'auto', now), 4_999_999_999_000_000_000n, 'auto reads 0..4,999,999,999 as seconds');
    assert.equal(toNanos(5n, 'millisecond', now), 5_000_000n);
    assert.equal(toNanos(undefined, 'second', now), 1_795_342_500_000_000_000n, 'server time truncated to the precision');
    assert.equal(toNanos(undefined, 'auto', now), now);
    assert.equal(toNanos(10_000_000_000n, 'second', now), 'timestamp, 10000000000, out of range for precision: Second');
  });
});
