/**
 * The outbox of this hub process: every publish goes through it. It group-commits publishes (one
 * transaction, one fsync, for the events arriving together), writes the deliveries this process's
 * worker has room for already leased to it and hands them over once committed (no claim, no second
 * read of the event), and wakes the claims for the rest: here, and through the store's
 * notifications in the other hub processes.
 */
import type { Logger } from 'pino';
import type { Subscriber } from '../registry/registry.js';
import { newMessageId } from '../relay/signing.js';
import type { OutboxStore, Store } from '../store/store.js';
import { GroupCommit } from './group-commit.js';
import { newDeliveryId } from './ids.js';
import type { EventRecord, NewEvent, PublishOutcome } from './types.js';
import type { DeliveryWorker } from './worker.js';

/** Under concurrent publishing, a commit waits this long for more events to share it (measured in
 * `npm run bench`: larger transactions more than pay for the wait). */
const PUBLISH_LINGER_MS = 2;

export class Outbox {
  private readonly commits: GroupCommit<NewEvent, PublishOutcome>;
  private readonly unlisten: () => void;

  constructor(
    private readonly store: OutboxStore & Pick<Store, 'notify' | 'listen'>,
    /** This process's delivery worker, when it runs one. */
    private readonly worker: DeliveryWorker | undefined,
    private readonly log: Logger,
  ) {
    this.commits = new GroupCommit((batch) => this.write(batch), { lingerMs: PUBLISH_LINGER_MS });
    this.unlisten = store.listen('deliveries', () => worker?.wake());
  }

  /**
   * Stores `event` with one delivery per subscriber, durably, and settles once it is committed.
   * With an idempotency key, an earlier event of the same key created at or after
   * `idempotentSince` is the answer instead (`duplicate`, nothing written); `coalesce` merges each
   * delivery into one still pending for the same subscriber.
   */
  publish(event: EventRecord, subscribers: readonly Subscriber[], coalesce: boolean, idempotentSince: number): Promise<PublishOutcome> {
    const { worker } = this;
    const lease = worker?.leaseFromNow();
    const deliveries = subscribers.map(({ app }) => ({
      id: newDeliveryId(event.createdAt),
      appId: app.id,
      messageId: newMessageId(),
      // Attempted by this process at once when it has room; otherwise left for the claims.
      ...(lease !== undefined && worker!.hasRoomFor(app.id) && { lease }),
    }));
    return this.commits.submit({ event, idempotentSince, deliveries, coalesce });
  }

  /** New deliveries are due (or due again): wakes this process's worker and tells the other processes. */
  deliveriesChanged(): void {
    this.worker?.wake();
    this.store.notify('deliveries').catch((err: unknown) => this.log.warn({ err }, 'notifying other hub processes failed'));
  }

  /** Stops listening to the other processes. */
  close(): void {
    this.unlisten();
  }

  /** One batch in one transaction; then the leased deliveries are handed over, once per batch the
   * others announced, before any publisher hears back. */
  private async write(batch: NewEvent[]): Promise<PublishOutcome[]> {
    const outcomes = await this.store.publishEvents(batch);
    let leftToClaims = false;
    outcomes.forEach((outcome, i) => {
      if (outcome.duplicate) return;
      const { event, deliveries } = batch[i]!;
      if (outcome.leased.length > 0) this.worker!.dispatch(event, outcome.leased);
      if (outcome.leased.length < deliveries.length) leftToClaims = true;
    });
    if (leftToClaims) this.deliveriesChanged();
    return outcomes;
  }
}
