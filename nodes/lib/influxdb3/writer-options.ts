// The durable writer's limits and their defaults, apart from the writer so that the editor can
// show them without loading the writer.

export interface WriterOptions {
  maxInFlight: number;
  maxBatchLines: number;
  maxBatchBytes: number;
  /** Memory for batches waiting or in flight; past it, new batches go to the spool. */
  maxQueueBytes: number;
  noSync: boolean;
  retryInitialMs: number;
  retryMaxMs: number;
}

export const WRITER_DEFAULTS: WriterOptions = {
  maxInFlight: 4,
  maxBatchLines: 10_000,
  maxBatchBytes: 10 * 1024 * 1024,
  maxQueueBytes: 32 * 1024 * 1024,
  noSync: false,
  retryInitialMs: 500,
  retryMaxMs: 30_000,
};
