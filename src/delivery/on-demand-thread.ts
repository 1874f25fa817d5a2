/**
 * The delivery thread, started the first time the registry holds a subscription: a hub that
 * only relays calls has nothing to deliver, and a second V8 isolate costs it about 17 MB of
 * resident memory (docs/adr/0022). Until then publishes are written in this thread, with no
 * worker: they can have no subscriber. Deliveries written while the thread starts are left
 * unleased, and its first claim takes them.
 */
import type { Logger } from 'pino';
import type { DeliveryThread } from './delivery-thread.js';
import type { LocalDeliveryEngine } from './local-delivery.js';
import type { DeliveryEngine } from './outbox.js';
import type { NewEvent, PublishOutcome } from './types.js';

/** Wait before a thread that failed to start is tried again. */
const RETRY_MS = 5000;

export class OnDemandDeliveryThread implements DeliveryEngine {
  private thread: DeliveryThread | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(
    /** Writes publishes until the thread runs; attempts nothing. */
    private readonly local: LocalDeliveryEngine,
    private readonly startThread: () => Promise<DeliveryThread>,
    /** Whether there is anything to deliver: some app subscribes to something. */
    private readonly needed: () => boolean,
    private readonly log: Logger,
  ) {}

  write(batch: NewEvent[]): Promise<PublishOutcome[]> {
    return (this.thread ?? this.local).write(batch);
  }

  deliveriesChanged(): void {
    (this.thread ?? this.local).deliveriesChanged();
  }

  registryChanged(): void {
    if (this.thread !== undefined) this.thread.registryChanged();
    else if (this.starting === undefined && !this.stopped && this.needed()) this.start();
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.thread?.stop(graceMs);
  }

  async close(): Promise<void> {
    await this.starting;
    await this.thread?.close();
    await this.local.close();
  }

  private start(): void {
    this.starting = this.startThread().then(
      (thread) => {
        this.thread = thread;
        this.starting = undefined;
        // It may have loaded its registry before the change that made it needed.
        thread.registryChanged();
      },
      (err: unknown) => {
        this.log.error({ err, retryInMs: RETRY_MS }, 'starting the delivery thread failed');
        this.starting = undefined;
        setTimeout(() => this.registryChanged(), RETRY_MS).unref();
      },
    );
  }
}
