// Where a telemetry-alert keeps its engine's state across restarts, in two files written
// atomically: the windows and pending counters (large: saved every 10 s and at stop) and the open
// alerts (small: saved before any event about them leaves the node).

import fs from 'fs';
import { readFileIfExists, writeFileAtomic } from '../atomic-file';

export interface AlertStateStore {
  /** Where the state is kept, as messages name it. */
  readonly where: string;
  /** The saved texts; undefined where nothing was saved. */
  read(): { engine?: string; open?: string };
  writeEngine(text: string): void;
  writeOpen(text: string): void;
  /** Forgets the state: the node was deleted. */
  remove(): void;
}

export class AlertStateFiles implements AlertStateStore {
  readonly where: string;
  private readonly engineFile: string;
  private readonly openFile: string;

  /** @param base the node's state path, without extension. */
  constructor(base: string) {
    this.where = `${base}.*`;
    this.engineFile = `${base}.json`;
    this.openFile = `${base}.open.json`;
  }

  read(): { engine?: string; open?: string } {
    return { engine: readFileIfExists(this.engineFile), open: readFileIfExists(this.openFile) };
  }

  writeEngine(text: string): void {
    writeFileAtomic(this.engineFile, text);
  }

  writeOpen(text: string): void {
    writeFileAtomic(this.openFile, text);
  }

  remove(): void {
    for (const f of [this.engineFile, this.openFile]) fs.rmSync(f, { force: true });
  }
}
