// Requests from a core http in node, answered by the pack once their readings are durable (see
// lib/http/request-answers.ts): the response is taken off the message (an http response node
// further on has nothing to answer) and the readings get a receipt that settles the answer.

import type { NodeMessageInFlow } from 'node-red';
import { Answer, RequestAnswers } from '../lib/http/request-answers';
import { Receipt, receiptsOf, registerReceiptHolder } from '../lib/receipts/receipts';
import type { ReadingError } from '../lib/schema/reading-error';

/** What core http in puts on a message: msg.res wraps Express's response in _res. */
interface HttpResponse {
  headersSent?: boolean;
  status(code: number): HttpResponse;
  set(headers: Record<string, string>): HttpResponse;
  json(body: unknown): void;
}

export class HttpInRequests {
  private readonly holderId: string;
  private readonly requests: RequestAnswers;
  private readonly stopSettling: () => void;

  constructor(nodeId: string, timeoutMs: number) {
    this.holderId = `http:${nodeId}`;
    const requests = (this.requests = new RequestAnswers(timeoutMs));
    this.stopSettling = registerReceiptHolder(this.holderId, {
      settle: (seq, indexes, refused) => requests.settle(seq, indexes, refused),
      notKept: (seq, why) => requests.fail(seq, `the readings could not be kept: ${why}; send them again`),
    });
  }

  /** Takes over the answer of a request: its readings get a receipt. */
  take(msg: NodeMessageInFlow, readings: number): void {
    const res = this.responseOf(msg);
    if (!res) return;
    const receipt: Receipt = { j: this.holderId, s: this.requests.start(readings, answerWith(res)), n: readings };
    (msg as NodeMessageInFlow & { _receipts?: Receipt[] })._receipts = [receipt];
  }

  /** Answers a request whose payload holds no readings at all: 413 when too large, else 400. */
  refuseWhole(msg: NodeMessageInFlow, error: ReadingError): void {
    const res = this.responseOf(msg);
    if (!res) return;
    const e = error.toJSON();
    answerWith(res)({ status: e.code === 'payload_too_large' ? 413 : 400, body: { stored: 0, refused: [e] } });
  }

  /** Their receipts can no longer reach this node: the devices are told to send them again. */
  close(): void {
    this.stopSettling();
    this.requests.failAll('Node-RED is restarting this flow: the readings may not be stored; send them again');
  }

  /** Messages without msg.res pay one property read. */
  private responseOf(msg: NodeMessageInFlow): HttpResponse | undefined {
    const res = (msg as { res?: { _res?: HttpResponse } }).res?._res;
    if (!res || typeof res.status !== 'function' || typeof res.json !== 'function' || receiptsOf(msg)) return undefined;
    delete (msg as { res?: unknown }).res;
    return res;
  }
}

/** Answers a request once; a device that went away is not an error of the flow. */
function answerWith(res: HttpResponse): (a: Answer) => void {
  return (a) => {
    try {
      if (res.headersSent) return;
      res
        .status(a.status)
        .set(a.headers ?? {})
        .json(a.body);
    } catch {
      // the connection is gone: the device did not get a 2xx and sends the readings again
    }
  };
}
