// The writer's disk spool (store and forward): batches that cannot be written now are appended to
// segment files, each record checked by CRC-32, and handed back oldest first until the server has
// taken them. Segments are deleted when every record in them has been written; a restart replays
// what is left. A record a crash or power loss cut short or damaged is found on open, skipped and
// reported, and the intact records around it are kept. Replay is at least once: records of a
// segment already written before a restart are sent again, which InfluxDB 3 stores as the same
// points (a point with the same table, tags and time replaces the earlier one). Records the writer
// has loaded to write (loadNext) are acknowledged in order (ack) and never dropped to make room.

import fs from 'fs';
import path from 'path';
import { crc32 } from './crc32';
import { Chunk, joinedLength, writeJoined } from './joined-text';
import { ScratchBuffers } from './scratch-buffers';
import { PRECISIONS, Precision } from '../timestamps';

export interface SpoolRecord {
  database: string;
  precision: Precision;
  lines: number;
  payload: string;
}

/** What is appended: the payload as one text or as batches to be joined by newlines. */
export type SpoolInput = Omit<SpoolRecord, 'payload'> & { payload: string | readonly Chunk[] };

export type SpoolFullPolicy = 'reject' | 'drop-oldest';

export interface SpoolOptions {
  maxBytes: number;
  policy: SpoolFullPolicy;
  /** A segment is closed and a new one started past this size. */
  segmentBytes?: number;
}

export interface SpoolDamage {
  file: string;
  offset: number;
  bytes: number;
  reason: string;
}

export class SpoolFullError extends Error {
  constructor(maxBytes: number) {
    super(`the disk spool is full (${maxBytes} bytes) and set to reject new data: the readings were not accepted`);
  }
}

interface Entry extends RecordPlace {
  segment: Segment;
}

/** Where a record is in its segment, and what its header says. */
interface RecordPlace {
  offset: number;
  length: number;
  /** Bytes before the payload. */
  head: number;
  database: string;
  precision: Precision;
  lines: number;
}

/** Consecutive records of one database and precision, read into one buffer. */
export interface SpoolBatch {
  database: string;
  precision: Precision;
  lines: number;
  records: number;
  /** Each record's payload, a view into `buffer`. */
  payloads: Buffer[];
  buffer: Buffer;
}

interface Segment {
  file: string;
  bytes: number;
  pending: number;
}

const MAGIC = 0x49585350; // "IXSP"
const HEAD = 16;
const MAX_PART = 256 * 1024 * 1024;
const SEGMENT_BYTES = 8 * 1024 * 1024;

export class WriteSpool {
  private readonly entries: Entry[] = [];
  private readonly segments: Segment[] = [];
  private active?: { segment: Segment; fd: number };
  private nextNumber = 1;
  /** Lines dropped by the drop-oldest policy since the spool was opened. */
  droppedLines = 0;
  bytes = 0;
  private loadedCount = 0;
  private readonly scratch = new ScratchBuffers(2 * 1024 * 1024);

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {}

  /** Opens (creating) the spool directory and indexes what an earlier run left in it. */
  static async open(dir: string, options: SpoolOptions): Promise<{ spool: WriteSpool; damage: SpoolDamage[] }> {
    await fs.promises.mkdir(dir, { recursive: true });
    const spool = new WriteSpool(dir, options);
    const damage: SpoolDamage[] = [];
    const names = (await fs.promises.readdir(dir)).filter((n) => /^\d{8}\.spool$/.test(n)).sort();
    for (const name of names) {
      const file = path.join(dir, name);
      const data = await fs.promises.readFile(file);
      const segment: Segment = { file, bytes: data.length, pending: 0 };
      for (const found of scanRecords(data, damage, file)) {
        spool.entries.push({ segment, ...found });
        segment.pending++;
      }
      spool.nextNumber = Math.max(spool.nextNumber, Number(name.slice(0, 8)) + 1);
      if (segment.pending === 0) await fs.promises.rm(file, { force: true });
      else {
        spool.segments.push(segment);
        spool.bytes += data.length;
      }
    }
    return { spool, damage };
  }

  /** The most a record may hold so that it always fits (a fourth of the spool's size). */
  get maxRecordBytes(): number {
    return Math.floor(this.options.maxBytes / 4);
  }

  get records(): number {
    return this.entries.length;
  }

  get lines(): number {
    let n = 0;
    for (const e of this.entries) n += e.lines;
    return n;
  }

  /** Appends a record, synchronously: when this returns, the record is in the operating system's
   *  hands, so killing Node-RED right after cannot lose it. When the spool is full, refuses it
   *  (SpoolFullError) or first drops the oldest segments. */
  appendSync(record: SpoolInput): void {
    const scratch = this.scratch.take(recordLength(record));
    try {
      this.appendBytes(encodeRecord(record, scratch), record);
    } finally {
      this.scratch.give(scratch);
    }
  }

