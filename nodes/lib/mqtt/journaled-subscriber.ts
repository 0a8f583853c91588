// telemetry-mqtt-in's work: readings from an MQTT broker, at least once end to end. Each message is
// staged in the inbound journal when the shared connection offers it, and acknowledged only after
// the connection has had the journal commit it (shared-connection.ts, deferred-acks.ts). It leaves
// the journal when the pack's nodes downstream settle its receipts (lib/receipts): written or
// spooled by influxdb3-write, or refused with a reason on an error output. What the journal held at
// the last stop is sent again first. Receipts that never come back (a flow that drops the message)
// expire, with a warning and a count, so the journal cannot stall.

import type { IPublishPacket } from 'mqtt';
import { Receipt, registerReceiptHolder } from '../receipts/receipts';
import { PayloadLimits, decodePayload } from '../schema/payload';
import { errorMessage } from '../settings';
import {
  Clock,
  Counts,
  Log,
  Message,
  Status,
  StatusLine,
  Timers,
  compactCount,
  systemClock,
  systemTimers,
} from '../node-io';
import type { InboundJournal, RecoveredMessage } from './inbound-journal';
import type { MqttSubscriber, MqttSubscriptions, Take } from './subscriber';
import type { TopicFilter } from './topic-filter';
import { TopicKeys, fillFromTopic } from './topic-template';

/** Messages read back from the journal are sent this many at a time, between other events. */
export const REPLAY_SLICE = 500;
/** The same journal problem is said at most this often: a full disk fails at every reconnect. */
const SAY_AGAIN_MS = 60_000;

export interface JournaledSubscriberSettings {
  /** The node's id: receipts name it, and a redeployed node comes back under it. */
  id: string;
  filter: TopicFilter;
  qos: 0 | 1 | 2;
  template: TopicKeys | undefined;
  limits: PayloadLimits;
  receiptTimeoutMs: number;
}

export interface ReadingsMessage extends Message {
  topic: string;
  qos?: number;
  retain?: boolean;
  replayed?: boolean;
  _receipts: Receipt[];
}

export interface RefusedMessage extends Message {
  topic: string;
  payload: string;
  error: { code: string; message: string };
}

export interface SubscriberIO {
  /** Output 1. */
  sendReadings(msg: ReadingsMessage): void;
  /** Output 2: a message that holds no readings, with why. */
  sendRefused(msg: RefusedMessage): void;
  status: StatusLine;
  /** The connection's status text in the node's language (it may be a message catalogue key). */
  translate(text: string): string;
  log: Log;
  /** Messages and readings taken, refused by reason, and the broker's redeliveries. */
  counts?: Counts & { mqttRedeliveries: number };
}

export class JournaledSubscriber implements MqttSubscriber {
  readonly id: string;
  readonly filter: TopicFilter;
  readonly qos: 0 | 1 | 2;
  private readonly journal: InboundJournal;
  private recovered: RecoveredMessage[];
  private connection: Status = {};
  private full = false;
  private refused = 0;
  private expired = 0;
  private closed = false;
  private saidProblem = '';
  private saidAt = 0;
  private readonly sweepTimer: unknown;
  private readonly stopSettling: () => void;

  constructor(
    private readonly settings: JournaledSubscriberSettings,
    opened: { journal: InboundJournal; recovered: RecoveredMessage[] },
    private readonly broker: MqttSubscriptions,
    private readonly io: SubscriberIO,
    private readonly clock: Clock = systemClock,
    private readonly timers: Timers = systemTimers,
  ) {
    this.id = settings.id;
    this.filter = settings.filter;
    this.qos = settings.qos;
    this.journal = opened.journal;
    this.recovered = opened.recovered;
    // Stored, spooled or refused with a reason: the journal may forget them either way.
    this.stopSettling = registerReceiptHolder(settings.id, this);
    // Receipts that never come back (the flow dropped the message) expire.
    this.sweepTimer = timers.setInterval(this.sweep, Math.min(1000, settings.receiptTimeoutMs / 4));
  }

