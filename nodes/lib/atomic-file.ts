// State files that survive a crash at any instant: written to a temporary file, flushed to disk,
// then renamed over the old one, so a reader finds either the old state or the new, never half.

import fs from 'fs';
import path from 'path';

/** Writes `text` to `file` atomically and synchronously. With fsync (the default) the state is on
 *  the disk when this returns; without, in the OS, which a process crash does not lose. */
export function writeFileAtomic(file: string, text: string, opts: { fsync?: boolean } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    if (opts.fsync !== false) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** The file's text, or undefined when there is none. */
export function readFileIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
