/**
 * Publish & subscribe records: events, the deliveries made of them, attempts and their outcomes,
 * and what a publish hands the store. Plain data; the rules over them live beside (rules.ts).
 */
export interface EventRecord {
  seq?: number;
  id: string;
  communityId: string;
  action: string;
  version: number;
  /** App id of the publisher. */
  publisher: string;
  /** The payload as the exact JSON text received, or null for an empty body. */
  data: string | null;
  createdAt: number;
  idempotencyKey: string | null;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface OpenDeliveryCounts {
  pending: number;
  dead: number;
}

export interface DeliveryRecord {
  seq?: number;
  id: string;
  eventId: string;
  communityId: string;
  /** The subscriber. */
  appId: string;
  action: string;
  /** Sent as `webhook-id`: stable across the retries of one delivery, renewed when coalescing
   * swaps in a newer event (the content changed, so a subscriber must not skip it). */
  messageId: string;
  status: DeliveryStatus;
  /** Attempts made since the delivery was created or last replayed. */
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** How many newer events were merged into this delivery by coalescing. */
  coalesced: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

export interface AttemptRecord {
  deliveryId: string;
  at: number;
  durationMs: number;
  /** HTTP status the subscriber answered, or null when no answer came. */
  statusCode: number | null;
  /** Connection error, timeout, etc.; null when an answer came. */
  error: string | null;
  /** The start of the subscriber's answer body as text (what an operator needs to see why it
   * failed); null or absent when it was empty or no answer came. */
  answer?: string | null;
}

export interface NewEvent {
  event: EventRecord;
  /** With an idempotency key: an earlier event of the same publisher, community and key created
   * at or after this time is the answer (nothing is written, the earlier event is given back for
   * the caller to check it was the same request); an older one no longer counts. */
  idempotentSince: number;
  /** One per subscription the registry found; each becomes a pending delivery due at
   * `event.createdAt`, unless coalesced. One with a `lease` is written already leased (the
   * publishing process attempts it at once, without claiming it). */
  deliveries: NewDelivery[];
  /** Merge into a pending, unleased delivery of the same (community, app, action) if one exists:
   * that delivery then carries this event, takes this messageId and counts one more coalesced. */
  coalesce: boolean;
}

export interface NewDelivery {
  id: string;
  appId: string;
  messageId: string;
  lease?: { owner: string; expiresAt: number };
}

export interface PublishOutcome {
  eventId: string;
  /** True when the idempotency key matched an earlier event and nothing was written. */
  duplicate: boolean;
  /** With `duplicate`: the earlier event the key matched, as stored. */
  earlier?: EventRecord;
  /** The deliveries written under the lease they were given (not merged by coalescing). */
  leased: DeliveryRecord[];
}

export interface ClaimedDelivery {
  delivery: DeliveryRecord;
  event: EventRecord;
}

export type AttemptOutcome = { status: 'delivered' } | { status: 'pending'; nextAttemptAt: number } | { status: 'dead' } | { status: 'cancelled' };

export interface FinishedAttempt {
  attempt: AttemptRecord;
  outcome: AttemptOutcome;
}

export interface DeliveryQuery {
  status?: DeliveryStatus;
  appId?: string;
  action?: string;
  communityId?: string;
  eventId?: string;
  /** Only deliveries created at or after / at or before these times. */
  since?: number;
  until?: number;
  beforeSeq?: number;
  limit: number;
}

export interface EventQuery {
  communityId?: string;
  action?: string;
  publisher?: string;
  /** Only events published at or after / at or before these times. */
  since?: number;
  until?: number;
  beforeSeq?: number;
  limit: number;
}