  private appendBytes(bytes: Buffer, record: SpoolInput): void {
    while (this.bytes + bytes.length > this.options.maxBytes) {
      if (this.options.policy === 'reject' || !this.dropOldest()) throw new SpoolFullError(this.options.maxBytes);
    }
    // Dropping the oldest drops a whole segment: an eighth of the spool at most.
    const limit =
      this.options.segmentBytes ?? Math.max(64 * 1024, Math.min(SEGMENT_BYTES, Math.floor(this.options.maxBytes / 8)));
    if (this.active && this.active.segment.bytes > 0 && this.active.segment.bytes + bytes.length > limit)
      this.closeActive();
    if (!this.active) {
      const file = path.join(this.dir, `${String(this.nextNumber++).padStart(8, '0')}.spool`);
      const segment: Segment = { file, bytes: 0, pending: 0 };
      this.active = { segment, fd: fs.openSync(file, 'a') };
      this.segments.push(segment);
    }
    const { segment, fd } = this.active;
    fs.writeSync(fd, bytes);
    const head = HEAD + bytes.readUInt32BE(4);
    this.entries.push({
      segment,
      offset: segment.bytes,
      length: bytes.length,
      head,
      database: record.database,
      precision: record.precision,
      lines: record.lines,
    });
    segment.bytes += bytes.length;
    segment.pending++;
    this.bytes += bytes.length;
  }

  /** The index-th oldest record not yet written (0: the oldest), read back from disk. */
  async read(index: number): Promise<SpoolRecord | undefined> {
    const batch = await this.readBatch(index, 0, 0, (n) => Buffer.allocUnsafe(n));
    if (!batch) return undefined;
    return {
      database: batch.database,
      precision: batch.precision,
      lines: batch.lines,
      payload: batch.payloads[0].toString('utf8'),
    };
  }

  /** The records from the index-th oldest on that share its database and precision, as many as
   *  fit maxLines and maxBytes (at least one), read into one buffer from `take`: a replay puts its
   *  bytes straight into the write, and nothing on the JS heap. */
  async readBatch(
    index: number,
    maxLines: number,
    maxBytes: number,
    take: (bytes: number) => Buffer,
  ): Promise<SpoolBatch | undefined> {
    const picked = this.pick(index, maxLines, maxBytes);
    return picked.length === 0 ? undefined : this.readPicked(picked, take);
  }

  /** Like readBatch, from the oldest record not loaded yet, which it marks loaded: loaded records
   *  are being written, and a full spool dropping its oldest never drops them. ack() releases
   *  them oldest first. */
  async loadNext(maxLines: number, maxBytes: number, take: (bytes: number) => Buffer): Promise<SpoolBatch | undefined> {
    const picked = this.pick(this.loadedCount, maxLines, maxBytes);
    if (picked.length === 0) return undefined;
    this.loadedCount += picked.length;
    try {
      return await this.readPicked(picked, take);
    } catch (e) {
      this.loadedCount -= picked.length;
      throw e;
    }
  }

  /** Records loaded by loadNext and not acknowledged yet (the oldest ones). */
  get loaded(): number {
    return this.loadedCount;
  }

  private pick(index: number, maxLines: number, maxBytes: number): Entry[] {
    const first = this.entries[index];
    if (!first) return [];
    const picked = [first];
    let lines = first.lines;
    let bytes = first.length - first.head;
    for (
      let e = this.entries[index + 1];
      e && e.database === first.database && e.precision === first.precision;
      e = this.entries[index + picked.length]
    ) {
      if (lines + e.lines > maxLines || bytes + 1 + e.length - e.head > maxBytes) break;
      picked.push(e);
      lines += e.lines;
      bytes += 1 + e.length - e.head;
    }
    return picked;
  }

  private async readPicked(picked: Entry[], take: (bytes: number) => Buffer): Promise<SpoolBatch> {
    const first = picked[0];
    const buffer = take(picked.reduce((n, e) => n + e.length, 0));
    const payloads: Buffer[] = [];
    let at = 0;
    // Records next to each other in one segment are read in one go.
    for (let i = 0; i < picked.length;) {
      let j = i + 1;
      while (
        j < picked.length &&
        picked[j].segment === picked[i].segment &&
        picked[j].offset === picked[j - 1].offset + picked[j - 1].length
      )
        j++;
      const length = picked[j - 1].offset + picked[j - 1].length - picked[i].offset;
      const fh = await fs.promises.open(picked[i].segment.file, 'r');
      try {
        const { bytesRead } = await fh.read(buffer, at, length, picked[i].offset);
        if (bytesRead !== length) throw new Error(`${picked[i].segment.file} is shorter than when it was written`);
      } finally {
        await fh.close();
      }
      for (let k = i; k < j; k++) {
        payloads.push(buffer.subarray(at + picked[k].head, at + picked[k].length));
        at += picked[k].length;
      }
      i = j;
    }
    const lines = picked.reduce((n, e) => n + e.lines, 0);
    return { database: first.database, precision: first.precision, lines, records: picked.length, payloads, buffer };
  }

  /** The oldest record was written: forget it at once (so indexes given to read() stay right),
   *  and delete its segment once all of it was. */
  ack(): void {
    const e = this.entries.shift();
    if (!e) return;
    if (this.loadedCount > 0) this.loadedCount--;
    e.segment.pending--;
    if (e.segment.pending === 0 && this.active?.segment !== e.segment) this.removeSegment(e.segment);
  }