  /** Once every node of the flow can receive messages: what the journal kept goes first. */
  start(): void {
    try {
      this.replay();
      this.broker.register(this);
    } catch (e) {
      this.io.log.error(errorMessage(e));
    }
  }

  /** Stops taking messages (PUBACKs of taken ones go out), then closes the journal; what is still
   *  unconfirmed is sent again at the next start. */
  async close(removed: boolean): Promise<void> {
    this.timers.clearInterval(this.sweepTimer);
    this.io.status.stop();
    try {
      await this.broker.deregister(this, removed);
    } catch (e) {
      this.io.log.error(errorMessage(e));
    }
    this.closed = true;
    this.stopSettling();
    try {
      this.journal.close();
    } catch (e) {
      this.io.log.error(`closing the journal: ${errorMessage(e)}`);
    }
  }

  /** Readings of a journal entry are safe (receipts). */
  settle(seq: number, readingIndexes?: readonly number[]): void {
    if (this.closed || !this.journal.settle(seq, readingIndexes)) return;
    this.roomAgain();
    this.showStatus();
  }

  /** What the journal holds until the flow confirms it. */
  get journaled(): { bytes: number; items: number } {
    return { bytes: this.journal.bytes, items: this.journal.outstanding };
  }

  /** As the shared connection last said. */
  get connected(): boolean {
    return this.connection.fill === 'green';
  }

  status(s: Status): void {
    this.connection = s;
    this.showStatus();
  }

  // The hot path: one call per message, no closure made.
  take(packet: IPublishPacket): Take {
    if (this.closed) return 'full';
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const decoded = decodePayload(payload, this.settings.limits);
    if (decoded.kind === 'refused') {
      this.refuse(packet.topic, payload, decoded.error.code, decoded.error.message);
      this.count(packet, 1, decoded.error.code);
      return 'taken';
    }
    const count = decoded.kind === 'one' ? 1 : decoded.readings.length;
    if (count === 0) {
      this.count(packet, 0);
      return 'taken';
    }
    const j = this.journal;
    if (!j.hasRoom(Buffer.byteLength(packet.topic), payload.length)) {
      if (!this.full) {
        this.full = true;
        this.io.log.warn(
          `the journal is full (${compactCount(j.outstanding)} messages, ${(j.bytes / 1048576).toFixed(1)} MB): taking no more until the flow confirms some; the broker keeps them meanwhile`,
        );
        this.io.status.now({ fill: 'yellow', shape: 'ring', text: 'paused: journal full' });
      }
      return 'full';
    }
    let seq: number;
    try {
      seq = j.stage(packet.topic, payload, count, this.clock.now());
    } catch (e) {
      this.journalFailed(e);
      throw e;
    }
    const msg = this.readingsMessage(
      packet.topic,
      seq,
      count,
      decoded.kind === 'one' ? decoded.reading : decoded.readings,
    );
    msg.qos = packet.qos;
    msg.retain = packet.retain;
    this.count(packet, count);
    this.io.sendReadings(msg);
    this.showStatus();
    return 'taken';
  }

  /** A message taken: its readings passed on, or refused whole for `refusedAs`. */
  private count(packet: IPublishPacket, readings: number, refusedAs?: string): void {
    const counts = this.io.counts;
    if (!counts) return;
    counts.messagesIn++;
    if (packet.dup) counts.mqttRedeliveries++;
    counts.readingsIn += readings;
    if (refusedAs === undefined) counts.readingsOut += readings;
    else counts.refuse(refusedAs, readings);
  }

  commit(): void {
    try {
      this.journal.commit();
    } catch (e) {
      this.journalFailed(e);
      throw e;
    }
  }

  private readingsMessage(topic: string, seq: number, count: number, reading: unknown): ReadingsMessage {
    const template = this.settings.template;
    if (template) {
      const keys = template(topic);
      if (keys) {
        if (Array.isArray(reading)) for (const r of reading) fillFromTopic(r, keys);
        else fillFromTopic(reading, keys);
      }
    }
    return { topic, payload: reading, _receipts: [{ j: this.id, s: seq, n: count }] };
  }

