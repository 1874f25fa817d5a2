/**
 * The delivery worker: claims due deliveries under a lease, POSTs each to its subscriber, and
 * records the attempt and what follows from it (delivered, retry later, dead, unsubscribed).
 *
 * A crashed worker's leases expire and its deliveries are claimed again; several hub processes
 * sharing PostgreSQL never hold the same delivery at once. Because the store applies an outcome
 * only for the lease holder, an attempt that outlived its lease cannot overwrite a newer one.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { HubConfig } from '../config.js';
import type { Registry, RegistrySnapshot } from '../registry/registry.js';
import type { AppRecord, ServiceSubscribe } from '../registry/types.js';
import { signedHeaders } from '../relay/envelope.js';
import { RelayError } from '../relay/errors.js';
import type { OutboundClient } from '../relay/http-client.js';
import { randomHex } from '../relay/random.js';
import type { AttemptOutcome, AttemptRecord, ClaimedDelivery, DeliveryRecord, EventRecord, FinishedAttempt } from './types.js';
import type { OutboxStore } from '../store/store.js';
import { eventEnvelope } from './envelope.js';
import { GroupCommit } from './group-commit.js';
import { answerExcerpt, decide } from './rules.js';

/** A subscriber's answer body is read only for its start (kept with the attempt); it need not be large. */
export const MAX_SUBSCRIBER_ANSWER_BYTES = 64 * 1024;
/** How often the worker looks for due work when nothing wakes it (other processes, expired leases). */
const POLL_INTERVAL_MS = 1000;
/** Most deliveries claimed in one transaction. */
const CLAIM_BATCH = 100;
/** Under load, outcomes wait this long to share a transaction with others (see GroupCommit). */
const OUTCOME_LINGER_MS = 5;
/** What a lease covers beyond the attempt's own timeout: recording its outcome, clock skew. */
const LEASE_MARGIN_MS = 15_000;

/** What the worker counts: the hub's metrics, or, on the delivery thread, a relay to them. */
export interface DeliveryMetrics {
  deliveryAttempts: { inc(labels: { outcome: string }): void };
  /** Seconds from publish to a delivered attempt. */
  publishToDelivery: { observe(seconds: number): void };
}

export interface DeliveryWorkerOptions {
  store: OutboxStore;
  registry: Registry;
  outbound: OutboundClient;
  config: Pick<HubConfig, 'retrySchedule' | 'deliveryTimeoutMs' | 'deliveryConcurrency' | 'deliveryConcurrencyPerApp' | 'eventRetentionMs'>;
  log: Logger;
  metrics: DeliveryMetrics;
  /** Called after a subscription was disabled by a 410, so the registry of every process reloads. */
  onSubscriptionDisabled: () => Promise<void>;
  /** The clock of every time the worker reads (claims, leases, attempts, retries); tests pass a fake one. */
  now?: () => number;
}

export class DeliveryWorker {
  readonly owner = `worker_${randomHex(8)}`;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perApp = new Map<string, { used: number; waiting: Array<() => void> }>();
  private readonly abort = new AbortController();
  private running = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  /** Set by a wake() that came while the loop was not asleep, so the next sleep is skipped. */
  private woken = false;
  /** Counts the signals that something may be due (wake(), a timer running out). A claim that took
   * less than it asked for records the count it started at: until the next signal, a finished
   * attempt frees a slot for nothing, so it does not wake the loop to claim (and find nothing). */
  private dueSignals = 0;
  private drainedAtSignal = -1;
  private loop: Promise<void> | undefined;
  private lastPrune = 0;
  private readonly leaseMs: number;
  private readonly now: () => number;
  /** Outcomes of attempts finishing together are recorded in one transaction. */
  private readonly outcomes: GroupCommit<FinishedAttempt, boolean>;

