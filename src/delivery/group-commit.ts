/**
 * Group commit: items submitted while a batch is being written, or within the same turn of the
 * event loop, wait and go together into the next write, so one transaction (and one fsync) serves
 * many callers. Each caller's promise settles with its own item's result once its batch is written.
 *
 * The first write of a burst is deferred to the end of the current turn (setImmediate): with an
 * embedded store a write runs synchronously, so without that wait every request parsed in the same
 * turn would get a transaction of its own.
 */
interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private queue: Array<Pending<T, R>> = [];
  private busy = false;

  constructor(
    /** Writes a batch in one transaction; returns one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    /** Largest batch written in one transaction. */
    private readonly maxBatch = 500,
  ) {}

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
      const batch = this.queue.splice(0, this.maxBatch);
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
