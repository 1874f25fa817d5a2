/**
 * The one storage interface of the hub. SQLite (embedded, default) and PostgreSQL (several hub
 * processes) implement it; `test/store.test.ts` runs the same suite against both.
 *
 * Rules every adapter keeps:
 * - times are epoch milliseconds (integers);
 * - a method returns only once what it wrote is durable (committed, fsynced per the database's
 *   durable setting);
 * - JSON documents (manifests, schemas) are stored as JSON text and given back parsed; event
 *   payloads are stored and given back as the exact JSON text received.
 */
import type { ActionDefinition } from '../catalog/definition.js';
import type {
  AppRecord,
  CommunityRecord,
  DisabledSubscription,
  InstallationRecord,
  TokenRecord,
} from '../registry/types.js';

export interface StoredAction extends ActionDefinition {
  /** Shipped in `catalog/`; the catalogue files are the source of truth for these. */
  builtin: boolean;
  createdAt: number;
  updatedAt: number;
}

/** One line of the call audit log. */
export interface CallRecord {
  /** Order of insertion, assigned by the store; the pagination cursor. */
  seq?: number;
  /** The requestId of the call. */
  id: string;
  at: number;
  communityId: string | null;
  consumer: string | null;
  provider: string | null;
  action: string | null;
  version: number | null;
  /** HTTP status answered to the consumer. */
  status: number;
  /** `ok`, or the error type answered. */
  outcome: string;
  latencyMs: number;
  /** Status the provider answered, when the call reached it. */
  providerStatus: number | null;
  /** Why the call failed, for the operator (may name hosts and addresses); null when it did not. */
  error: string | null;
}

export interface CallQuery {
  communityId?: string;
  action?: string;
  provider?: string;
  consumer?: string;
  /** Only calls at or after this time. */
  since?: number;
  /** Cursor: only rows with a smaller seq (rows come newest first). */
  beforeSeq?: number;
  limit: number;
}

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

export type AttemptOutcome =
  | { status: 'delivered' }
  | { status: 'pending'; nextAttemptAt: number }
  | { status: 'dead' }
  | { status: 'cancelled' };

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
  beforeSeq?: number;
  limit: number;
}

export interface EventQuery {
  communityId?: string;
  action?: string;
  publisher?: string;
  beforeSeq?: number;
  limit: number;
}

/** Channels on which hub processes sharing one storage tell each other about changes. */
export type NotifyChannel = 'registry' | 'deliveries';

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  /** Applies pending versioned migrations (safe to run from several processes at once). */
  migrate(): Promise<void>;
  /** Throws when the storage cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Tells the other processes sharing this storage (not this one). No-op for SQLite. */
  notify(channel: NotifyChannel): Promise<void>;
  /** Calls back when another process notified on the channel; returns an unsubscribe function. */
  listen(channel: NotifyChannel, callback: () => void): () => void;

  // Catalogue
  listActions(): Promise<StoredAction[]>;
  /** Insert or replace (id, version). */
  putAction(action: StoredAction): Promise<void>;

  // Registry
  listApps(): Promise<AppRecord[]>;
  /** Insert or replace by id. */
  putApp(app: AppRecord): Promise<void>;
  listTokens(): Promise<TokenRecord[]>;
  insertToken(token: TokenRecord): Promise<void>;
  /** Sets revokedAt; false when no such unrevoked token of that app. */
  revokeToken(appId: string, tokenId: string, at: number): Promise<boolean>;
  listCommunities(): Promise<CommunityRecord[]>;
  /** Returns false when it already existed (nothing changed). */
  putCommunity(community: CommunityRecord): Promise<boolean>;
  listInstallations(): Promise<InstallationRecord[]>;
  /** Insert or replace (communityId, appId). */
  putInstallation(installation: InstallationRecord): Promise<void>;
  listDisabledSubscriptions(): Promise<DisabledSubscription[]>;

  // Audit log
  /** Need not be durable at once: a power cut may lose the last lines written. */
  insertCalls(calls: CallRecord[]): Promise<void>;
  /** Newest first. */
  queryCalls(query: CallQuery): Promise<CallRecord[]>;
  /** Deletes calls older than `before`, at most `batchSize` rows per statement (default
   * PRUNE_CALLS_BATCH) with the event loop free between statements; returns how many. */
  pruneCalls(before: number, batchSize?: number): Promise<number>;

  // Publish & subscribe
  /** One transaction for the whole batch, applied in order (group commit). */
  publishEvents(batch: NewEvent[]): Promise<PublishOutcome[]>;
  /** Leases up to `limit` due pending deliveries (next attempt at or before `now`, no live lease)
   * to `owner` until `now + leaseMs`, oldest due first; several processes never get the same one. */
  claimDeliveries(query: { owner: string; now: number; leaseMs: number; limit: number }): Promise<
    ClaimedDelivery[]
  >;
  /** For each item, in one transaction: records the attempt (always) and, if `owner` still holds
   * the lease and the delivery is still pending, applies the outcome, counts the attempt and clears
   * the lease. Returns, per item, whether the outcome was applied. Need not be durable at once: a
   * lost outcome only means the delivery is attempted again. */
  finishAttempts(owner: string, items: FinishedAttempt[]): Promise<boolean[]>;
  /** Moves the end of `owner`'s lease on a pending delivery to `until`; false when the lease is no
   * longer `owner`'s (it expired and another worker claimed the delivery) or it is settled. */
  extendLease(owner: string, deliveryId: string, until: number): Promise<boolean>;
  /** Clears the leases `owner` holds (graceful shutdown); returns how many. */
  releaseLeases(owner: string): Promise<number>;
  /** Earliest time a pending delivery can be claimed (its nextAttemptAt, or the end of its lease
   * when leased), or null when none is pending. */
  nextDueAt(): Promise<number | null>;
  /** Cancels the pending deliveries to an app in a community (optionally of one action). */
  cancelPendingDeliveries(filter: { communityId: string; appId: string; action?: string }, at: number): Promise<number>;
  /** Records the subscription as disabled and cancels its pending deliveries (one transaction). */
  disableSubscription(subscription: DisabledSubscription): Promise<number>;
  /** False when it was not disabled. */
  enableSubscription(communityId: string, appId: string, action: string): Promise<boolean>;
  /** Makes a delivery pending again, due at `now`, attempts reset to 0 (history kept), same
   * messageId. Null when unknown, or pending with a live lease (it is being attempted). */
  replayDelivery(id: string, now: number): Promise<DeliveryRecord | null>;
  getDelivery(id: string): Promise<DeliveryRecord | null>;
  getEvent(id: string): Promise<EventRecord | null>;
  /** Newest first. */
  listEvents(query: EventQuery): Promise<EventRecord[]>;
  /** Newest first. */
  listDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]>;
  /** Attempts of these deliveries, oldest first. */
  listAttempts(deliveryIds: string[]): Promise<AttemptRecord[]>;
  /** Deliveries still waiting and dead ones: what an operator watches (delivered and cancelled
   * ones only pile up until pruned, and counting them would scan the history). */
  countOpenDeliveries(): Promise<OpenDeliveryCounts>;
  /** Deletes events created before `before` that have no pending delivery, with their
   * deliveries and attempts, at most `batchSize` events per statement (default PRUNE_EVENTS_BATCH)
   * with the event loop free between statements; returns how many events. */
  pruneEvents(before: number, batchSize?: number): Promise<number>;
}
