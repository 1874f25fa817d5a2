/**
 * The embedded store: one process, one better-sqlite3 connection. Every method is a synchronous
 * call wrapped in a promise; writes of several rows run in one IMMEDIATE transaction.
 */
/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous; the Store contract is async (a throw rejects) */
import type Database from 'better-sqlite3';
import type { DisabledSubscription, AppRecord, CommunityRecord, InstallationRecord, TokenRecord } from '../../registry/types.js';
import { sqlitePlaceholder, type SqlValue } from '../sql/compose.js';
import * as rows from '../sql/rows.js';
import { deleteInBatches, PRUNE_CALLS_BATCH, PRUNE_EVENTS_BATCH } from '../sql/batches.js';
import { appRemoval, callsPage, changesPage, communityRemoval, deliveriesPage, eventsPage, sharedStatements, type Removal } from '../sql/statements.js';
import type { AdminKeyRecord } from '../../admin/admin-keys.js';
import type { ChangeQuery, ChangeRecord } from '../../admin/change-types.js';
import type { Row } from '../sql/rows.js';
import type { CallQuery, CallRecord } from '../../audit/types.js';
import type {
  FinishedAttempt,
  AttemptRecord,
  ClaimedDelivery,
  DeliveryQuery,
  DeliveryRecord,
  EventQuery,
  EventRecord,
  NewEvent,
  OpenDeliveryCounts,
  PublishOutcome,
} from '../../delivery/types.js';
import type { NotifyChannel, Store, ActionStatusRecord, StoredAction } from '../store.js';
import { keyFileExists, keyFilePath, loadOrCreateKeyFile, type KeyFile } from '../../security/key-file.js';
import { publishEvent, type PublishTransaction } from '../../delivery/publishing.js';
import { SecretBox } from '../../security/secret-box.js';
import { SecretKeyError, type SecretKey } from '../../security/secret-key.js';
import { applyMigrations, openDatabase } from './database.js';
import { WalSync } from './wal-sync.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

const p = sqlitePlaceholder;

const SQL = {
  ...sharedStatements(p),
  coalesce: `UPDATE deliveries SET event_id = ?, message_id = ?, coalesced = coalesced + 1, updated_at = ?
    WHERE id = (SELECT id FROM deliveries
      WHERE community_id = ? AND app_id = ? AND action = ? AND status = 'pending' AND lease_owner IS NULL
      ORDER BY seq DESC LIMIT 1)`,
  claim: `UPDATE deliveries SET lease_owner = ?, lease_expires_at = ?, updated_at = ?
    WHERE id IN (SELECT id FROM deliveries
      WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_owner IS NULL OR lease_expires_at <= ?)
      ORDER BY next_attempt_at, seq LIMIT ?)
    RETURNING *`,
  insertAttempt: `INSERT INTO attempts (${rows.ATTEMPT_COLUMNS.join(', ')})
    SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?)`,
  // Parameters: rows.finishValues(attempt, outcome), then the delivery id and the lease owner.
  // (PostgreSQL applies a whole batch in one statement: BULK.finish.)
  finish: `UPDATE deliveries SET status = ?, attempts = attempts + 1,
      next_attempt_at = COALESCE(?, next_attempt_at), lease_owner = NULL, lease_expires_at = NULL,
      last_status_code = ?, last_error = ?, updated_at = ?, delivered_at = ?
    WHERE id = ? AND status = 'pending' AND lease_owner = ?`,
  replay: `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL,
      lease_expires_at = NULL, updated_at = ?, delivered_at = NULL
    WHERE id = ? AND NOT (status = 'pending' AND lease_owner IS NOT NULL AND lease_expires_at > ?)
    RETURNING *`,
  nextLeased: `SELECT MIN(MAX(next_attempt_at, lease_expires_at)) AS due FROM deliveries
    WHERE lease_owner IS NOT NULL AND status = 'pending'`,
  resealApp: rows.resealAppSql(p),
} as const;

export interface SqliteStoreOptions {
  /** The key sealing app secrets; without one, the key file beside the database (created when
   * missing). */
  secretKey?: SecretKey;
  /** The key before a rotation of `secretKey`: opens what it sealed, until `migrate` reseals it. */
  previousSecretKey?: SecretKey;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  /** Statements by SQL text: each is prepared once, on first use (after the migrations). */
  private readonly statements = new Map<string, Database.Statement>();

