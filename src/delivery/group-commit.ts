/**
 * Group commit: items submitted while a batch is being written, or within the same turn of the
 * event loop, wait and go together into the next write, so one transaction (and one fsync) serves
 * many callers. Each caller's promise settles with its own item's result once its batch is written.
 *
 * The first write of a burst is deferred to the end of the current turn (setImmediate): with an
 * embedded store a write runs synchronously, so without that wait every request parsed in the same
 * turn would get a transaction of its own. Under concurrent load (the last batch held more than one
 * item) a write may also linger a moment for more items: a transaction has a large fixed cost, so
 * fewer, larger ones serve more callers, for a little latency that a lone caller never pays.
 */
interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private queue: Array<Pending<T, R>> = [];
  private busy = false;
  private lastBatchSize = 0;
  private readonly maxBatch: number;
  private readonly lingerMs: number;

  constructor(
    /** Writes a batch in one transaction; returns one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    options: {
      /** Largest batch written in one transaction (default 500). */
      maxBatch?: number;
      /** How long a write under concurrent load waits for more items (default 0). */
      lingerMs?: number;
    } = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.lingerMs = options.lingerMs ?? 0;
  }

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      if (this.lingerMs > 0 && this.lastBatchSize > 1 && this.queue.length < this.maxBatch) {
        await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
      }
      const batch = this.queue.splice(0, this.maxBatch);
      this.lastBatchSize = batch.length;
      try {
        const results = await this.write(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i]!));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.busy = false;
  }
}
