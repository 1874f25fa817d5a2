/**
 * The delivery engine in the thread that publishes: it writes the deliveries its worker has room
 * for already leased to that worker and hands them over once committed (no claim, no second read
 * of the event, docs/adr/0004), and wakes the claims for the rest: here, and through the store's
 * notifications in the other hub processes.
 */
import type { Logger } from 'pino';
import type { OutboxStore, Store } from '../store/store.js';
import type { DeliveryEngine } from './outbox.js';
import type { NewEvent, PublishOutcome } from './types.js';
import type { DeliveryWorker } from './worker.js';

export class LocalDeliveryEngine implements DeliveryEngine {
  private readonly unlisten: () => void;

  constructor(
    private readonly store: Pick<OutboxStore, 'publishEvents'> & Pick<Store, 'notify' | 'listen'>,
    /** This thread's delivery worker, when it runs one. */
    private readonly worker: DeliveryWorker | undefined,
    private readonly log: Logger,
  ) {
    this.unlisten = store.listen('deliveries', () => worker?.wake());
  }

  /** One batch in one transaction; then the leased deliveries are handed over, once per batch the
   * others announced, before any publisher hears back. */
  async write(batch: NewEvent[]): Promise<PublishOutcome[]> {
    const { worker } = this;
    if (worker !== undefined) {
      // Attempted by this worker at once when it has room; otherwise left for the claims.
      const lease = worker.leaseFromNow();
      for (const { deliveries } of batch) {
        for (const delivery of deliveries) if (worker.hasRoomFor(delivery.appId)) delivery.lease = lease;
      }
    }
    const outcomes = await this.store.publishEvents(batch);
    let leftToClaims = false;
    outcomes.forEach((outcome, i) => {
      if (outcome.duplicate) return;
      const { event, deliveries } = batch[i]!;
      if (outcome.leased.length > 0) worker!.dispatch(event, outcome.leased);
      if (outcome.leased.length < deliveries.length) leftToClaims = true;
    });
    if (leftToClaims) this.deliveriesChanged();
    return outcomes;
  }

  deliveriesChanged(): void {
    this.worker?.wake();
    this.store.notify('deliveries').catch((err: unknown) => this.log.warn({ err }, 'notifying other hub processes failed'));
  }

  registryChanged(): void {}

  async stop(graceMs: number): Promise<void> {
    await this.worker?.stop(graceMs);
  }

  close(): Promise<void> {
    this.unlisten();
    return Promise.resolve();
  }
}
