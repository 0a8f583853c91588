// The writer's disk spool: records come back in order across a reopen, damage from a crash or a
// power loss is found and skipped with the intact records kept, and a full spool follows its policy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpoolFullError, WriteSpool } from '../../../nodes/lib/influxdb3/write-spool';

const record = (i: number, lines = 2) => ({ database: 'db', precision: 'ns' as const, lines, payload: `m,i=${i} v=${i} ${i}\nm,i=${i} w=${i} ${i}` });

describe('write spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hands records back oldest first, also after a reopen, and deletes segments once written', async () => {
    let { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject', segmentBytes: 200 });
    for (let i = 0; i < 10; i++) spool.appendSync(record(i));
    assert.equal(spool.records, 10);
    assert.equal(spool.lines, 20);
    assert.ok(fs.readdirSync(dir).length > 1, 'several segments');
    assert.deepEqual(await spool.read(0), record(0));
    spool.ack();
    spool.ack();
    spool.close();
    ({ spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject' }));
    assert.ok(spool.records >= 8 && spool.records <= 10, 'a reopen replays what was not written (at least once)');
    const first = (await spool.read(0))!;
    assert.ok([record(0), record(1), record(2)].some((r) => r.payload === first.payload));
    while (spool.records > 0) spool.ack();
    spool.close();
    assert.deepEqual(fs.readdirSync(dir), [], 'every segment deleted once written');
  });

  it('reads consecutive records of one database and precision as one batch, within its limits, across segments and a reopen', async () => {
    let { spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject', segmentBytes: 150 });
    const dbs = ['a', 'a', 'a', 'a', 'b', 'a', 'a'];
    dbs.forEach((database, i) => spool.appendSync({ ...record(i), database, payload: i === 2 ? ['first chunk', 'second ü chunk'] : record(i).payload }));
    assert.ok(fs.readdirSync(dir).length >= 3, 'the records span segments');
    const take = (n: number) => Buffer.alloc(n + 5, 0xff);
    const text = (b: { payloads: Buffer[] }) => b.payloads.map((p) => p.toString('utf8'));
    let batch = (await spool.readBatch(0, 6, 1 << 20, take))!;
    assert.deepEqual([batch.database, batch.records, batch.lines], ['a', 3, 6], 'stops at the line limit');
    assert.deepEqual(text(batch), [record(0).payload, record(1).payload, 'first chunk\nsecond ü chunk']);
    batch = (await spool.readBatch(2, 100, 1 << 20, take))!;
    assert.deepEqual([batch.records, batch.lines], [2, 4], 'stops before another database');
    batch = (await spool.readBatch(4, 100, 1 << 20, take))!;
    assert.deepEqual([batch.database, batch.records, text(batch)], ['b', 1, [record(4).payload]]);
    const one = Buffer.byteLength(record(5).payload);
    batch = (await spool.readBatch(5, 100, one * 2, take))!;
    assert.deepEqual([batch.records, text(batch)], [1, [record(5).payload]], 'stops at the byte limit (two records and a newline do not fit)');
    batch = (await spool.readBatch(0, 0, 0, take))!;
    assert.equal(batch.records, 1, 'at least one record whatever the limits');
    assert.equal(await spool.readBatch(7, 100, 1 << 20, take), undefined);
    spool.close();
    ({ spool } = await WriteSpool.open(dir, { maxBytes: 1 << 20, policy: 'reject' }));
    batch = (await spool.readBatch(0, 100, 1 << 20, take))!;
    assert.deepEqual([batch.records, batch.precision], [4, 'ns'], 'the same batches after a reopen, from what the scan read');
    spool.close();
  });

  it('never drops records loaded for writing when full, and acknowledges exactly those', async () => {
    const { spool } = await WriteSpool.open(dir, { maxBytes: 400, policy: 'drop-oldest', segmentBytes: 100 });
    spool.appendSync(record(0));
    spool.appendSync(record(1));
    const loaded = (await spool.loadNext(100, 1 << 20, (n) => Buffer.alloc(n)))!;
    assert.deepEqual([loaded.records, spool.loaded], [2, 2]);
    for (let i = 2; i < 12; i++) spool.appendSync(record(i));
    assert.ok(spool.droppedLines > 0, 'the spool was full and dropped');
    const left = [];
    for (let i = 0; i < spool.records; i++) left.push((await spool.read(i))!.payload);
    assert.deepEqual(left.slice(0, 2), [record(0).payload, record(1).payload], 'the loaded records are still there, first');
    assert.equal(left.at(-1), record(11).payload, 'the newest is kept');
    spool.ack();
    spool.ack();
    assert.equal(spool.loaded, 0);
    assert.equal(spool.records, left.length - 2, 'the two acknowledged were the loaded ones');
    assert.notEqual((await spool.read(0))!.payload, record(1).payload);
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
    assert.deepEqual(payloads, [0, 1, 3, 4].map((i) => record(i).payload));
    assert.deepEqual(opened.damage.map((d) => d.reason), ['checksum mismatch', 'cut short (a record was not finished)']);
    spool.close();
  });

  it('refuses when full, or drops the oldest and counts them', async () => {
    const one = (await (async () => {
      const probe = path.join(dir, 'probe');
      const { spool } = await WriteSpool.open(probe, { maxBytes: 1 << 20, policy: 'reject' });
      spool.appendSync(record(0));
      const b = spool.bytes;
      spool.close();
      return b;
    })());
    let { spool } = await WriteSpool.open(path.join(dir, 'r'), { maxBytes: one * 3, policy: 'reject', segmentBytes: one });
    for (let i = 0; i < 3; i++) spool.appendSync(record(i));
    assert.throws(() => spool.appendSync(record(3)), SpoolFullError);
    spool.close();
    ({ spool } = await WriteSpool.open(path.join(dir, 'd'), { maxBytes: one * 3, policy: 'drop-oldest', segmentBytes: one }));
    for (let i = 0; i < 5; i++) spool.appendSync(record(i));
    assert.equal(spool.droppedLines, 4);
    assert.equal((await spool.read(0))!.payload, record(2).payload);
    spool.close();
  });
});