  private refuse(topic: string, payload: Buffer, code: string, message: string): void {
    this.refused++;
    const text = payload.length <= 4096 ? payload.toString('utf8') : `${payload.subarray(0, 4096).toString('utf8')}…`;
    this.io.sendRefused({ topic, payload: text, error: { code, message } });
    this.showStatus();
  }

  /** A journal write failed: said here (the same problem once a minute), and thrown on by the
   *  caller to the connection, which then acknowledges nothing and reconnects, so that the broker
   *  sends again what was not written. */
  private journalFailed(e: unknown): void {
    const problem = errorMessage(e);
    const now = this.clock.now();
    if (problem !== this.saidProblem || now - this.saidAt >= SAY_AGAIN_MS) {
      this.io.log.error(`cannot write the inbound journal in ${this.journal.dir}: ${problem}`);
      this.saidProblem = problem;
      this.saidAt = now;
    }
  }

  private roomAgain(): void {
    if (!this.full) return;
    this.full = false;
    this.broker.roomFreed();
  }

  private showStatus(): void {
    this.io.status.set(this.describeStatus);
  }

  private readonly describeStatus = (): Status => {
    const held = `${compactCount(this.journal.outstanding)} held`;
    if (this.full) return { fill: 'yellow', shape: 'ring', text: `paused: journal full · ${held}` };
    const c = this.connection;
    const base = c.text ? `${this.io.translate(c.text)} · ` : '';
    const extra = `${this.refused ? ` · ${compactCount(this.refused)} refused` : ''}${this.expired ? ` · ${compactCount(this.expired)} expired` : ''}`;
    return { fill: c.fill ?? 'grey', shape: c.shape ?? 'ring', text: `${base}${held}${extra}` };
  };

  private readonly sweep = () => {
    const j = this.journal;
    try {
      j.flush();
    } catch (e) {
      // What was staged is told to the connection at its next commit.
      this.journalFailed(e);
    }
    const n = j.expire(this.clock.now() - this.settings.receiptTimeoutMs);
    if (n === 0) return;
    this.expired += n;
    this.io.log.warn(
      `${n} message(s) were not confirmed within ${this.settings.receiptTimeoutMs / 1000} s and leave the journal unconfirmed (${this.expired} since start): a node of the flow dropped them, or did not keep msg._receipts`,
    );
    this.roomAgain();
    this.showStatus();
  };

  private replay(): void {
    if (this.recovered.length === 0) return;
    const pending = this.recovered;
    this.recovered = [];
    this.io.log.log(`sending again ${pending.length} message(s) not confirmed before the last stop`);
    // Kept before, so taken whatever the limit is now.
    const limits = { ...this.settings.limits, maxPayloadBytes: Infinity };
    let at = 0;
    const slice = () => {
      if (this.closed) return;
      const end = Math.min(pending.length, at + REPLAY_SLICE);
      for (; at < end; at++) {
        const m = pending[at];
        const decoded = decodePayload(m.payload, limits);
        if (decoded.kind === 'refused') {
          this.journal.settle(m.seq);
          continue;
        }
        this.journal.touch(m.seq, this.clock.now());
        const msg = this.readingsMessage(
          m.topic,
          m.seq,
          m.readings,
          decoded.kind === 'one' ? decoded.reading : decoded.readings,
        );
        msg.replayed = true;
        // Taken before the stop, passed on now: counted as readings in and out again.
        if (this.io.counts) {
          this.io.counts.readingsIn += m.readings;
          this.io.counts.readingsOut += m.readings;
        }
        this.io.sendReadings(msg);
      }
      // Yields to the event loop (not a wait), so messages arriving meanwhile are not held up.
      if (at < pending.length) setImmediate(slice);
    };
    slice();
  }
}
