// telemetry-mqtt-in's inbound journal: every message is written here, synchronously, before its
// PUBACK goes to the broker, and stays until the pack's nodes downstream have made its readings
// durable (settle). After a crash or a restart, what was not settled is read back and sent again.
//
// Durability: messages are staged in memory and committed with one write(2) (no fsync) for all
// staged so far; the broker node commits before it sends their acknowledgements. A killed process
// loses nothing committed (the kernel has the bytes), and what was only staged was not
// acknowledged, so the broker sends it again; a power cut loses what the OS had not yet written.
//
// Layout: segment files seg-<first seq>.log of records
//   M <seq> <readings> <topic bytes> <payload bytes>\n<topic><payload>\n   a message
//   D <seq> <seq> ...\n                                                    messages settled
// A record cut short by a kill can only be the last of its segment (appends only; a restart opens
// a new segment), and is ignored. A segment is deleted once every message in it is settled; the
// D records it held may then be lost, which can only make a message come back twice, never lose
// one. Sequence numbers only grow, across restarts too (the newest segment's name keeps them), so
// a receipt of an earlier run can never settle a different message.

import fs from 'node:fs';
import path from 'node:path';

export interface JournalOptions {
  /** The journal's size limit: past it, hasRoom() says no until settled segments are deleted. */
  maxBytes: number;
  /** Size at which a new segment is started (default: an eighth of maxBytes, at most 8 MB). */
  segmentBytes?: number;
}

export interface RecoveredMessage {
  seq: number;
  topic: string;
  payload: Buffer;
  readings: number;
}

interface Segment {
  file: string;
  bytes: number;
  /** Messages in this segment not yet settled. */
  live: number;
}

interface Entry {
  segment: Segment;
  readings: number;
  /** Readings not yet settled, and which (only once a part was settled). */
  left: number;
  settled?: Uint8Array;
  takenAt: number;
}

const SEGMENT = /^seg-(\d{1,16})\.log$/;
const MARKS_PER_RECORD = 512;
/** Staged records are gathered in a buffer of this size; a larger record is written on its own. */
const STAGE_BYTES = 64 * 1024;

export class InboundJournal {
  private readonly entries = new Map<number, Entry>();
  private readonly segments: Segment[] = [];
  private active!: Segment;
  private fd = -1;
  private nextSeq = 1;
  private totalBytes = 0;
  private marks: number[] = [];
  private readonly segmentBytes: number;
  private readonly staging = Buffer.allocUnsafe(STAGE_BYTES);
  private stagedBytes = 0;
  /** Sequence numbers staged and not yet committed. */
  private stagedSeqs: number[] = [];
  /** A write failed part-way: the segment may end in a torn record, so the next write starts a new one. */
  private torn = false;
  /** Why staged messages were dropped, until a commit (or stage) has said so. */
  private lost: Error | undefined;

  private constructor(
    readonly dir: string,
    private readonly options: JournalOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? Math.min(8 * 1024 * 1024, Math.max(4096, options.maxBytes / 8));
  }

  /** Opens (or creates) the journal in dir; returns it with the messages not yet settled. */
  static open(dir: string, options: JournalOptions): { journal: InboundJournal; recovered: RecoveredMessage[] } {
    fs.mkdirSync(dir, { recursive: true });
    const j = new InboundJournal(dir, options);
    const recovered = j.recover();
    return { journal: j, recovered };
  }

