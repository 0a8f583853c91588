// HTTP requests whose answer waits until their readings are durable. A device that POSTs readings
// must learn whether they are safe: a 2xx only once every reading is stored (written or in the
// writer's disk spool) or refused with a reason; otherwise it keeps them and sends them again.
// Each request is an entry of receipts (the mechanism telemetry-mqtt-in's journal uses): the nodes
// downstream settle its readings, and the last settlement answers. What cannot be confirmed (a
// full spool, a flow that drops the message, a node that stops) is answered 503, so the device
// tries again; InfluxDB 3 keeps one point per series and time, so a reading sent twice is stored
// once (when the device sends its own timestamps).

/** Why a reading left on an error output instead of being stored. */
export interface Refusal {
  code: string;
  message: string;
  field?: string;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

interface Pending {
  readings: number;
  /** Readings settled so far: stored (true) or refused (their reason). */
  outcome: (true | Refusal | undefined)[];
  left: number;
  answer: (a: Answer) => void;
  timer: NodeJS.Timeout;
}

/** A refusal by InfluxDB 3 itself of the whole write: the device should try again later. */
export const SERVER_REFUSAL = 'rejected_by_server';
const RETRY_AFTER_S = '5';
/** A refusal whose node gave no reason. */
export const UNKNOWN_REFUSAL: Refusal = { code: 'refused', message: 'a node of the flow refused it' };

function isList(r: Refusal | readonly Refusal[]): r is readonly Refusal[] {
  return Array.isArray(r);
}

export class RequestAnswers {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  constructor(private readonly timeoutMs: number) {}

  get open(): number {
    return this.pending.size;
  }

  /** Starts a request of `readings` readings; returns its entry number for its receipt. */
  start(readings: number, answer: (a: Answer) => void): number {
    const seq = ++this.seq;
    const timer = setTimeout(
      () =>
        this.fail(
          seq,
          `not confirmed within ${this.timeoutMs / 1000} s: the readings may not be stored; send them again`,
        ),
      this.timeoutMs,
    );
    timer.unref?.();
    this.pending.set(seq, {
      readings,
      outcome: new Array<true | Refusal | undefined>(readings),
      left: readings,
      answer,
      timer,
    });
    if (readings === 0) this.finish(seq);
    return seq;
  }

  /** Readings of a request are safe: stored, or refused with the reasons given (one for all of
   *  them, or one per index). Unknown requests (answered already) are ignored. */
  settle(seq: number, indexes?: readonly number[], refused?: Refusal | readonly Refusal[]): void {
    const p = this.pending.get(seq);
    if (!p) return;
    const at = indexes ?? Array.from({ length: p.readings }, (_, i) => i);
    for (let k = 0; k < at.length; k++) {
      const i = at[k];
      if (i < 0 || i >= p.readings || p.outcome[i] !== undefined) continue;
      p.outcome[i] = refused === undefined ? true : isList(refused) ? (refused[k] ?? UNKNOWN_REFUSAL) : refused;
      p.left--;
    }
    if (p.left === 0) this.finish(seq);
  }

  /** Readings of a request could not be kept (the spool is full, the node is stopping). */
  fail(seq: number, why: string): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.end(seq, p, {
      status: 503,
      body: { error: why, stored: 0 },
      headers: { 'Retry-After': RETRY_AFTER_S },
    });
  }

  /** Answers every open request 503 (the node is stopping). */
  failAll(why: string): void {
    for (const seq of [...this.pending.keys()]) this.fail(seq, why);
  }

  private finish(seq: number): void {
    const p = this.pending.get(seq)!;
    let stored = 0;
    const refused: Record<string, unknown>[] = [];
    let byServer: string | undefined;
    p.outcome.forEach((o, index) => {
      if (o === true) stored++;
      else if (o) {
        if (o.code === SERVER_REFUSAL) byServer ??= o.message;
        // The index in the request, not the one the refusing node saw in its message.
        const why = { index, code: o.code, message: o.message };
        refused.push(o.field === undefined ? why : { ...why, field: o.field });
      }
    });
    if (byServer !== undefined)
      return this.end(seq, p, {
        status: 502,
        body: { error: `InfluxDB 3 refused the write: ${byServer}`, stored, refused },
        headers: { 'Retry-After': RETRY_AFTER_S },
      });
    this.end(
      seq,
      p,
      refused.length === 0 ? { status: 200, body: { stored } } : { status: 422, body: { stored, refused } },
    );
  }

  private end(seq: number, p: Pending, a: Answer): void {
    clearTimeout(p.timer);
    this.pending.delete(seq);
    p.answer(a);
  }
}
