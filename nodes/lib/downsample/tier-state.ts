// A tier's progress on disk: the watermark (every bucket before it is done and durable), how far
// its points are known to be written (what a coarser tier may read), how far the finer tier it
// reads from is complete, and a backfill under way. Written atomically after every chunk, so a
// crash, a redeploy or a restart resumes where the tier stopped, and never re-reads a half state.

import { readFileIfExists, writeFileAtomic } from '../atomic-file';
import type { TierSpec } from './tier-spec';

export interface Backfill {
  from: number;
  to: number;
  /** The next bucket to compute. */
  next: number;
}

export interface TierState {
  /** The tier it belongs to (source, target, bucket): a state of another tier is not used. */
  tier: string;
  watermark?: number;
  writtenThrough?: number;
  upstreamThrough?: number;
  backfill?: Backfill;
}

const VERSION = 1;

export function tierFingerprint(spec: TierSpec): string {
  const s = spec.source;
  const t = spec.target;
  return JSON.stringify([s.database, s.table, s.kind, t.database, t.table, spec.bucketMs]);
}

export interface StateStore {
  load(): TierState | undefined;
  save(state: TierState): void;
}

/** The state in one JSON file. A file of another tier (the node's settings changed) or an
 *  unreadable one is reported through `warn` and the tier starts afresh. */
export class TierStateFile implements StateStore {
  constructor(
    readonly file: string,
    private readonly fingerprint: string,
    private readonly warn: (message: string) => void,
  ) {}

  load(): TierState | undefined {
    const text = readFileIfExists(this.file);
    if (text === undefined) return undefined;
    let doc: { version?: unknown; state?: TierState };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (e) {
      this.warn(`the state file ${this.file} is not JSON (${(e as Error).message}): starting afresh`);
      return undefined;
    }
    if (doc.version !== VERSION || !doc.state || typeof doc.state !== 'object') {
      this.warn(`the state file ${this.file} is of an unknown version: starting afresh`);
      return undefined;
    }
    if (doc.state.tier !== this.fingerprint) {
      this.warn(
        `the source, target or bucket changed since the state file ${this.file} was written: the tier starts afresh (send msg.backfill to recompute history)`,
      );
      return undefined;
    }
    return doc.state;
  }

  save(state: TierState): void {
    writeFileAtomic(this.file, JSON.stringify({ version: VERSION, state }));
  }
}

/** For tests and tools: the state in memory. */
export class MemoryStateStore implements StateStore {
  state?: TierState;
  load(): TierState | undefined {
    return this.state && { ...this.state };
  }
  save(state: TierState): void {
    this.state = JSON.parse(JSON.stringify(state)) as TierState;
  }
}
