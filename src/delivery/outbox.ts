/**
 * The outbox of this hub process: every publish goes through it. It group-commits publishes (one
 * transaction, one fsync, for the events arriving together) and hands each batch to the delivery
 * engine, which writes it and attempts the deliveries: in this thread (`LocalDeliveryEngine`) or,
 * in the hub's own process, on a thread of its own with its own connection to the store
 * (`DeliveryThread`, docs/adr/0022).
 */
import type { Subscriber } from '../registry/registry.js';
import { newMessageId } from '../relay/signing.js';
import { GroupCommit } from './group-commit.js';
import { newDeliveryId } from './ids.js';
import type { EventRecord, NewEvent, PublishOutcome } from './types.js';

/** Under concurrent publishing, a commit waits this long for more events to share it (measured in
 * `npm run bench`: larger transactions more than pay for the wait). */
const PUBLISH_LINGER_MS = 2;

/** Where the outbox's batches are stored and their deliveries attempted. */
export interface DeliveryEngine {
  /** Stores the batch in one transaction, durably, and hands its deliveries to a worker. */
  write(batch: NewEvent[]): Promise<PublishOutcome[]>;
  /** New deliveries are due (or due again): wakes the worker and tells the other processes. */
  deliveriesChanged(): void;
  /** The registry was rebuilt: one that reads its own copy reads it again. */
  registryChanged(): void;
  /** Stops attempting deliveries: waits up to `graceMs` for those in flight, releases the leases.
   * Batches are still written. */
  stop(graceMs: number): Promise<void>;
  /** Stops writing; once the outbox is no longer used. */
  close(): Promise<void>;
}

export class Outbox {
  private readonly commits: GroupCommit<NewEvent, PublishOutcome>;

  constructor(private readonly engine: DeliveryEngine) {
    this.commits = new GroupCommit((batch) => engine.write(batch), { lingerMs: PUBLISH_LINGER_MS });
  }

  /**
   * Stores `event` with one delivery per subscriber, durably, and settles once it is committed.
   * With an idempotency key, an earlier event of the same key created at or after
   * `idempotentSince` is the answer instead (`duplicate`, nothing written); `coalesce` merges each
   * delivery into one still pending for the same subscriber.
   */
  publish(event: EventRecord, subscribers: readonly Subscriber[], coalesce: boolean, idempotentSince: number): Promise<PublishOutcome> {
    const deliveries = subscribers.map(({ app }) => ({ id: newDeliveryId(event.createdAt), appId: app.id, messageId: newMessageId() }));
    return this.commits.submit({ event, idempotentSince, deliveries, coalesce });
  }

  /** New deliveries are due (or due again), e.g. replayed by an operator. */
  deliveriesChanged(): void {
    this.engine.deliveriesChanged();
  }
}