  constructor(private readonly options: DeliveryWorkerOptions) {
    // Every attempt in flight listens on the one abort signal of the shutdown.
    setMaxListeners(0, this.abort.signal);
    // Nobody waits on an outcome but the worker's own slot, so it lingers longer than a publish.
    this.outcomes = new GroupCommit((items) => options.store.finishAttempts(this.owner, items), { lingerMs: OUTCOME_LINGER_MS });
    // Short, so a crashed process's deliveries come back soon; one that waited for a slot under the
    // per-subscriber limit has its lease extended before it is attempted.
    this.leaseMs = options.config.deliveryTimeoutMs + LEASE_MARGIN_MS;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Whether a delivery to `appId` published now could be attempted at once, within the limits. If
   * so the publish writes it leased to this worker and hands it over (`dispatch`): no claim, no
   * second read of the event. A delivery that would wait is left for the claims, where coalescing
   * can still merge it.
   */
  hasRoomFor(appId: string): boolean {
    if (!this.running || this.inFlight.size >= this.options.config.deliveryConcurrency) return false;
    const slot = this.perApp.get(appId);
    return slot === undefined || (slot.used < this.options.config.deliveryConcurrencyPerApp && slot.waiting.length === 0);
  }

  /** The lease a delivery handed over by a publish starting now is written with. */
  leaseFromNow(): { owner: string; expiresAt: number } {
    return { owner: this.owner, expiresAt: this.now() + this.leaseMs };
  }

  /** Attempts deliveries written leased to this worker by a publish of `event`. */
  dispatch(event: EventRecord, deliveries: DeliveryRecord[]): void {
    // Stopping: the leases expire (or are released) and the deliveries are claimed again.
    if (!this.running) return;
    for (const delivery of deliveries) this.track(this.attempt({ delivery, event }));
  }

  /** Something became due (a publish here, or a notification from another process). */
  wake(): void {
    this.dueSignals++;
    this.rouse();
  }

  private rouse(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  /** Stops claiming, waits up to `graceMs` for attempts in flight, aborts the rest, releases leases. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loop;
    const settled = Promise.allSettled([...this.inFlight]);
    const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([settled, timer]);
    this.abort.abort();
    await settled;
    await this.options.store.releaseLeases(this.owner);
  }

  private async run(): Promise<void> {
    const { store, log, config } = this.options;
    // Claims wait until a worthwhile batch fits: one claim per finished attempt would cost a
    // transaction per delivery, while attempts already in hand keep the subscribers busy.
    const minClaim = Math.max(1, Math.min(CLAIM_BATCH, Math.floor(config.deliveryConcurrency / 4)));
    while (this.running) {
      let claimed = 0;
      const free = config.deliveryConcurrency - this.inFlight.size;
      const limit = Math.min(free, CLAIM_BATCH);
      const worthClaiming = free >= minClaim || this.inFlight.size === 0;
      if (worthClaiming) {
        const signals = this.dueSignals;
        try {
          const batch = await store.claimDeliveries({ owner: this.owner, now: this.now(), leaseMs: this.leaseMs, limit });
          claimed = batch.length;
          if (claimed < limit) this.drainedAtSignal = signals;
          for (const item of batch) this.track(this.attempt(item));
        } catch (err) {
          log.error({ err }, 'claiming deliveries failed');
        }
      }
      await this.maybePrune();
      if (!this.running) break;
      // A full batch means more may be due at once; otherwise sleep until the next due time, or,
      // with no room for a batch, until attempts finish (each wakes the loop while work waits).
      if (claimed > 0 && claimed === limit) continue;
      await this.sleep(worthClaiming ? await this.untilNextDue() : POLL_INTERVAL_MS);
    }
  }

  private track(attempt: Promise<void>): void {
    // A failure here left the lease in place: it expires and the delivery is attempted again.
    const work = attempt.catch((err: unknown) => this.options.log.error({ err }, 'a delivery attempt failed to be recorded'));
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      if (this.dueSignals !== this.drainedAtSignal) this.rouse();
    });
  }

  private async untilNextDue(): Promise<number> {
    try {
      const next = await this.options.store.nextDueAt();
      return next === null ? POLL_INTERVAL_MS : Math.max(0, Math.min(next - this.now(), POLL_INTERVAL_MS));
    } catch {
      return POLL_INTERVAL_MS;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || ms <= 0) {
      this.woken = false;
      // Through the macrotask queue: with SQLite every store call resolves at once, and a loop of
      // microtasks alone would starve the sockets.
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve) => {
      this.wakeUp = () => {
        clearTimeout(this.wakeTimer);
        this.wakeUp = undefined;
        resolve();
      };
      // Its time may have come: a retry, a lease run out, another process's work found by polling.
      this.wakeTimer = setTimeout(() => {
        this.dueSignals++;
        this.wakeUp?.();
      }, ms);
    });
  }

  /** Waits for a slot under the per-subscriber limit; slots are handed over in arrival order. */
  private acquire(appId: string): Promise<void> {
    const slot = this.perApp.get(appId) ?? { used: 0, waiting: [] };
    this.perApp.set(appId, slot);
    if (slot.used < this.options.config.deliveryConcurrencyPerApp) {
      slot.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => slot.waiting.push(resolve));
  }

  private release(appId: string): void {
    const slot = this.perApp.get(appId)!;
    const next = slot.waiting.shift();
    if (next !== undefined) next();
    else if (--slot.used === 0) this.perApp.delete(appId);
  }

  /** Makes sure the lease outlasts an attempt starting now; false when it was lost meanwhile. */
  private async keepLease(deliveryId: string, leaseExpiresAt: number | null): Promise<boolean> {
    const now = this.now();
    if (leaseExpiresAt !== null && leaseExpiresAt - now >= this.leaseMs - LEASE_MARGIN_MS / 2) return true;
    try {
      if (await this.options.store.extendLease(this.owner, deliveryId, now + this.leaseMs)) return true;
      this.options.log.warn({ delivery: deliveryId }, 'lease lost while waiting for a slot; another worker has the delivery');
    } catch (err) {
      this.options.log.error({ err, delivery: deliveryId }, 'extending a lease failed; the delivery will be claimed again');
    }
    return false;
  }

  private async attempt({ delivery, event }: ClaimedDelivery): Promise<void> {
    const { store, registry, outbound, config, log, metrics } = this.options;
    let target = subscriberOf(registry.current, delivery);
    // A registry read before the event was published may not know the subscriber yet (the change
    // was made in another process or thread and its notice is on its way): read it again first.
    if (target === undefined && registry.currentAsOf <= event.createdAt) {
      await registry.reload();
      target = subscriberOf(registry.current, delivery);
    }
    // The subscriber may have left since the event was published: nothing is sent then.
    if (target === undefined) {
      await this.finish(
        { deliveryId: delivery.id, at: this.now(), durationMs: 0, statusCode: null, error: 'not sent: the app no longer subscribes in this community' },
        { status: 'cancelled' },
      );
      metrics.deliveryAttempts.inc({ outcome: 'cancelled' });
      return;
    }

    const { app, subscription } = target;
    await this.acquire(app.id);
    if (!(await this.keepLease(delivery.id, delivery.leaseExpiresAt))) {
      this.release(app.id);
      return;
    }
    const at = this.now();
    let status: number | undefined;
    let retryAfter: string | string[] | undefined;
    let error: string | null = null;
    let answerText: string | null = null;
    let durationMs = 0;
    try {
      const body = eventEnvelope(event, app, at);
      const answer = await outbound.post(subscription.url, body, signedHeaders(app, body, at, undefined, delivery.messageId), {
        timeoutMs: config.deliveryTimeoutMs,
        maxResponseBytes: MAX_SUBSCRIBER_ANSWER_BYTES,
        signal: this.abort.signal,
      });
      status = answer.status;
      retryAfter = answer.headers['retry-after'];
      durationMs = answer.durationMs;
      answerText = answerExcerpt(answer.body);
    } catch (err) {
      error = err instanceof RelayError ? `${err.kind}: ${err.message}` : `aborted: ${(err as Error).message}`;
      durationMs = this.now() - at;
    } finally {
      this.release(app.id);
    }

    const now = this.now();
    const decision = decide({ status, retryAfter }, delivery.attempts, config.retrySchedule, now);
    const attempt = { deliveryId: delivery.id, at, durationMs: Math.round(durationMs), statusCode: status ?? null, error, answer: answerText };
    metrics.deliveryAttempts.inc({ outcome: decision.status });
    try {
      if (decision.status === 'unsubscribe') {
        await this.finish(attempt, { status: 'cancelled' });
        await store.disableSubscription({
          communityId: delivery.communityId,
          appId: app.id,
          action: delivery.action,
          disabledAt: now,
          reason: `the subscriber answered 410 to delivery ${delivery.id}`,
        });
        log.info({ community: delivery.communityId, app: app.id, action: delivery.action }, 'subscription disabled: the subscriber answered 410');
        await this.options.onSubscriptionDisabled();
        return;
      }
      const applied = await this.finish(attempt, decision);
      if (applied && decision.status === 'delivered') metrics.publishToDelivery.observe((now - event.createdAt) / 1000);
      // A retry is due later than the loop may be sleeping for: it looks at the next due time again.
      if (decision.status === 'pending') this.wake();
      if (decision.status === 'dead') log.warn({ delivery: delivery.id, app: app.id, action: delivery.action }, 'delivery dead: retries exhausted');
    } catch (err) {
      // The lease will expire and the delivery be attempted again: at-least-once holds.
      log.error({ err, delivery: delivery.id }, 'recording a delivery attempt failed');
    }
  }

  /** Records an attempt and, if the lease is still ours, its outcome; whether the outcome applied. */
  private finish(attempt: AttemptRecord, outcome: AttemptOutcome): Promise<boolean> {
    return this.outcomes.submit({ attempt, outcome });
  }

  private async maybePrune(): Promise<void> {
    const now = this.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    try {
      const pruned = await this.options.store.pruneEvents(now - this.options.config.eventRetentionMs);
      if (pruned > 0) this.options.log.info({ pruned }, 'old events pruned');
    } catch (err) {
      this.options.log.error({ err }, 'pruning events failed');
    }
  }
}

/** The app and subscription a delivery goes to, while the app is active and subscribed there. */
function subscriberOf(snapshot: RegistrySnapshot, delivery: DeliveryRecord): { app: AppRecord; subscription: ServiceSubscribe } | undefined {
  const app = snapshot.apps.get(delivery.appId);
  const subscription = app?.manifest.services.subscribes.find((s) => s.action === delivery.action);
  if (app === undefined || subscription === undefined) return undefined;
  if (!snapshot.isActive(delivery.communityId, app.id) || snapshot.isDisabled(delivery.communityId, app.id, delivery.action)) return undefined;
  return { app, subscription };
}
