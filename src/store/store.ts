/**
 * The storage interface of the hub, cut by its users: the catalogue, the registry, the audit log
 * and the outbox (publish & subscribe) each get the slice they use; `Store` is all of them with the
 * connection's own life. SQLite (embedded, default) and PostgreSQL (several hub processes)
 * implement it; `test/store.test.ts` runs the same suite against both.
 *
 * Rules every adapter keeps:
 * - times are epoch milliseconds (integers);
 * - a method returns only once what it wrote is durable (committed, fsynced per the database's
 *   durable setting);
 * - JSON documents (manifests, schemas) are stored as JSON text and given back parsed; event
 *   payloads are stored and given back as the exact JSON text received.
 */
import type { AdminKeyRecord } from '../admin/admin-keys.js';
import type { ChangeQuery, ChangeRecord } from '../admin/change-types.js';
import type { ActionDefinition } from '../catalog/definition.js';
import type { CallQuery, CallRecord } from '../audit/types.js';
import type {
  AttemptRecord,
  ClaimedDelivery,
  DeliveryQuery,
  DeliveryRecord,
  EventQuery,
  EventRecord,
  FinishedAttempt,
  NewEvent,
  OpenDeliveryCounts,
  PublishOutcome,
} from '../delivery/types.js';
import type { AppRecord, CommunityRecord, DisabledSubscription, InstallationRecord, TokenRecord } from '../registry/types.js';

export interface StoredAction extends ActionDefinition {
  /** Shipped in `catalog/`; the catalogue files are the source of truth for these. */
  builtin: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Where an action version stands in its life: `deprecated` is still callable and flagged,
 * `retired` is refused. A version with no status stored is `active`. */
export type ActionStatus = 'active' | 'deprecated' | 'retired';

/** The status an operator set on an action version (built in or not), and when. */
export interface ActionStatusRecord {
  action: string;
  version: number;
  status: ActionStatus;
  /** When it took this status (for `deprecated`, the date the Deprecation header gives). */
  changedAt: number;
}

/** Channels on which hub processes sharing one storage tell each other about changes. */
export type NotifyChannel = 'registry' | 'deliveries';

/** What the catalogue reads and writes: the action definitions added through the admin API. */
export interface CatalogStore {
  listActions(): Promise<StoredAction[]>;
  /** Insert or replace (id, version). */
  putAction(action: StoredAction): Promise<void>;
  /** Every status set, ordered by action and version. */
  listActionStatuses(): Promise<ActionStatusRecord[]>;
  /** Insert or replace (action, version). */
  putActionStatus(record: ActionStatusRecord): Promise<void>;
}

/** What the registry reads, and the admin API writes: apps, tokens, communities, installations. */
export interface RegistryStore {
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
  /** In one transaction: cancels the app's pending deliveries, revokes its tokens, deletes its
   * installations, switched-off subscriptions and the app (its audit history stays). False when no
   * such app. */
  deleteApp(appId: string, at: number): Promise<boolean>;
  /** In one transaction: cancels the pending deliveries in the community, deletes its
   * installations, switched-off subscriptions and the community. False when no such community. */
  deleteCommunity(communityId: string, at: number): Promise<boolean>;
}

/** What the audit log writes, and the admin API reads: the lines of the calls. */
export interface AuditStore {
  /** Need not be durable at once: a power cut may lose the last lines written. */
  insertCalls(calls: CallRecord[]): Promise<void>;
  /** Newest first. */
  queryCalls(query: CallQuery): Promise<CallRecord[]>;
  /** Deletes calls older than `before`, at most `batchSize` rows per statement (default
   * PRUNE_CALLS_BATCH) with the event loop free between statements; returns how many. */
  pruneCalls(before: number, batchSize?: number): Promise<number>;
}

/** What the admin API reads and writes about itself: its keys, and the trail of its changes. */
export interface AdminStore {
  insertAdminKey(key: AdminKeyRecord): Promise<void>;
  /** Oldest first, revoked ones included. */
  listAdminKeys(): Promise<AdminKeyRecord[]>;
  /** Read on every admin request, so a revocation is seen by every process at once. */
  getAdminKey(id: string): Promise<AdminKeyRecord | null>;
  /** Sets revokedAt; false when no such unrevoked key. */
  revokeAdminKey(id: string, at: number): Promise<boolean>;
  insertChange(change: ChangeRecord): Promise<void>;
  /** Newest first. */
  queryChanges(query: ChangeQuery): Promise<ChangeRecord[]>;
  /** Deletes changes older than `before`, in batches (default PRUNE_CALLS_BATCH); returns how many. */
  pruneChanges(before: number, batchSize?: number): Promise<number>;
}

/** The outbox: publishes written with their deliveries, the delivery worker's leases and outcomes,
 * and the event and delivery logs the admin API shows. */
export interface OutboxStore {
  /** One transaction for the whole batch, applied in order (group commit). */
  publishEvents(batch: NewEvent[]): Promise<PublishOutcome[]>;
  /** Leases up to `limit` due pending deliveries (next attempt at or before `now`, no live lease)
   * to `owner` until `now + leaseMs`, oldest due first; several processes never get the same one. */
  claimDeliveries(query: { owner: string; now: number; leaseMs: number; limit: number }): Promise<ClaimedDelivery[]>;
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

/** One connection to the storage: every slice, and its own life and notifications. */
export interface Store extends CatalogStore, RegistryStore, AuditStore, OutboxStore, AdminStore {
  readonly kind: 'sqlite' | 'postgres';

  /** Applies pending versioned migrations (safe to run from several processes at once). */
  migrate(): Promise<void>;
  /** Throws when the storage cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Tells the other processes sharing this storage (not this one). No-op for SQLite. */
  notify(channel: NotifyChannel): Promise<void>;
  /**
   * Calls back when another process notified on the channel, and once whenever listening starts
   * or resumes after a lost connection (a notification sent meanwhile is lost, so the callback is
   * told to look again); returns an unsubscribe function.
   */
  listen(channel: NotifyChannel, callback: () => void): () => void;
}
