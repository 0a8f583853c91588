import should from 'should';
import { BufferFullError, LineBatcher } from '../../../nodes/lib/line-protocol/line-batcher';

const lines = (n: number, prefix = 'm v=') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('line batcher', () => {
  it('cuts batches at the line count and completes owners when their last line leaves', () => {
    const b = new LineBatcher<string>({ maxLines: 3, maxBytes: 0, maxBufferBytes: 1e6 });
    should(b.addLines(lines(2), 'A')).eql([]);
    const out = b.addLines(lines(5), 'B');
    should(out.length).equal(2);
    should(out.map((x) => x.lines)).eql([3, 3]);
    should(out[0].completed).eql(['A'], 'A is complete once its two lines have left');
    should(out[1].completed).eql([]);
    should(b.bufferedLines).equal(1);
    const last = b.flush()!;
    should(last.completed).eql(['B']);
    should(last.payload).equal('m v=4');
    should(b.flush()).equal(undefined);
  });

  it('cuts before a batch would pass the byte limit and counts bytes in UTF-8', () => {
    const b = new LineBatcher<number>({ maxLines: 0, maxBytes: 20, maxBufferBytes: 1e6 });
    const out = b.addLines(['aaaaaaaaa', 'bbbbbbbbb', 'ccccccccc'], 1);
    should(out.length).equal(1);
    should(out[0].payload).equal('aaaaaaaaa\nbbbbbbbbb');
    should(out[0].bytes).equal(19);
    const u = new LineBatcher<number>({ maxLines: 0, maxBytes: 0, maxBufferBytes: 1e6 });
    u.addLines(['é€'], 1);
    should(u.flush()!.bytes).equal(5);
  });

  it('sends a single line larger than the byte limit on its own', () => {
    const b = new LineBatcher<number>({ maxLines: 0, maxBytes: 10, maxBufferBytes: 1e6 });
    const out = b.addLines(['x'.repeat(50), 'y'], 1);
    should(out.length).equal(1);
    should(out[0].lines).equal(1);
    should(b.bufferedLines).equal(1);
  });

  it('refuses an input whole when the buffer would pass its memory cap', () => {
    const b = new LineBatcher<number>({ maxLines: 0, maxBytes: 0, maxBufferBytes: 100 });
    b.addLines(lines(10), 1);
    const before = b.bufferedBytes;
    should(() => b.addLines(lines(20), 2)).throw(BufferFullError, { message: /memory limit/ });
    should(b.bufferedBytes).equal(before, 'nothing of the refused input was added');
    const capped = new LineBatcher<number>({ maxLines: 5, maxBytes: 0, maxBufferBytes: 100 });
    should(capped.addLines(lines(1000), 1).length).equal(200, 'with a count limit the cap is never reached');
  });

  it('reset drops the buffer and hands back the owners', () => {
    const b = new LineBatcher<string>({ maxLines: 10, maxBytes: 0, maxBufferBytes: 1e6 });
    b.addLines(lines(3), 'A');
    b.addLines(lines(3), 'B');
    should(b.reset()).eql(['A', 'B']);
    should(b.bufferedLines).equal(0);
    should(b.flush()).equal(undefined);
  });
});