  private readonly walSync: WalSync;
  /** The statements of a publish (see delivery/publishing.ts), run inside `publishEvents`'s transaction. */
  private readonly publishing: PublishTransaction = {
    earlierEvent: (event, since) => {
      const row = this.get(SQL.firstIdempotentEvent, [event.publisher, event.communityId, event.idempotencyKey, since]);
      return row === undefined ? undefined : rows.toEvent(row);
    },
    insertEvent: (event) => void this.run(SQL.insertEvent, rows.eventValues(event)),
    coalesce: (event, delivery) => this.run(SQL.coalesce, [event.id, delivery.messageId, event.createdAt, event.communityId, delivery.appId, event.action]) > 0,
    insertDelivery: (delivery) => void this.run(SQL.insertDelivery, rows.deliveryValues(delivery)),
  };
  /** Set by `migrate`, which must run before the registry is read or written. */
  private box: SecretBox | undefined;
  /** The key file in use, when no key was given. */
  keyFile: KeyFile | undefined;

  constructor(
    readonly path: string,
    private readonly keys: SqliteStoreOptions = {},
  ) {
    this.db = openDatabase(path);
    this.walSync = new WalSync(`${path}-wal`);
  }

  /** Applies the migrations, then seals with the current key every app secret still in plaintext
   * or sealed with the previous key. */
  async migrate(): Promise<void> {
    applyMigrations(this.db, SQLITE_MIGRATIONS, `the database ${this.path}`);
    this.box ??= this.openBox();
    const box = this.box;
    this.db
      .transaction(() => {
        for (const row of this.all('SELECT * FROM apps')) {
          const values = rows.resealedAppValues(row, box);
          if (values !== undefined) this.run(SQL.resealApp, values);
        }
      })
      .immediate();
  }

  private openBox(): SecretBox {
    if (this.keys.secretKey !== undefined) return new SecretBox(this.keys.secretKey, this.keys.previousSecretKey);
    const path = keyFilePath(this.path);
    // A new key would not open them: say what is missing rather than fail on every app.
    if (!keyFileExists(path) && this.all('SELECT * FROM apps').some(rows.holdsSealedValue)) {
      throw new SecretKeyError(
        `the database ${this.path} holds encrypted app secrets but its key file ${path} is missing: restore the key ` +
          'file from the backup of this database, or set HUB_SECRET_KEY to the key the secrets were encrypted with',
      );
    }
    this.keyFile = loadOrCreateKeyFile(path);
    return new SecretBox(this.keyFile.key, this.keys.previousSecretKey);
  }

  private get secrets(): SecretBox {
    if (this.box === undefined) throw new Error('SqliteStore: migrate() must run before apps are read or written');
    return this.box;
  }

  async ping(): Promise<void> {
    this.get('SELECT 1');
  }

