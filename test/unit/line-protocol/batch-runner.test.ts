// BatchRunner with the node's outputs, status, log, handover file and timers played by fakes: a
// message's done is called when its last line leaves, at once when it has none, and not at all
// when its lines are refused (the caller fails it); the flush interval counts from the first
// buffered line and batches it sends go to the node's own output; each batch carries the receipts
// of exactly its lines; reset settles what it drops; a stop keeps the buffer in the handover, a
// deletion sends it, and the next start sends what was kept, split by the same limits.
import should from 'should';
import { BatchIO, BatchMessage, BatchRunner, BatchSettings, Done } from '../../../nodes/lib/line-protocol/batch-runner';
import { HandedOver, Handover, ToHandOver } from '../../../nodes/lib/line-protocol/buffer-handover';
import { LineWriter } from '../../../nodes/lib/line-protocol/line-writer';
import { Receipt, registerReceiptHolder } from '../../../nodes/lib/receipts/receipts';
import { FakeTime } from '../../support/fake-time';
import { RecordingStatus, recordingLog } from '../../support/recording-io';

class MemoryHandover implements Handover {
  saved: ToHandOver[] = [];
  kept: HandedOver | undefined;
  fail: Error | undefined;
  save(h: ToHandOver): string {
    if (this.fail) throw this.fail;
    this.saved.push(h);
    return 'memory.lp';
  }
  take(): HandedOver | undefined {
    if (this.fail) throw this.fail;
    const k = this.kept;
    this.kept = undefined;
    return k;
  }
}

const SETTINGS: BatchSettings = {
  limits: { maxLines: 3, maxBytes: 0, maxBufferBytes: 1e6 },
  intervalMs: 0,
  precision: 'ms',
  database: 'fleet',
};

/** A writer holding lines `${prefix}0` .. `${prefix}${n - 1}`. */
function linesOf(n: number, prefix = 'm v='): LineWriter {
  const w = new LineWriter(256);
  for (let i = 0; i < n; i++) {
    w.text(`${prefix}${i}`);
    w.endLine();
  }
  return w;
}

