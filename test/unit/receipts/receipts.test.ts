// Receipts as the pack's nodes use them, settled into a registered journal: validate's keepReceipts
// settles the refused readings and keeps the rest, line protocol's ReceiptQueue gives each batch
// the receipts of exactly its lines, and a receipt of an unregistered journal settles nothing.
import should from 'should';
import {
  Receipt,
  ReceiptQueue,
  coveredReadings,
  keepReceipts,
  receiptsOf,
  registerReceiptHolder,
  settleReceipts,
} from '../../../nodes/lib/receipts/receipts';

describe('receipts', () => {
  const settled: [number, readonly number[] | undefined][] = [];
  let stop: () => void;
  beforeEach(() => {
    settled.length = 0;
    stop = registerReceiptHolder('in1', { settle: (seq, i) => settled.push([seq, i]) });
  });
  afterEach(() => stop());

  it('reads only well-formed receipts off a message', () => {
    should(receiptsOf({ _receipts: [{ j: 'in1', s: 1, n: 2 }] })).eql([{ j: 'in1', s: 1, n: 2 }]);
    for (const bad of [undefined, [], 'x', [{ j: 'in1', s: '1', n: 1 }], [{ j: 'in1', s: 1 }], [null]])
      should(receiptsOf({ _receipts: bad })).be.undefined();
  });

  it('settles into the journal registered under the receipt’s id, and nowhere once it is stopped', () => {
    settleReceipts([
      { j: 'in1', s: 4, n: 1 },
      { j: 'other', s: 5, n: 1 },
    ]);
    should(settled).eql([[4, undefined]]);
    stop();
    settleReceipts([{ j: 'in1', s: 6, n: 1 }]);
    should(settled).have.length(1);
  });

  it('keepReceipts settles refused readings across entries and keeps the rest with their indexes', () => {
    // Readings 0-2 from entry 1, 3-4 from entry 2 (its readings 1 and 3), 5 from entry 3.
    const receipts: Receipt[] = [
      { j: 'in1', s: 1, n: 3 },
      { j: 'in1', s: 2, n: 4, i: [1, 3] },
      { j: 'in1', s: 3, n: 1 },
    ];
    should(coveredReadings(receipts)).equal(6);
    const kept = keepReceipts(receipts, [1, 3, 4]);
    should(settled).eql([
      [1, [1]],
      [2, [1, 3]],
    ]);
    should(kept).eql([
      { j: 'in1', s: 1, n: 3, i: [0, 2] },
      { j: 'in1', s: 3, n: 1 },
    ]);
    should(keepReceipts(receipts, [])).equal(receipts);
    should(keepReceipts([{ j: 'in1', s: 9, n: 1 }], [0])).be.undefined();
  });

  it('ReceiptQueue gives each batch the receipts of its lines, splitting a message over two batches', () => {
    const q = new ReceiptQueue();
    q.push(3, [{ j: 'in1', s: 1, n: 3 }]);
    q.push(2, undefined); // lines of a message from elsewhere: no receipt
    q.push(2, [{ j: 'in1', s: 2, n: 5, i: [0, 4] }]);
    should(q.take(2)).eql([{ j: 'in1', s: 1, n: 3, i: [0, 1] }]);
    should(q.take(4)).eql([
      { j: 'in1', s: 1, n: 3, i: [2] },
      { j: 'in1', s: 2, n: 5, i: [0] },
    ]);
    should(q.take(10)).eql([{ j: 'in1', s: 2, n: 5, i: [4] }]);
    should(q.take(1)).eql([]);
    q.push(4, [{ j: 'in1', s: 3, n: 4 }]);
    should(q.clear()).eql([{ j: 'in1', s: 3, n: 4 }]);
    should(q.take(4)).eql([]);
  });

  it('ReceiptQueue stays exact over many messages (its runs are compacted as it goes)', () => {
    const q = new ReceiptQueue();
    let taken = 0;
    for (let s = 1; s <= 5000; s++) {
      q.push(1, [{ j: 'in1', s, n: 1 }]);
      if (s % 7 === 0) {
        const got = q.take(7);
        should(got.map((r) => r.s)).eql([1, 2, 3, 4, 5, 6, 7].map((k) => taken + k));
        taken += 7;
      }
    }
    should(q.take(Infinity)).have.length(5000 - taken);
  });
});