  /** Messages taken and not yet settled. */
  get outstanding(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get limitBytes(): number {
    return this.options.maxBytes;
  }

  /** Whether a message of this size fits. An empty journal takes any message, so one larger than
   *  the limit cannot stall the stream for ever. */
  hasRoom(topicBytes: number, payloadBytes: number): boolean {
    return this.entries.size === 0 || this.totalBytes + recordSize(topicBytes, payloadBytes) <= this.options.maxBytes;
  }

  /** Appends a message and commits it (one write); returns its sequence number. */
  append(topic: string, payload: Buffer, readings: number, now = Date.now()): number {
    const seq = this.stage(topic, payload, readings, now);
    this.commit();
    return seq;
  }

  /** Stages a message: it counts as taken (settle, hasRoom) but reaches the file at the next
   *  commit, so it must not be acknowledged before. Returns its sequence number. Throws when a
   *  write it needed failed: then nothing staged since the last commit may be acknowledged. */
  stage(topic: string, payload: Buffer, readings: number, now = Date.now()): number {
    if (this.fd < 0) throw new Error('the inbound journal is closed');
    try {
      if (this.torn || this.active.bytes >= this.segmentBytes) this.roll();
      const topicBytes = Buffer.byteLength(topic);
      const header = `M ${this.nextSeq} ${readings} ${topicBytes} ${payload.length}\n`;
      const size = header.length + topicBytes + payload.length + 1;
      if (this.stagedBytes + size > this.staging.length) this.writeStaged();
      const seq = this.nextSeq++;
      const big = size > this.staging.length;
      const record = big ? Buffer.allocUnsafe(size) : this.staging;
      let at = big ? 0 : this.stagedBytes;
      at += record.write(header, at, 'latin1');
      at += record.write(topic, at, 'utf8');
      at += payload.copy(record, at);
      record[at] = 0x0a;
      this.stagedSeqs.push(seq);
      this.active.bytes += size;
      this.active.live++;
      this.totalBytes += size;
      this.entries.set(seq, { segment: this.active, readings, left: readings, takenAt: now });
      if (big) this.write(record, size);
      else this.stagedBytes += size;
      return seq;
    } catch (e) {
      this.lost = undefined; // told now, to the one that would acknowledge
      throw e;
    }
  }

  /** Writes what was staged, in one write. Throws when it cannot, or when messages staged since
   *  the last commit were lost in an earlier write that failed (one a settle or flush made):
   *  either way, nothing staged since the last commit may be acknowledged (those messages are
   *  dropped; the broker sends them again). */
  commit(): void {
    const lost = this.lost;
    try {
      this.writeStaged();
    } finally {
      this.lost = undefined; // told now, either way
    }
    if (lost) throw lost;
  }

  /** Settles readings of a message (all of them without indexes); true when that settled the
   *  whole message. Unknown sequence numbers (settled before, or from a deleted segment) are
   *  ignored, and so are readings settled twice. */
  settle(seq: number, readingIndexes?: readonly number[]): boolean {
    const e = this.entries.get(seq);
    if (!e) return false;
    if (readingIndexes && !(e.readings === 1 && readingIndexes.includes(0))) {
      const settled = (e.settled ??= new Uint8Array(e.readings));
      for (const i of readingIndexes) {
        if (i >= 0 && i < e.readings && settled[i] === 0) {
          settled[i] = 1;
          e.left--;
        }
      }
      if (e.left > 0) return false;
    }
    this.finish(seq, e);
    return true;
  }

  /** Settles every message taken before `before` (ms); returns how many. */
  expire(before: number): number {
    let n = 0;
    for (const [seq, e] of this.entries) {
      if (e.takenAt >= before) continue;
      this.finish(seq, e);
      n++;
    }
    return n;
  }

  /** Restarts the clock of the messages read back at open, from when they are sent again. */
  touch(seq: number, now = Date.now()): void {
    const e = this.entries.get(seq);
    if (e) e.takenAt = now;
  }

  /** Writes what was staged, then the settle records not yet written. */
  flush(): void {
    if (this.fd < 0) return;
    if (this.torn) this.roll();
    this.writeStaged();
    if (this.marks.length === 0) return;
    const marks = this.marks;
    this.marks = [];
    let text = '';
    for (let i = 0; i < marks.length; i += MARKS_PER_RECORD)
      text += `D ${marks.slice(i, i + MARKS_PER_RECORD).join(' ')}\n`;
    const record = Buffer.from(text, 'latin1');
    this.active.bytes += record.length;
    this.totalBytes += record.length;
    this.write(record, record.length);
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  private writeStaged(): void {
    if (this.stagedBytes === 0) {
      this.stagedSeqs.length = 0;
      return;
    }
    const n = this.stagedBytes;
    this.stagedBytes = 0;
    this.write(this.staging, n);
  }

  /** One write of the active segment's next bytes (already counted in its size). A write that fails
   *  drops the messages it held, and the next write goes to a new segment, after the torn bytes. */
  private write(buf: Buffer, length: number): void {
    const seqs = this.stagedSeqs;
    this.stagedSeqs = [];
    try {
      let at = 0;
      while (at < length) at += fs.writeSync(this.fd, buf, at, length - at);
    } catch (e) {
      this.torn = true;
      if (seqs.length > 0) this.lost = e instanceof Error ? e : new Error(String(e));
      for (const seq of seqs) {
        const entry = this.entries.get(seq);
        if (!entry) continue;
        this.entries.delete(seq);
        entry.segment.live--;
      }
      throw e;
    }
  }

  private finish(seq: number, e: Entry): void {
    this.entries.delete(seq);
    this.marks.push(seq);
    const s = e.segment;
    s.live--;
    if (s.live === 0 && s !== this.active) this.drop(s);
    else if (this.marks.length >= MARKS_PER_RECORD) {
      try {
        this.flush();
      } catch {
        // Settling never fails: lost settle records only bring messages back twice, and lost
        // staged messages are told at the next commit. The next flush (each second) reports it.
      }
    }
  }

  private drop(s: Segment): void {
    const i = this.segments.indexOf(s);
    if (i >= 0) this.segments.splice(i, 1);
    this.totalBytes -= s.bytes;
    try {
      fs.unlinkSync(s.file);
    } catch {
      // Already gone: the space is free either way.
    }
  }

  private roll(): void {
    // A torn segment takes nothing more: the settle records wait for the new one.
    if (!this.torn) this.flush();
    const old = this.active;
    const oldFd = this.fd;
    this.openSegment(); // when this fails, the old segment stays, and the next write tries again
    this.torn = false;
    try {
      fs.closeSync(oldFd);
    } catch {
      // Its bytes are written (or counted lost) either way.
    }
    if (old.live === 0) this.drop(old);
  }

  /** Opens a new active segment, under a name no segment has: one that took no message since it
   *  was opened would otherwise be opened twice (and deleted as empty), or a torn one written on. */
  private openSegment(): void {
    const name = () => path.join(this.dir, `seg-${String(this.nextSeq).padStart(12, '0')}.log`);
    while (this.segments.some((s) => s.file === name())) this.nextSeq++;
    const file = name();
    const fd = fs.openSync(file, 'a');
    let bytes: number;
    try {
      bytes = fs.fstatSync(fd).size;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    this.fd = fd;
    this.active = { file, bytes, live: 0 };
    this.segments.push(this.active);
    this.totalBytes += bytes;
  }

  private recover(): RecoveredMessage[] {
    const files = fs
      .readdirSync(this.dir)
      .map((f) => ({ f, m: SEGMENT.exec(f) }))
      .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
      .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
    const messages = new Map<number, { segment: Segment; message: RecoveredMessage }>();
    let maxSeq = 0;
    for (const { f, m } of files) {
      const file = path.join(this.dir, f);
      const data = fs.readFileSync(file);
      const segment: Segment = { file, bytes: data.length, live: 0 };
      this.segments.push(segment);
      this.totalBytes += data.length;
      maxSeq = Math.max(maxSeq, Number(m[1]) - 1);
      for (const r of readRecords(data)) {
        if (r.kind === 'M') {
          messages.set(r.message.seq, { segment, message: r.message });
          maxSeq = Math.max(maxSeq, r.message.seq);
        } else {
          for (const seq of r.seqs) {
            messages.delete(seq);
            maxSeq = Math.max(maxSeq, seq);
          }
        }
      }
    }
    this.nextSeq = maxSeq + 1;
    const now = Date.now();
    for (const [seq, { segment, message }] of messages) {
      segment.live++;
      this.entries.set(seq, { segment, readings: message.readings, left: message.readings, takenAt: now });
    }
    // A fresh segment first, so its name keeps the sequence even when every old one is deleted.
    this.openSegment();
    for (const s of [...this.segments]) if (s.live === 0 && s !== this.active) this.drop(s);
    return [...messages.values()].map((x) => x.message);
  }
}

export function recordSize(topicBytes: number, payloadBytes: number): number {
  return 40 + topicBytes + payloadBytes;
}

type JournalRecord = { kind: 'M'; message: RecoveredMessage } | { kind: 'D'; seqs: number[] };

/** The whole records of a segment, stopping at the first one cut short or damaged. */
export function* readRecords(data: Buffer): Generator<JournalRecord> {
  let at = 0;
  while (at < data.length) {
    const nl = data.indexOf(0x0a, at);
    if (nl < 0) return;
    const header = data.toString('latin1', at, nl);
    if (header.startsWith('D ')) {
      const seqs = header.slice(2).split(' ').map(Number);
      if (seqs.some((s) => !Number.isSafeInteger(s))) return;
      yield { kind: 'D', seqs };
      at = nl + 1;
      continue;
    }
    const m = /^M (\d+) (\d+) (\d+) (\d+)$/.exec(header);
    if (!m) return;
    const topicBytes = Number(m[3]);
    const payloadBytes = Number(m[4]);
    const start = nl + 1;
    const end = start + topicBytes + payloadBytes;
    if (end >= data.length || data[end] !== 0x0a) return;
    yield {
      kind: 'M',
      message: {
        seq: Number(m[1]),
        readings: Number(m[2]),
        topic: data.toString('utf8', start, start + topicBytes),
        payload: Buffer.from(data.subarray(start + topicBytes, end)),
      },
    };
    at = end + 1;
  }
}
