/**
 * What one publish writes, decided once for both storage adapters and free of I/O: the
 * idempotency check, the event, and for each subscriber a delivery, new or coalesced into one
 * still pending.
 *
 * SQLite runs statements synchronously inside its transaction and PostgreSQL awaits each on the
 * transaction's client, so the logic is a generator: each `yield` names one statement of the
 * `PublishTransaction` for the adapter to run and takes back its result (`publishEvent` runs it
 * synchronously, `publishEventAsync` awaiting each statement).
 */
import type { DeliveryRecord, EventRecord, NewDelivery, NewEvent, PublishOutcome } from './types.js';

/** The statements a publish runs, inside the transaction of its batch. */
export interface PublishTransaction {
  /** The first event of the event's publisher, community and idempotency key created at or after
   * `since`. Concurrent publishers of one key wait for each other until the transaction ends. */
  earlierEvent(event: EventRecord, since: number): EventRecord | undefined;
  insertEvent(event: EventRecord): void;
  /** Merges the event into the newest pending, unleased delivery of the same community, app and
   * action (it takes the event and `delivery.messageId`, and counts one more coalesced); false
   * when there is none. */
  coalesce(event: EventRecord, delivery: NewDelivery): boolean;
  insertDelivery(delivery: DeliveryRecord): void;
}

/** The same statements on a database that answers asynchronously. */
export type AsyncPublishTransaction = {
  [K in keyof PublishTransaction]: (...args: Parameters<PublishTransaction[K]>) => Promise<ReturnType<PublishTransaction[K]>>;
};

type Statement = { [K in keyof PublishTransaction]: { name: K; args: Parameters<PublishTransaction[K]> } }[keyof PublishTransaction];

/** A new delivery of `event` to one subscriber: pending, due at once, leased when it was given one. */
export function newDelivery(event: EventRecord, delivery: NewDelivery): DeliveryRecord {
  const at = event.createdAt;
  return {
    id: delivery.id,
    eventId: event.id,
    communityId: event.communityId,
    appId: delivery.appId,
    action: event.action,
    messageId: delivery.messageId,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    leaseOwner: delivery.lease?.owner ?? null,
    leaseExpiresAt: delivery.lease?.expiresAt ?? null,
    coalesced: 0,
    lastStatusCode: null,
    lastError: null,
    createdAt: at,
    updatedAt: at,
    deliveredAt: null,
  };
}

function* publishSteps({ event, idempotentSince, deliveries, coalesce }: NewEvent): Generator<Statement, PublishOutcome, unknown> {
  if (event.idempotencyKey !== null) {
    const earlier = (yield { name: 'earlierEvent', args: [event, idempotentSince] }) as EventRecord | undefined;
    if (earlier !== undefined) return { eventId: earlier.id, duplicate: true, leased: [], earlier };
  }
  yield { name: 'insertEvent', args: [event] };
  const leased: DeliveryRecord[] = [];
  for (const delivery of deliveries) {
    if (coalesce && (yield { name: 'coalesce', args: [event, delivery] }) === true) continue;
    const record = newDelivery(event, delivery);
    yield { name: 'insertDelivery', args: [record] };
    if (record.leaseOwner !== null) leased.push(record);
  }
  return { eventId: event.id, duplicate: false, leased };
}

function run(tx: PublishTransaction | AsyncPublishTransaction, { name, args }: Statement): unknown {
  return (tx[name] as (...args: unknown[]) => unknown).apply(tx, args);
}

/** Writes one publish through statements that answer at once (inside the caller's transaction). */
export function publishEvent(tx: PublishTransaction, item: NewEvent): PublishOutcome {
  const steps = publishSteps(item);
  let step = steps.next();
  while (step.done !== true) step = steps.next(run(tx, step.value));
  return step.value;
}

/** Writes one publish through statements awaited one after the other (inside the caller's transaction). */
export async function publishEventAsync(tx: AsyncPublishTransaction, item: NewEvent): Promise<PublishOutcome> {
  const steps = publishSteps(item);
  let step = steps.next();
  while (step.done !== true) step = steps.next(await run(tx, step.value));
  return step.value;
}
