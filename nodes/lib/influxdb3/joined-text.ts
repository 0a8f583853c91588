// Batches of line protocol travel as the texts (or spooled bytes) they arrived in and are joined by
// newlines only when they are turned into a write's body: joining them as one string first would
// put a second copy of every write on the JS heap.

export type Chunk = string | Buffer;

/** Bytes of the texts as UTF-8, joined by newlines. */
export function joinedLength(chunks: readonly Chunk[]): number {
  let n = Math.max(0, chunks.length - 1);
  for (const c of chunks) n += typeof c === 'string' ? Buffer.byteLength(c) : c.length;
  return n;
}

/** Writes the texts joined by newlines into `out` from `at`; returns where it ended. */
export function writeJoined(out: Buffer, at: number, chunks: readonly Chunk[]): number {
  chunks.forEach((c, i) => {
    if (i > 0) out[at++] = 10;
    at += typeof c === 'string' ? out.write(c, at, 'utf8') : c.copy(out, at);
  });
  return at;
}

/** The texts joined by newlines, as text. */
export function joinedText(chunks: readonly Chunk[]): string {
  const texts = chunks.map((c) => (typeof c === 'string' ? c : c.toString('utf8')));
  return texts.length === 1 ? texts[0] : texts.join('\n');
}