describe('BatchRunner', () => {
  let time: FakeTime;
  let handover: MemoryHandover;
  let status: RecordingStatus;
  let log: ReturnType<typeof recordingLog>;
  /** Batches sent on the node's own output (timer, stop, start), and through an input's send. */
  let outside: BatchMessage[];
  let inside: BatchMessage[];
  /** Which messages are done, in order, with their error if any. */
  let finished: string[];
  const send = (out: [BatchMessage, null]) => {
    should(out[1]).be.null();
    inside.push(out[0]);
  };
  const doneFor =
    (id: string): Done =>
    (err) =>
      finished.push(err ? `${id}: ${err.message}` : id);

  /** `null`: the node's settings were invalid. */
  function runner(settings: BatchSettings | null = SETTINGS): BatchRunner {
    const io: BatchIO = {
      send: (out) => {
        should(out[1]).be.null();
        outside.push(out[0]);
      },
      status,
      log,
    };
    return new BatchRunner(settings ?? undefined, handover, io, time);
  }

  beforeEach(() => {
    time = new FakeTime();
    handover = new MemoryHandover();
    status = new RecordingStatus();
    log = recordingLog();
    outside = [];
    inside = [];
    finished = [];
  });

  it('sends full batches through the input’s send and completes a message when its last line has left', () => {
    const r = runner();
    should(r.add(linesOf(2, 'a'), undefined, false, send, doneFor('A'))).be.undefined();
    should(inside).eql([]);
    should(finished).eql([]);
    should(status.text).equal('2 buffered');
    should(r.add(linesOf(5, 'b'), undefined, false, send, doneFor('B'))).be.undefined();
    should(inside.map((b) => b.payload)).eql(['a0\na1\nb0', 'b1\nb2\nb3']);
    should(inside[0]).eql({ payload: 'a0\na1\nb0', lineCount: 3, bytes: 8, precision: 'ms', database: 'fleet' });
    should(finished).eql(['A'], 'B still has a line buffered');
    should(status.last).eql({ fill: 'blue', shape: 'dot', text: '1 buffered' });
    r.flush(send);
    should(inside.at(-1)!.payload).equal('b4');
    should(finished).eql(['A', 'B']);
    should(status.last).eql({ fill: 'blue', shape: 'ring', text: '0 buffered' });
    should(outside).eql([]);
  });

  it('completes a message without lines at once, sending the buffer first when it asks to flush', () => {
    const r = runner();
    r.add(linesOf(1), undefined, false, send, doneFor('A'));
    r.add(linesOf(0), undefined, false, send, doneFor('empty'));
    should(finished).eql(['empty']);
    r.add(linesOf(0), undefined, true, send, doneFor('flush'));
    should(inside.map((b) => b.lineCount)).eql([1]);
    should(finished).eql(['empty', 'A', 'flush'], 'the flushed batch completes A before the flush message');
  });

  it('omits msg.database when none is set', () => {
    const r = runner({ ...SETTINGS, database: '' });
    r.add(linesOf(3), undefined, false, send, doneFor('A'));
    should(inside[0]).not.have.property('database');
    should(inside[0]).not.have.property('_receipts');
  });

  it('flushes on time, counted from the first line that entered an empty buffer, on the node’s output', () => {
    const r = runner({ ...SETTINGS, limits: { ...SETTINGS.limits, maxLines: 100 }, intervalMs: 5000 });
    r.add(linesOf(1, 'a'), undefined, false, send, doneFor('A'));
    should(time.waits).eql([5000]);
    time.advance(3000);
    r.add(linesOf(1, 'b'), undefined, false, send, doneFor('B'));
    should(time.timers).equal(1, 'a later line does not restart the wait');
    time.advance(1999);
    should(outside).eql([]);
    time.advance(1);
    should(outside.map((b) => b.payload)).eql(['a0\nb0']);
    should(inside).eql([]);
    should(finished).eql(['A', 'B']);
    should(status.text).equal('0 buffered');
    should(time.timers).equal(0, 'nothing buffered, nothing to wait for');
    r.add(linesOf(1, 'c'), undefined, false, send, doneFor('C'));
    should(time.waits).eql([5000], 'the next line starts a new wait');
  });

  it('a flush by size or by msg.flush stops the wait for the lines it sent', () => {
    const r = runner({ ...SETTINGS, intervalMs: 5000 });
    r.add(linesOf(2), undefined, false, send, doneFor('A'));
    r.add(linesOf(1), undefined, true, send, doneFor('B'));
    should(inside.map((b) => b.lineCount)).eql([3]);
    should(time.timers).equal(0);
    r.add(linesOf(1), undefined, false, send, doneFor('C'));
    r.flush(send);
    should(time.timers).equal(0);
    time.advance(10_000);
    should(outside).eql([]);
    should(finished).eql(['A', 'B', 'C']);
  });

  it('says so when a timed flush fails, and keeps running', () => {
    const r = new BatchRunner(
      { ...SETTINGS, intervalMs: 1000 },
      handover,
      {
        send: () => {
          throw new Error('wire cut');
        },
        status,
        log,
      },
      time,
    );
    r.add(linesOf(1), undefined, false, send, doneFor('A'));
    time.advance(1000);
    should(log.lines).eql(['error flush failed: wire cut']);
    should(status.text).equal('0 buffered');
  });

  describe('with receipts', () => {
    const settled: string[] = [];
    const notKept: string[] = [];
    let stop: () => void;
    beforeEach(() => {
      settled.length = 0;
      notKept.length = 0;
      stop = registerReceiptHolder('in1', {
        settle: (seq, i) => settled.push(i ? `${seq}:${i.join(',')}` : `${seq}`),
        notKept: (seq, why) => notKept.push(`${seq}: ${why}`),
      });
    });
    afterEach(() => stop());

    it('puts on each batch the receipts of exactly its lines, a message split over two batches', () => {
      const r = runner();
      const a: Receipt[] = [{ j: 'in1', s: 1, n: 2 }];
      const b: Receipt[] = [{ j: 'in1', s: 2, n: 3 }];
      r.add(linesOf(2), a, false, send, doneFor('A'));
      r.add(linesOf(3), b, false, send, doneFor('B'));
      should(inside.map((m) => m._receipts)).eql([
        [
          { j: 'in1', s: 1, n: 2 },
          { j: 'in1', s: 2, n: 3, i: [0] },
        ],
      ]);
      r.add(linesOf(1), undefined, true, send, doneFor('C'));
      should(inside[1]._receipts).eql([{ j: 'in1', s: 2, n: 3, i: [1, 2] }]);
      should(inside[1].lineCount).equal(3, 'C’s line, without a receipt, rides along');
      should(settled).eql([], 'settling is the writer’s job');
    });

    it('reset settles the receipts it drops, completes their messages and says how many', () => {
      const r = runner({ ...SETTINGS, intervalMs: 1000 });
      r.add(linesOf(1), [{ j: 'in1', s: 7, n: 1 }], false, send, doneFor('A'));
      r.add(linesOf(1), undefined, false, send, doneFor('B'));
      r.reset();
      should(settled).eql(['7']);
      should(finished).eql(['A', 'B']);
      should(log.lines).eql(['warn reset dropped the lines of 2 message(s)']);
      should(time.timers).equal(0);
      should(status.text).equal('0 buffered');
      r.reset();
      should(log.lines).have.length(1, 'an empty reset says nothing');
      r.add(linesOf(3), [{ j: 'in1', s: 8, n: 3 }], false, send, doneFor('C'));
      should(inside[0]._receipts).eql([{ j: 'in1', s: 8, n: 3 }], 'no receipt of the dropped lines is left');
    });

    it('refuses a message whole past the memory limit: its receipts not kept, its done left to the caller', () => {
      const r = runner({ ...SETTINGS, limits: { maxLines: 0, maxBytes: 0, maxBufferBytes: 40 } });
      should(r.add(linesOf(4), undefined, false, send, doneFor('A'))).be.undefined();
      const why = r.add(linesOf(4), [{ j: 'in1', s: 3, n: 4 }], false, send, doneFor('B'));
      should(why).match(/memory limit; 4 reading\(s\) of this message were not buffered \(4 so far\)\. Flush sooner/);
      should(notKept).have.length(1);
      should(notKept[0]).match(/^3: line buffer full: 23 bytes buffered/);
      should(finished).eql([]);
      should(status.last).eql({ fill: 'red', shape: 'dot', text: '4 buffered, 4 over' });
      should(r.add(linesOf(4), undefined, false, send, doneFor('C'))).match(/\(8 so far\)/);
      r.flush(send);
      should(inside.map((b) => b.lineCount)).eql([4], 'what was buffered before is intact');
      should(inside[0]).not.have.property('_receipts');
      should(finished).eql(['A']);
    });

    it('a deleted node sends its buffer as a last batch with its receipts, and keeps no file', () => {
      const r = runner({ ...SETTINGS, intervalMs: 1000 });
      r.add(linesOf(2), [{ j: 'in1', s: 5, n: 2 }], false, send, doneFor('A'));
      r.close(true);
      should(outside).eql([
        {
          payload: 'm v=0\nm v=1',
          lineCount: 2,
          bytes: 11,
          precision: 'ms',
          database: 'fleet',
          _receipts: [{ j: 'in1', s: 5, n: 2 }],
        },
      ]);
      should(handover.saved).eql([]);
      should(finished).eql(['A']);
      should(log.lines).eql(['warn removed with 2 buffered line(s); sent them as a last batch']);
      should(time.timers).equal(0);
      should(status.last).eql({}, 'the status is cleared');
    });
  });

  it('a stop keeps the buffer in the handover, completes its messages and sends nothing', () => {
    const r = runner({ ...SETTINGS, intervalMs: 1000 });
    r.add(linesOf(2), undefined, false, send, doneFor('A'));
    r.close(false);
    should(handover.saved).eql([{ payload: 'm v=0\nm v=1', precision: 'ms' }]);
    should(outside).eql([]);
    should(finished).eql(['A']);
    should(log.lines).eql(['log kept 2 buffered line(s) in memory.lp until this node starts again']);
    should(time.timers).equal(0);
    time.advance(5000);
    should(outside).eql([]);
  });

  it('a stop with nothing buffered keeps nothing; one that cannot keep the buffer says so', () => {
    runner().close(false);
    should(handover.saved).eql([]);
    should(log.lines).eql([]);
    const r = runner();
    r.add(linesOf(1), undefined, false, send, doneFor('A'));
    handover.fail = new Error('disk full');
    r.close(false);
    should(log.lines).eql(['error could not keep the buffered lines: disk full']);
  });

  it('at start sends the lines kept at the last stop first, split by its limits, with their precision', () => {
    handover.kept = { lines: ['k0', 'k1', 'k2', 'k3'], precision: 'us' };
    const r = runner();
    r.start();
    should(outside).eql([
      { payload: 'k0\nk1\nk2', lineCount: 3, bytes: 8, precision: 'us', database: 'fleet' },
      { payload: 'k3', lineCount: 1, bytes: 2, precision: 'us', database: 'fleet' },
    ]);
    should(log.lines).eql(['log sent 4 line(s) kept from the last stop']);
    should(r.bufferedLines).equal(0, 'they do not enter the buffer');
    r.start();
    should(outside).have.length(2, 'taken once');
  });

  it('at start with invalid settings still sends the kept lines, as one batch', () => {
    handover.kept = { lines: ['k0', 'k1', 'k2', 'k3'], precision: 'ns' };
    runner(null).start();
    should(outside).eql([{ payload: 'k0\nk1\nk2\nk3', lineCount: 4, bytes: 11, precision: 'ns' }]);
  });

  it('at start says so when the kept lines cannot be read', () => {
    handover.fail = new Error('EACCES');
    runner().start();
    should(outside).eql([]);
    should(log.lines).eql(['error could not send the lines kept from the last stop: EACCES']);
  });
});
