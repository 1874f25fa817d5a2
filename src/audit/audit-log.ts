/**
 * The audit log of calls. Lines are buffered and written in batches off the request path; a
 * failed write is retried with the next batch (bounded, so a dead store cannot eat the memory).
 * Old lines are pruned on a timer according to the retention setting.
 */
import type { Logger } from 'pino';
import type { CallRecord } from './types.js';
import type { AuditStore } from '../store/store.js';

export interface AuditLogOptions {
  retentionMs: number;
  /** Longest a line waits in memory before it is written. */
  flushIntervalMs?: number;
  /** A batch is written as soon as it holds this many lines. */
  batchSize?: number;
  /** Lines kept in memory while the store is failing; older ones are dropped (and counted). */
  maxBuffered?: number;
  /** The clock pruning reads; tests pass a fake one. */
  now?: () => number;
}

export class AuditLog {
  private buffer: CallRecord[] = [];
  private flushing: Promise<void> | undefined;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly now: () => number;
  dropped = 0;

  constructor(
    private readonly store: AuditStore,
    private readonly log: Logger,
    private readonly options: AuditLogOptions,
  ) {
    this.batchSize = options.batchSize ?? 256;
    this.maxBuffered = options.maxBuffered ?? 100_000;
    this.now = options.now ?? Date.now;
    this.flushTimer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 250).unref();
    this.pruneTimer = setInterval(() => void this.prune(), 3_600_000).unref();
  }

  record(call: CallRecord): void {
    this.buffer.push(call);
    if (this.buffer.length >= this.batchSize) void this.flush();
  }

  /** Writes what is buffered; resolves once it is stored (or the attempt failed and was logged). */
  flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing.then(() => (this.buffer.length > 0 ? this.flush() : undefined));
    if (this.buffer.length === 0) return Promise.resolve();
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.store
      .insertCalls(batch)
      .catch((err: unknown) => {
        this.log.error({ err, lines: batch.length }, 'audit log write failed; will retry');
        this.buffer = batch.concat(this.buffer);
        const excess = this.buffer.length - this.maxBuffered;
        if (excess > 0) {
          this.buffer.splice(0, excess);
          this.dropped += excess;
        }
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  async prune(): Promise<number> {
    try {
      return await this.store.pruneCalls(this.now() - this.options.retentionMs);
    } catch (err) {
      this.log.error({ err }, 'audit log pruning failed');
      return 0;
    }
  }

  /** Stops the timers and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.pruneTimer);
    await this.flush();
  }
}
