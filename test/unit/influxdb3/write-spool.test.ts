// The writer's disk spool: records come back in order across a reopen, damage from a crash or a
// power loss is found and skipped with the intact records kept, and a full spool follows its policy.
import should from 'should';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpoolFullError, WriteSpool } from '../../../nodes/lib/influxdb3/write-spool';

const record = (i: number, lines = 2) => ({
  database: 'db',
  precision: 'ns' as const,
  lines,
  payload: `m,i=${i} v=${i} ${i}\nm,i=${i} w=${i} ${i}`,
});

describe('write spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hands records back oldest first, also after a reopen, and deletes segments once written', async () => {
    let { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject', segmentBytes: 200 });
    for (let i = 0; i < 10; i++) spool.appendSync(record(i));
    should(spool.records).equal(10);
    should(spool.lines).equal(20);
    should(fs.readdirSync(dir).length > 1).be.true('several segments');
    should(await spool.read(0)).eql(record(0));
    spool.ack();
    spool.ack();
    spool.close();
    ({ spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject' }));
    should(spool.records >= 8 && spool.records <= 10).be.true('a reopen replays what was not written (at least once)');
    const first = (await spool.read(0))!;
    should([record(0), record(1), record(2)].some((r) => r.payload === first.payload)).be.true();
    while (spool.records > 0) spool.ack();
    spool.close();
    should(fs.readdirSync(dir)).eql([], 'every segment deleted once written');
  });

  it('reads consecutive records of one database and precision as one batch, within its limits, across segments and a reopen', async () => {
    let { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject', segmentBytes: 150 });
    const dbs = ['a', 'a', 'a', 'a', 'b', 'a', 'a'];
    dbs.forEach((database, i) =>
      spool.appendSync({
        ...record(i),
        database,
        payload: i === 2 ? ['first chunk', 'second ü chunk'] : record(i).payload,
      }),
    );
    should(fs.readdirSync(dir).length >= 3).be.true('the records span segments');
    const take = (n: number) => Buffer.alloc(n + 5, 0xff);
    const text = (b: { payloads: Buffer[] }) => b.payloads.map((p) => p.toString('utf8'));
    let batch = (await spool.readBatch(0, 6, 1 << 20, take))!;
    should([batch.database, batch.records, batch.lines]).eql(['a', 3, 6], 'stops at the line limit');
    should(text(batch)).eql([record(0).payload, record(1).payload, 'first chunk\nsecond ü chunk']);
    batch = (await spool.readBatch(2, 100, 1 << 20, take))!;
    should([batch.records, batch.lines]).eql([2, 4], 'stops before another database');
    batch = (await spool.readBatch(4, 100, 1 << 20, take))!;
    should([batch.database, batch.records, text(batch)]).eql(['b', 1, [record(4).payload]]);
    const one = Buffer.byteLength(record(5).payload);
    batch = (await spool.readBatch(5, 100, one * 2, take))!;
    should([batch.records, text(batch)]).eql(
      [1, [record(5).payload]],
      'stops at the byte limit (two records and a newline do not fit)',
    );
    batch = (await spool.readBatch(0, 0, 0, take))!;
    should(batch.records).equal(1, 'at least one record whatever the limits');
    should(await spool.readBatch(7, 100, 1 << 20, take)).equal(undefined);
    spool.close();
    ({ spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject' }));
    batch = (await spool.readBatch(0, 100, 1 << 20, take))!;
    should([batch.records, batch.precision]).eql([4, 'ns'], 'the same batches after a reopen, from what the scan read');
    spool.close();
  });

  it('never drops records loaded for writing when full, and acknowledges exactly those', async () => {
    const { spool } = await WriteSpool.open(dir, { maxBytes: 400, policy: 'drop-oldest', segmentBytes: 100 });
    spool.appendSync(record(0));
    spool.appendSync(record(1));
    const loaded = (await spool.loadNext(100, 1 << 20, (n) => Buffer.alloc(n)))!;
    should([loaded.records, spool.loaded]).eql([2, 2]);
    for (let i = 2; i < 12; i++) spool.appendSync(record(i));
    should(spool.droppedLines > 0).be.true('the spool was full and dropped');
    const left = [];
    for (let i = 0; i < spool.records; i++) left.push((await spool.read(i))!.payload);
    should(left.slice(0, 2)).eql([record(0).payload, record(1).payload], 'the loaded records are still there, first');
    should(left.at(-1)).equal(record(11).payload, 'the newest is kept');
    spool.ack();
    spool.ack();
    should(spool.loaded).equal(0);
    should(spool.records).equal(left.length - 2, 'the two acknowledged were the loaded ones');
    should((await spool.read(0))!.payload).not.equal(record(1).payload);
    spool.close();
  });

  it('keeps the intact records of a truncated and a corrupted file, and reports the damage', async () => {
    let { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject' });
    for (let i = 0; i < 6; i++) spool.appendSync(record(i));
    spool.close();
    const [file] = fs.readdirSync(dir).map((f) => path.join(dir, f));
    const data = fs.readFileSync(file);
    const size = data.length / 6;
    data[Math.floor(size * 2.5)] ^= 0xff; // a flipped byte inside record 2
    fs.writeFileSync(file, data.subarray(0, data.length - 7)); // and record 5 cut short
    const opened = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject' });
    spool = opened.spool;
    const payloads: string[] = [];
    for (let i = 0; i < spool.records; i++) payloads.push((await spool.read(i))!.payload);
    should(payloads).eql([0, 1, 3, 4].map((i) => record(i).payload));
    should(opened.damage.map((d) => d.reason)).eql(['checksum mismatch', 'cut short (a record was not finished)']);
    spool.close();
  });

  it('refuses when full, or drops the oldest and counts them', async () => {
    const one = await (async () => {
      const probe = path.join(dir, 'probe');
      const { spool } = await WriteSpool.open(probe, { maxBytes: 1 << 20, policy: 'reject' });
      spool.appendSync(record(0));
      const b = spool.bytes;
      spool.close();
      return b;
    })();
    let { spool } = await WriteSpool.open(path.join(dir, 'r'), {
      maxBytes: one * 3,
      policy: 'reject',
      segmentBytes: one,
    });
    for (let i = 0; i < 3; i++) spool.appendSync(record(i));
    should(() => spool.appendSync(record(3))).throw(SpoolFullError);
    spool.close();
    ({ spool } = await WriteSpool.open(path.join(dir, 'd'), {
      maxBytes: one * 3,
      policy: 'drop-oldest',
      segmentBytes: one,
    }));
    for (let i = 0; i < 5; i++) spool.appendSync(record(i));
    should(spool.droppedLines).equal(4);
    should((await spool.read(0))!.payload).equal(record(2).payload);
    spool.close();
  });
});
