// The inbound journal on a real directory: what was not settled comes back after a reopen, a record
// torn by a kill is ignored, sequence numbers only grow across runs, a message is let go only when
// all its readings are settled, a segment is deleted once all its messages are, staged messages
// reach the file only at a commit, a write the kernel refuses part-way hides nothing after it and
// keeps the commit after it from acknowledging what it lost, and a reopen over an empty segment
// does not delete the segment it writes to.
import should from 'should';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InboundJournal, readRecords } from '../../../nodes/lib/mqtt/inbound-journal';

describe('InboundJournal', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const open = (maxBytes = 1e6, segmentBytes?: number) => InboundJournal.open(dir, { maxBytes, segmentBytes });
  const segments = () => fs.readdirSync(dir).filter((f) => f.endsWith('.log'));

  it('gives back, after a reopen, exactly the messages not settled, byte for byte', () => {
    const { journal, recovered } = open();
    should(recovered).have.length(0);
    const payload = Buffer.from([0x7b, 0x0a, 0x00, 0xff, 0x7d]); // newlines and binary inside
    const a = journal.append('iot/sensors/a', payload, 1);
    const b = journal.append('iot/sensors/ü', Buffer.from('{"x":1}'), 1);
    journal.append('iot/sensors/c', Buffer.from('[1,2]'), 2);
    journal.settle(b);
    journal.close();
    const again = open();
    again.journal.close();
    should(again.recovered.map((m) => [m.topic, m.readings])).eql([
      ['iot/sensors/a', 1],
      ['iot/sensors/c', 2],
    ]);
    should(again.recovered[0].seq).equal(a);
    should(again.recovered[0].payload.equals(payload)).be.true();
  });

  it('ignores a record cut short by a kill and keeps numbering above every earlier run', () => {
    const first = open();
    const s1 = first.journal.append('t', Buffer.from('one'), 1);
    const s2 = first.journal.append('t', Buffer.from('two'), 1);
    first.journal.close();
    // A kill in the middle of the next append: a header and half a payload.
    const file = path.join(dir, segments()[0]);
    fs.appendFileSync(file, 'M 3 1 1 20\ntpartial');
    const second = open();
    should(second.recovered.map((m) => m.payload.toString())).eql(['one', 'two']);
    const s3 = second.journal.append('t', Buffer.from('three'), 1);
    should(s3).be.above(s2);
    second.journal.settle(s1);
    second.journal.settle(s2);
    second.journal.close();
    const third = open();
    should(third.recovered.map((m) => m.payload.toString())).eql(['three']);
    should(third.journal.append('t', Buffer.from('four'), 1)).be.above(s3);
    third.journal.close();
  });

  it('lets a message go only when all its readings are settled, in any parts, twice over', () => {
    const { journal } = open();
    const seq = journal.append('t', Buffer.from('[1,2,3]'), 3);
    should(journal.settle(seq, [0])).be.false();
    should(journal.settle(seq, [0, 2])).be.false(); // 0 a second time counts once
    should(journal.outstanding).equal(1);
    should(journal.settle(seq, [1, 7, -1])).be.true(); // indexes out of range are ignored
    should(journal.outstanding).equal(0);
    should(journal.settle(seq)).be.false(); // settled before
    journal.close();
    should(open().recovered).have.length(0);
  });

  it('deletes a segment once every message in it is settled, and refuses room past its limit', () => {
    const { journal } = open(4096, 1024);
    const seqs: number[] = [];
    const body = Buffer.alloc(200, 0x61);
    while (journal.hasRoom(1, body.length)) seqs.push(journal.append('t', body, 1));
    should(seqs.length).be.within(15, 20);
    should(journal.bytes).be.belowOrEqual(4096);
    const before = segments().length;
    should(before).be.above(2);
    for (const s of seqs.slice(0, 5)) journal.settle(s);
    journal.flush();
    should(segments().length).be.below(before, 'the first segment, all settled, is gone');
    should(journal.hasRoom(1, body.length)).be.true();
    for (const s of seqs.slice(5)) journal.settle(s);
    journal.close();
    should(open().recovered).have.length(0);
  });

  it('expires what was taken before a time, and only that', () => {
    const { journal } = open();
    journal.append('t', Buffer.from('old'), 1, 1000);
    const fresh = journal.append('t', Buffer.from('new'), 1, 5000);
    should(journal.expire(2000)).equal(1);
    should(journal.outstanding).equal(1);
    journal.settle(fresh);
    journal.close();
  });

  it('keeps what it takes after a reopen that found only an empty segment', () => {
    open().journal.close(); // leaves an empty newest segment, as a restart without traffic does
    const { journal } = open();
    const seq = journal.append('t', Buffer.from('{"after":"empty"}'), 1);
    journal.close();
    const again = open();
    again.journal.close();
    should(again.recovered.map((m) => m.seq)).eql([seq], 'the active segment was not deleted as the old empty one');
  });

  const onDisk = () =>
    segments().flatMap((f) =>
      [...readRecords(fs.readFileSync(path.join(dir, f)))].flatMap((r) => (r.kind === 'M' ? [r.message.seq] : [])),
    );

  it('writes staged messages only at the commit, all of them, large ones too', () => {
    const { journal } = open(4e6);
    const small = [1, 2, 3].map((i) => journal.stage('t', Buffer.from(`{"i":${i}}`), 1));
    should(onDisk()).eql([], 'nothing staged is on disk before the commit');
    const settled = small[1];
    journal.settle(settled); // settled before it was even written
    const big = Buffer.alloc(200_000, 0x62); // larger than the staging buffer: written at once
    const large = journal.stage('t', big, 1);
    should(onDisk()).eql([...small, large], 'the staged ones go first, so the file keeps their order');
    const last = journal.stage('t', Buffer.from('{}'), 1);
    journal.commit();
    should(onDisk()).eql([...small, large, last]);
    journal.close();
    const again = open(4e6);
    again.journal.close();
    should(again.recovered.map((m) => m.seq)).eql([small[0], small[2], large, last]);
    should(again.recovered[2].payload.equals(big)).be.true();
  });

  /** Runs `body` in a child process whose files may not grow past 64 KB, with `journal` opened on
   *  the test's directory; returns what it printed as JSON. */
  const underFileLimit = (body: string): unknown => {
    const child = `
      const { InboundJournal } = require(${JSON.stringify(require.resolve('../../../nodes/lib/mqtt/inbound-journal'))});
      const { journal } = InboundJournal.open(process.argv[1], { maxBytes: 4e6 });
      ${body}`;
    const run = spawnSync('bash', ['-c', 'ulimit -f 64 && exec "$0" -e "$1" "$2"', process.execPath, child, dir], {
      encoding: 'utf8',
    });
    should(run.status).equal(0, run.stderr);
    return JSON.parse(run.stdout);
  };

  it('after a write the kernel cuts short (file size limit), drops what it held and loses nothing later', function () {
    this.timeout(20_000);
    // A child whose files may not grow past 64 KB: commits of ten 1 KB messages each, until one
    // tears; the next ones go to a new segment. It exits without closing, as a kill would.
    const child = `
      const committed = [], failed = [];
      for (let batch = 0; batch < 20; batch++) {
        const seqs = [];
        for (let i = 0; i < 10; i++) seqs.push(journal.stage('t', Buffer.alloc(1000, 0x61), 1));
        try { journal.commit(); committed.push(...seqs); } catch (e) { failed.push({ code: e.code, seqs }); }
      }
      console.log(JSON.stringify({ committed, failed }));
      process.exit(0);`;
    const { committed, failed } = underFileLimit(child) as {
      committed: number[];
      failed: { code: string; seqs: number[] }[];
    };
    should(failed.length).be.above(1, 'the limit was reached in more than one segment');
    should(failed[0].code).equal('EFBIG');
    should(committed.length).be.above(100);
    const { journal, recovered } = open(4e6);
    journal.close();
    const back = new Set(recovered.map((m) => m.seq));
    should(committed.filter((s) => !back.has(s))).eql([], 'every committed message comes back');
    const known = new Set([...committed, ...failed.flatMap((f) => f.seqs)]);
    should([...back].filter((s) => !known.has(s))).eql([]);
  });

  it('when a flush loses staged messages, the next commit says so, once, and later ones are kept', function () {
    this.timeout(20_000);
    // The child commits to just under its 64 KB file limit, stages ten more, and a flush (as the
    // settle path and the timer make) tears on them: the commit after must throw, so none of the
    // ten is acknowledged; the commit after that, in a new segment, succeeds.
    const child = `
      const kept = [], dropped = [], out = {};
      for (let i = 0; i < 60; i++) { kept.push(journal.stage('t', Buffer.alloc(1000, 0x61), 1)); journal.commit(); }
      for (let i = 0; i < 10; i++) dropped.push(journal.stage('t', Buffer.alloc(1000, 0x62), 1));
      try { journal.flush(); } catch (e) { out.flush = e.code; }
      try { journal.commit(); } catch (e) { out.commit = e.code; }
      const later = journal.stage('t', Buffer.from('{}'), 1);
      try { journal.commit(); kept.push(later); } catch (e) { out.later = e.code; }
      console.log(JSON.stringify({ kept, dropped, out }));
      process.exit(0);`;
    const { kept, dropped, out } = underFileLimit(child) as { kept: number[]; dropped: number[]; out: object };
    should(out).eql(
      { flush: 'EFBIG', commit: 'EFBIG' },
      'the flush failed, the commit after it said so, the next did not',
    );
    const { journal, recovered } = open(4e6);
    journal.close();
    const back = new Set(recovered.map((m) => m.seq));
    should(kept.filter((s) => !back.has(s))).eql([], 'every committed message comes back');
    const known = new Set([...kept, ...dropped]);
    should([...back].filter((s) => !known.has(s))).eql([]);
  });
});
