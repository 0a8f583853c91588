import assert from 'node:assert/strict';
import { BufferFullError, LineBatcher } from '../../../nodes/lib/line-protocol/line-batcher';

const lines = (n: number, prefix = 'm v=') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('line batcher', () => {
  it('cuts batches at the line count and completes owners when their last line leaves', () => {
    const b = new LineBatcher<string>({ maxLines: 3, maxBytes: 0, maxBufferBytes: 1e6 });
    assert.deepEqual(b.addLines(lines(2), 'A'), []);
    const out = b.addLines(lines(5), 'B');
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((x) => x.lines), [3, 3]);
    assert.deepEqual(out[0].completed, ['A'], 'A is complete once its two lines have left');
    assert.deepEqual(out[1].completed, []);
    assert.equal(b.bufferedLines, 1);
    const last = b.flush()!;
    assert.deepEqual(last.completed, ['B']);
    assert.equal(last.payload, 'm v=4');
    assert.equal(b.flush(), undefined);
  });

  it('cuts before a batch would pass the byte limit and counts bytes in UTF-8', () => {
    const b = new LineBatcher<number>({ maxLines: 0, maxBytes: 20, maxBufferBytes: 1e6 });
    const out = b.addLines(['aaaaaaaaa', 'bbbbbbbbb', 'ccccccccc'], 1);
    assert.equal(out.length, 1);
    assert.equal(out[0].payload, 'aaaaaaaaa\nbbbbbbbbb');
    assert.equal(out[0].bytes, 19);
    const u = new LineBatcher<number>({ maxLines: 0, maxBytes: 0, maxBufferBytes: 1e6 });
    u.addLines(['é€'], 1);
    assert.equal(u.flush()!.bytes, 5);
  });

  it('sends a single line larger than the byte limit on its own', () => {
    const b = new LineBatcher<number>({ maxLines: 0, maxBytes: 10, maxBufferBytes: 1e6 });
    const out = b.addLines(['x'.repeat(50), 'y'], 1);
    assert.equal(out.length, 1);
    assert.equal(out[0].lines, 1);
    assert.equal(b.bufferedLines, 1);
  });

  it('refuses an input whole when the buffer would pass its memory cap', () => {
    const b = new LineBatcher<number>({ maxLines: 0, maxBytes: 0, maxBufferBytes: 100 });
    b.addLines(lines(10), 1);
    const before = b.bufferedBytes;
    assert.throws(() => b.addLines(lines(20), 2), (e: unknown) => e instanceof BufferFullError && /memory limit/.test(e.message));
    assert.equal(b.bufferedBytes, before, 'nothing of the refused input was added');
    const capped = new LineBatcher<number>({ maxLines: 5, maxBytes: 0, maxBufferBytes: 100 });
    assert.equal(capped.addLines(lines(1000), 1).length, 200, 'with a count limit the cap is never reached');
  });

  it('reset drops the buffer and hands back the owners', () => {
    const b = new LineBatcher<string>({ maxLines: 10, maxBytes: 0, maxBufferBytes: 1e6 });
    b.addLines(lines(3), 'A');
    b.addLines(lines(3), 'B');
    assert.deepEqual(b.reset(), ['A', 'B']);
    assert.equal(b.bufferedLines, 0);
    assert.equal(b.flush(), undefined);
  });
});