  /** Flushes the active segment to disk and closes it. */
  close(): void {
    this.closeActive();
  }

  private closeActive(): void {
    if (!this.active) return;
    const { segment, fd } = this.active;
    this.active = undefined;
    try {
      fs.fsyncSync(fd);
    } catch {
      // a file system without fsync: the data is still written
    }
    fs.closeSync(fd);
    if (segment.pending === 0) this.removeSegment(segment);
  }

  /** Drops the oldest segment none of whose records is loaded (being written). */
  private dropOldest(): boolean {
    const lastLoaded = this.entries[this.loadedCount - 1]?.segment;
    const oldest = lastLoaded ? this.segments[this.segments.indexOf(lastLoaded) + 1] : this.segments[0];
    if (!oldest) return false;
    if (this.active?.segment === oldest) this.closeActive();
    const from = this.entries.findIndex((e) => e.segment === oldest);
    let n = 0;
    while (from >= 0 && this.entries[from + n]?.segment === oldest) n++;
    const dropped = from < 0 ? [] : this.entries.splice(from, n);
    this.droppedLines += dropped.reduce((sum, e) => sum + e.lines, 0);
    oldest.pending = 0;
    this.removeSegment(oldest);
    return true;
  }

  private removeSegment(segment: Segment): void {
    const i = this.segments.indexOf(segment);
    if (i < 0) return;
    this.segments.splice(i, 1);
    this.bytes -= segment.bytes;
    fs.rmSync(segment.file, { force: true });
  }
}

const headerOf = (r: SpoolInput) => JSON.stringify({ database: r.database, precision: r.precision, lines: r.lines });
const chunksOf = (r: SpoolInput) => (typeof r.payload === 'string' ? [r.payload] : r.payload);

function recordLength(r: SpoolInput): number {
  return HEAD + Buffer.byteLength(headerOf(r)) + joinedLength(chunksOf(r));
}

/** The record's bytes, encoded straight into `into` (at least recordLength long). */
function encodeRecord(r: SpoolInput, into: Buffer): Buffer {
  const header = headerOf(r);
  const chunks = chunksOf(r);
  const h = Buffer.byteLength(header);
  const p = joinedLength(chunks);
  const out = into.subarray(0, HEAD + h + p);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt32BE(h, 4);
  out.writeUInt32BE(p, 8);
  out.write(header, HEAD, 'utf8');
  writeJoined(out, HEAD + h, chunks);
  out.writeUInt32BE(crc32(out.subarray(HEAD + h), crc32(out.subarray(HEAD, HEAD + h))), 12);
  return out;
}

/** The intact records of a segment; what is damaged or cut short is skipped and reported, and the
 *  scan resumes at the next record marker. */
function scanRecords(data: Buffer, damage: SpoolDamage[], file: string): RecordPlace[] {
  const found: RecordPlace[] = [];
  let bad: { from: number; reason: string } | undefined;
  let at = 0;
  while (at < data.length) {
    const r = checkRecord(data, at);
    if (typeof r !== 'string') {
      if (bad) damage.push({ file, offset: bad.from, bytes: at - bad.from, reason: bad.reason });
      bad = undefined;
      found.push({ offset: at, ...r });
      at += r.length;
      continue;
    }
    bad ??= { from: at, reason: r };
    const next = data.indexOf(MAGIC_BYTES, at + 1);
    at = next < 0 ? data.length : next;
  }
  if (bad) damage.push({ file, offset: bad.from, bytes: data.length - bad.from, reason: bad.reason });
  return found;
}

const MAGIC_BYTES = Buffer.from([0x49, 0x58, 0x53, 0x50]);

function checkRecord(data: Buffer, at: number): Omit<RecordPlace, 'offset'> | string {
  if (data.length - at < HEAD) return 'cut short (a record header was not finished)';
  if (data.readUInt32BE(at) !== MAGIC) return 'no record marker';
  const h = data.readUInt32BE(at + 4);
  const p = data.readUInt32BE(at + 8);
  if (h > MAX_PART || p > MAX_PART) return 'impossible record lengths';
  const length = HEAD + h + p;
  if (at + length > data.length) return 'cut short (a record was not finished)';
  const header = data.subarray(at + HEAD, at + HEAD + h);
  if (crc32(data.subarray(at + HEAD + h, at + length), crc32(header)) !== data.readUInt32BE(at + 12))
    return 'checksum mismatch';
  try {
    const meta = JSON.parse(header.toString('utf8')) as {
      database?: unknown;
      lines?: unknown;
      precision?: unknown;
    } | null;
    if (
      typeof meta?.database !== 'string' ||
      typeof meta.lines !== 'number' ||
      !PRECISIONS.includes(meta.precision as Precision)
    )
      return 'unreadable record header';
    return {
      length,
      head: HEAD + h,
      database: meta.database,
      precision: meta.precision as Precision,
      lines: meta.lines,
    };
  } catch {
    return 'unreadable record header';
  }
}
