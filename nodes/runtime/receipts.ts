// Receipts: how telemetry-mqtt-in learns that the readings of a message it acknowledged are safe.
// Each message it sends carries msg._receipts, one receipt per journal entry whose readings it
// holds, in order. The pack's nodes downstream carry them on (telemetry-validate drops the
// readings it refuses from them, telemetry-line-protocol puts them on the batch that holds their
// lines) and settle them: influxdb3-write when the lines are written or spooled, any of them when
// a reading leaves on an error output with its reason. A receipt is plain data, so it survives
// Node-RED's cloning at fan-out and any node that forwards the message; settling twice is harmless.
// Settling goes through this process-wide registry, keyed by the telemetry-mqtt-in node's id, so a
// receipt from before a redeploy settles into the journal the node has reopened.

export interface Receipt {
  /** The telemetry-mqtt-in node (journal) it belongs to. */
  j: string;
  /** The journal entry. */
  s: number;
  /** Readings in the entry. */
  n: number;
  /** Which of the entry's readings this message carries, when not all of them. */
  i?: number[];
}

type Settler = (seq: number, readingIndexes?: readonly number[]) => void;

const journals = new Map<string, Settler>();

/** Starts taking settlements for a journal; returns the function that stops it. */
export function registerJournal(id: string, settle: Settler): () => void {
  journals.set(id, settle);
  return () => {
    if (journals.get(id) === settle) journals.delete(id);
  };
}

/** The receipts a message carries, or undefined when it has none (or something that is not). */
export function receiptsOf(msg: object): Receipt[] | undefined {
  const r = (msg as { _receipts?: unknown })._receipts;
  if (!Array.isArray(r) || r.length === 0) return undefined;
  return r.every(isReceipt) ? (r as Receipt[]) : undefined;
}

function isReceipt(r: unknown): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Partial<Receipt>;
  return (
    typeof x.j === 'string' &&
    Number.isSafeInteger(x.s) &&
    Number.isSafeInteger(x.n) &&
    (x.i === undefined || Array.isArray(x.i))
  );
}

export function settleReceipts(receipts: readonly Receipt[] | undefined): void {
  if (!receipts) return;
  for (const r of receipts) journals.get(r.j)?.(r.s, r.i);
}

/** How many readings the receipts cover. */
export function coveredReadings(receipts: readonly Receipt[]): number {
  let n = 0;
  for (const r of receipts) n += r.i ? r.i.length : r.n;
  return n;
}

/** For a message whose readings were judged one by one: settles the receipts of the readings at
 *  `refused` positions (they left with a reason) and returns the receipts of the rest, or
 *  undefined when none are left. `refused` is in ascending order. The receipts must cover exactly
 *  the message's readings (check with coveredReadings first). */
export function keepReceipts(receipts: Receipt[], refused: readonly number[]): Receipt[] | undefined {
  if (refused.length === 0) return receipts;
  const kept: Receipt[] = [];
  let position = 0;
  let next = 0;
  for (const r of receipts) {
    const count = r.i ? r.i.length : r.n;
    const end = position + count;
    if (next >= refused.length || refused[next] >= end) {
      kept.push(r);
      position = end;
      continue;
    }
    const keep: number[] = [];
    const drop: number[] = [];
    for (let k = 0; k < count; k++, position++) {
      const index = r.i ? r.i[k] : k;
      if (next < refused.length && refused[next] === position) {
        drop.push(index);
        next++;
      } else keep.push(index);
    }
    journals.get(r.j)?.(r.s, drop);
    if (keep.length > 0) kept.push({ j: r.j, s: r.s, n: r.n, i: keep });
  }
  return kept.length > 0 ? kept : undefined;
}

interface Run {
  /** Lines in this run. */
  lines: number;
  receipt?: Receipt;
}

/** Receipts of lines waiting in telemetry-line-protocol's buffer, in the buffer's order, so each
 *  batch gets the receipts of exactly the lines it holds (a message's lines may span two). */
export class ReceiptQueue {
  private runs: Run[] = [];
  private head = 0;
  /** Lines of runs[head] already taken. */
  private offset = 0;

  /** The lines of one message, with the receipts of its readings (one line each, in order). */
  push(lines: number, receipts: Receipt[] | undefined): void {
    if (!receipts) {
      const last = this.runs[this.runs.length - 1];
      if (last && !last.receipt && this.runs.length > this.head) last.lines += lines;
      else this.runs.push({ lines });
      return;
    }
    for (const r of receipts) this.runs.push({ lines: r.i ? r.i.length : r.n, receipt: r });
  }

  /** The receipts of the next `lines` lines. */
  take(lines: number): Receipt[] {
    const out: Receipt[] = [];
    while (lines > 0 && this.head < this.runs.length) {
      const run = this.runs[this.head];
      const available = run.lines - this.offset;
      const n = Math.min(available, lines);
      if (run.receipt) {
        if (this.offset === 0 && n === run.lines) out.push(run.receipt);
        else {
          const all = run.receipt.i ?? Array.from({ length: run.receipt.n }, (_, k) => k);
          out.push({ ...run.receipt, i: all.slice(this.offset, this.offset + n) });
        }
      }
      lines -= n;
      if (n === available) {
        this.head++;
        this.offset = 0;
      } else this.offset += n;
    }
    if (this.head > 1024 && this.head * 2 > this.runs.length) {
      this.runs = this.runs.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Everything queued (msg.reset dropped the buffer). */
  clear(): Receipt[] {
    const all = this.take(Infinity);
    this.runs = [];
    this.head = 0;
    this.offset = 0;
    return all;
  }
}