  async close(): Promise<void> {
    await this.walSync.close();
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  /** One process per SQLite file, so there is no one else to tell. */
  async notify(_channel: NotifyChannel): Promise<void> {}

  listen(_channel: NotifyChannel, _callback: () => void): () => void {
    return () => {};
  }

  async listActions(): Promise<StoredAction[]> {
    return this.all('SELECT * FROM actions ORDER BY id, version').map(rows.toStoredAction);
  }

  async putAction(action: StoredAction): Promise<void> {
    this.run(SQL.upsertAction, rows.actionValues(action));
  }

  async listActionStatuses(): Promise<ActionStatusRecord[]> {
    return this.all('SELECT * FROM action_statuses ORDER BY action, version').map(rows.toActionStatus);
  }

  async putActionStatus(record: ActionStatusRecord): Promise<void> {
    this.run(SQL.upsertActionStatus, rows.actionStatusValues(record));
  }

  async listApps(): Promise<AppRecord[]> {
    return this.all('SELECT * FROM apps ORDER BY id').map((row) => rows.toApp(row, this.secrets));
  }

  async putApp(app: AppRecord): Promise<void> {
    this.run(SQL.upsertApp, rows.appValues(app, this.secrets));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.all('SELECT * FROM tokens ORDER BY created_at, id').map(rows.toToken);
  }

  async insertToken(token: TokenRecord): Promise<void> {
    this.run(SQL.insertToken, rows.tokenValues(token));
  }

  async revokeToken(appId: string, tokenId: string, at: number): Promise<boolean> {
    const sql = 'UPDATE tokens SET revoked_at = ? WHERE app_id = ? AND id = ? AND revoked_at IS NULL';
    return this.run(sql, [at, appId, tokenId]) > 0;
  }

  async listCommunities(): Promise<CommunityRecord[]> {
    return this.all('SELECT * FROM communities ORDER BY id').map(rows.toCommunity);
  }

  async putCommunity(community: CommunityRecord): Promise<boolean> {
    return this.run(SQL.insertCommunity, rows.communityValues(community)) > 0;
  }

  async listInstallations(): Promise<InstallationRecord[]> {
    return this.all('SELECT * FROM installations ORDER BY community_id, app_id').map(rows.toInstallation);
  }

  async putInstallation(installation: InstallationRecord): Promise<void> {
    this.run(SQL.upsertInstallation, rows.installationValues(installation));
  }

  async listDisabledSubscriptions(): Promise<DisabledSubscription[]> {
    const sql = 'SELECT * FROM disabled_subscriptions ORDER BY community_id, app_id, action';
    return this.all(sql).map(rows.toDisabledSubscription);
  }

  async insertAdminKey(key: AdminKeyRecord): Promise<void> {
    this.run(SQL.insertAdminKey, rows.adminKeyValues(key));
  }

  async listAdminKeys(): Promise<AdminKeyRecord[]> {
    return this.all('SELECT * FROM admin_keys ORDER BY created_at, id').map(rows.toAdminKey);
  }

  async getAdminKey(id: string): Promise<AdminKeyRecord | null> {
    const row = this.get(SQL.getAdminKey, [id]);
    return row === undefined ? null : rows.toAdminKey(row);
  }

  async revokeAdminKey(id: string, at: number): Promise<boolean> {
    return this.run(SQL.revokeAdminKey, [at, id]) > 0;
  }

  async insertChange(change: ChangeRecord): Promise<void> {
    this.run(SQL.insertChange, rows.changeValues(change));
  }

  async queryChanges(query: ChangeQuery): Promise<ChangeRecord[]> {
    const { sql, params } = changesPage(query, p);
    return this.all(sql, params).map(rows.toChange);
  }

  async pruneChanges(before: number, batchSize = PRUNE_CALLS_BATCH): Promise<number> {
    return deleteInBatches((limit) => this.unsynced(() => this.run(SQL.pruneChangesBatch, [before, limit])), batchSize);
  }

  async deleteApp(appId: string, at: number): Promise<boolean> {
    return this.remove(appRemoval(appId, at, p));
  }

  async deleteCommunity(communityId: string, at: number): Promise<boolean> {
    return this.remove(communityRemoval(communityId, at, p));
  }

  private remove(steps: Removal): boolean {
    return this.db.transaction(() => steps.map(({ sql, params }) => this.run(sql, params)).at(-1)! > 0).immediate();
  }

  async insertCalls(calls: CallRecord[]): Promise<void> {
    // Audit lines need not hold the loop for an fsync: a power cut may lose the last few.
    this.unsynced(() => {
      for (const call of calls) this.run(SQL.insertCall, rows.callValues(call));
    });
  }

  async queryCalls(query: CallQuery): Promise<CallRecord[]> {
    const { sql, params } = callsPage(query, p);
    return this.all(sql, params).map(rows.toCall);
  }

  async pruneCalls(before: number, batchSize = PRUNE_CALLS_BATCH): Promise<number> {
    // Without waiting for the disk: a prune lost in a power cut is done again at the next one.
    return deleteInBatches((limit) => this.unsynced(() => this.run(SQL.pruneCallsBatch, [before, limit])), batchSize);
  }

  async publishEvents(batch: NewEvent[]): Promise<PublishOutcome[]> {
    const outcomes = this.unsynced(() => batch.map((item) => publishEvent(this.publishing, item)));
    // Durable before anyone is told: the fsync runs off the event loop (see WalSync).
    await this.walSync.sync();
    return outcomes;
  }

  async claimDeliveries(query: { owner: string; now: number; leaseMs: number; limit: number }): Promise<ClaimedDelivery[]> {
    const { owner, now, leaseMs, limit } = query;
    return this.unsynced(() => {
      const claimed = this.all(SQL.claim, [owner, now + leaseMs, now, now, now, limit]).map(rows.toDelivery);
      // RETURNING gives no order guarantee.
      claimed.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.seq ?? 0) - (b.seq ?? 0));
      // Read once per event: a fan-out claims many deliveries of one, each with its payload.
      const events = new Map<string, EventRecord>();
      return claimed.map((delivery) => {
        let event = events.get(delivery.eventId);
        if (event === undefined) {
          event = this.eventById(delivery.eventId) as EventRecord;
          events.set(delivery.eventId, event);
        }
        return { delivery, event };
      });
    });
  }

  async finishAttempts(owner: string, items: FinishedAttempt[]): Promise<boolean[]> {
    return this.unsynced(() =>
      items.map(({ attempt, outcome }) => {
        this.run(SQL.insertAttempt, [...rows.attemptValues(attempt), attempt.deliveryId]);
        return this.run(SQL.finish, [...rows.finishValues(attempt, outcome), attempt.deliveryId, owner]) > 0;
      }),
    );
  }

  async extendLease(owner: string, deliveryId: string, until: number): Promise<boolean> {
    return this.unsynced(
      () => this.run("UPDATE deliveries SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'pending'", [until, deliveryId, owner]) > 0,
    );
  }

  async releaseLeases(owner: string): Promise<number> {
    return this.unsynced(() => this.run('UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?', [owner]));
  }

  /**
   * A transaction committed without waiting for the disk (`synchronous = NORMAL`; FULL, the
   * connection's own, comes back after): after a power cut it may be lost, never half-applied. Used
   * for the worker's bookkeeping (claims, leases, outcomes: losing them only means another attempt),
   * for audit lines, and for publishes, which then await their own WAL fsync. Admin writes keep FULL;
   * any durable commit or fsync makes every earlier commit durable too.
   */
  private unsynced<T>(work: () => T): T {
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      return this.db.transaction(work).immediate();
    } finally {
      this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  async nextDueAt(): Promise<number | null> {
    // Two index walks, not a scan of the backlog: the first unleased pending delivery in due order,
    // and the few leased ones (a lease ends, or the next attempt comes, whichever is later).
    const free = this.get(SQL.nextUnleased)?.due as number | undefined;
    const leased = this.get(SQL.nextLeased)?.due as number | null | undefined;
    return rows.minDue(free, leased);
  }

  async cancelPendingDeliveries(filter: { communityId: string; appId: string; action?: string }, at: number): Promise<number> {
    return this.cancelPending(filter, at);
  }

  async disableSubscription(subscription: DisabledSubscription): Promise<number> {
    return this.db
      .transaction(() => {
        this.run(SQL.upsertDisabledSubscription, rows.disabledSubscriptionValues(subscription));
        return this.cancelPending(subscription, subscription.disabledAt);
      })
      .immediate();
  }

  async enableSubscription(communityId: string, appId: string, action: string): Promise<boolean> {
    const sql = 'DELETE FROM disabled_subscriptions WHERE community_id = ? AND app_id = ? AND action = ?';
    return this.run(sql, [communityId, appId, action]) > 0;
  }

  async replayDelivery(id: string, now: number): Promise<DeliveryRecord | null> {
    const row = this.get(SQL.replay, [now, now, id, now]);
    return row === undefined ? null : rows.toDelivery(row);
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const row = this.get('SELECT * FROM deliveries WHERE id = ?', [id]);
    return row === undefined ? null : rows.toDelivery(row);
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    return this.eventById(id);
  }

  async listEvents(query: EventQuery): Promise<EventRecord[]> {
    const { sql, params } = eventsPage(query, p);
    return this.all(sql, params).map(rows.toEvent);
  }

  async listDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    const { sql, params } = deliveriesPage(query, p);
    return this.all(sql, params).map(rows.toDelivery);
  }

  async listAttempts(deliveryIds: string[]): Promise<AttemptRecord[]> {
    if (deliveryIds.length === 0) return [];
    // One statement for any number of ids: the ids travel as one JSON array.
    const sql = 'SELECT * FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY at, seq';
    return this.all(sql, [JSON.stringify(deliveryIds)]).map(rows.toAttempt);
  }

  async countOpenDeliveries(): Promise<OpenDeliveryCounts> {
    return rows.toOpenDeliveryCounts(this.get(SQL.countOpenDeliveries));
  }

  async pruneEvents(before: number, batchSize = PRUNE_EVENTS_BATCH): Promise<number> {
    // Deliveries and their attempts go with their event (ON DELETE CASCADE).
    return deleteInBatches((limit) => this.unsynced(() => this.run(SQL.pruneEventsBatch, [before, limit])), batchSize);
  }

  private cancelPending(filter: { communityId: string; appId: string; action?: string }, at: number): number {
    const params: SqlValue[] = [at, filter.communityId, filter.appId];
    if (filter.action === undefined) return this.run(SQL.cancelPending, params);
    return this.run(SQL.cancelPendingOfAction, [...params, filter.action]);
  }

  private eventById(id: string): EventRecord | null {
    const row = this.get('SELECT * FROM events WHERE id = ?', [id]);
    return row === undefined ? null : rows.toEvent(row);
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private all(sql: string, params: SqlValue[] = []): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }

  private get(sql: string, params: SqlValue[] = []): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }

  /** Returns how many rows changed. */
  private run(sql: string, params: SqlValue[]): number {
    return this.statement(sql).run(...params).changes;
  }
}
