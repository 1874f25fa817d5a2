/**
 * Group commit of publishes: events arriving while a transaction is being written wait and go
 * together into the next one, so one fsync acknowledges many events. Each caller's promise
 * resolves only once its event is committed.
 */
import type { NewEvent, PublishOutcome, Store } from '../store/store.js';

interface Pending {
  event: NewEvent;
  resolve: (outcome: PublishOutcome) => void;
  reject: (err: unknown) => void;
}

export class EventPublisher {
  private queue: Pending[] = [];
  private writing = false;

  constructor(
    private readonly store: Store,
    /** Largest batch written in one transaction. */
    private readonly maxBatch = 500,
  ) {}

  publish(event: NewEvent): Promise<PublishOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outcomes = await this.store.publishEvents(batch.map((p) => p.event));
        batch.forEach((p, i) => p.resolve(outcomes[i]!));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.writing = false;
  }
}
