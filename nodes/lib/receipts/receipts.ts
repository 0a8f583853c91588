// Receipts: how telemetry-mqtt-in learns that the readings of a message it acknowledged are safe,
// and how telemetry-validate learns when to answer an HTTP request (lib/http/request-answers.ts).
// Each message carries msg._receipts, one receipt per entry (a journal entry, a request) whose
// readings it holds, in order. The pack's nodes downstream carry them on (telemetry-validate drops the
// readings it refuses from them, telemetry-line-protocol puts them on the batch that holds their
// lines) and settle them: influxdb3-write when the lines are written or spooled, any of them when
// a reading leaves on an error output with its reason (given to the holder, for a device's answer).
// A receipt is plain data, so it survives Node-RED's cloning at fan-out and any node that forwards
// the message; settling twice is harmless. Settling goes through this process-wide registry, keyed
// by the holder's id, so a receipt from before a redeploy settles into the journal the node has
// reopened.

import { Refusal, UNKNOWN_REFUSAL } from '../http/request-answers';
export type { Refusal };

export interface Receipt {
  /** The holder it belongs to: a telemetry-mqtt-in node (journal), a validate node's requests. */
  j: string;
  /** The journal entry. */
  s: number;
  /** Readings in the entry. */
  n: number;
  /** Which of the entry's readings this message carries, when not all of them. */
  i?: number[];
}

/** Who keeps the entries receipts stand for. */
export interface ReceiptHolder {
  /** Readings of entry `seq` (all of them without indexes) are safe: stored or spooled, or, with
   *  `refused` (one reason for all, or one per index), handed out of an error output. */
  settle(seq: number, readingIndexes?: readonly number[], refused?: Refusal | readonly Refusal[]): void;
  /** Readings of entry `seq` could not be kept anywhere (a full spool): the holder still has them. */
  notKept?(seq: number, why: string): void;
}

const holders = new Map<string, ReceiptHolder>();

/** Starts taking settlements for a holder; returns the function that stops it. */
export function registerReceiptHolder(id: string, holder: ReceiptHolder): () => void {
  holders.set(id, holder);
  return () => {
    if (holders.get(id) === holder) holders.delete(id);
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

/** Every reading of the receipts is safe: stored or spooled, or refused for `refused`. */
export function settleReceipts(receipts: readonly Receipt[] | undefined, refused?: Refusal): void {
  if (!receipts) return;
  for (const r of receipts) holders.get(r.j)?.settle(r.s, r.i, refused);
}

/** The readings of the receipts could not be kept: their holders keep them (or answer so). */
export function notKeptReceipts(receipts: readonly Receipt[] | undefined, why: string): void {
  if (!receipts) return;
  for (const r of receipts) holders.get(r.j)?.notKept?.(r.s, why);
}

/** How many readings the receipts cover. */
export function coveredReadings(receipts: readonly Receipt[]): number {
  let n = 0;
  for (const r of receipts) n += r.i ? r.i.length : r.n;
  return n;
}

/** For a message whose readings were judged one by one: settles the receipts of the readings at
 *  `refused` positions (they left with a reason, `reasons[k]` for `refused[k]` when given) and
 *  returns the receipts of the rest, or undefined when none are left. `refused` is in ascending
 *  order. The receipts must cover exactly the message's readings (check with coveredReadings first). */
export function keepReceipts(
  receipts: Receipt[],
  refused: readonly number[],
  reasons?: readonly Refusal[],
): Receipt[] | undefined {
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
    const why: Refusal[] = [];
    for (let k = 0; k < count; k++, position++) {
      const index = r.i ? r.i[k] : k;
      if (next < refused.length && refused[next] === position) {
        drop.push(index);
        if (reasons?.[next]) why.push(reasons[next]);
        next++;
      } else keep.push(index);
    }
    holders.get(r.j)?.settle(r.s, drop, why.length === drop.length ? why : UNKNOWN_REFUSAL);
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
