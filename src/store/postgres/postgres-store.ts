/**
 * The shared store: any number of hub processes on one PostgreSQL database. Claims use
 * `FOR UPDATE SKIP LOCKED` so processes never lease the same delivery; `notify` tells the other
 * processes (not this one) through LISTEN/NOTIFY on channels scoped to the schema.
 */
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AppRecord, CommunityRecord, DisabledSubscription, InstallationRecord, TokenRecord } from '../../registry/types.js';
import { postgresPlaceholder, type SqlValue } from '../sql/compose.js';
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
import { newDelivery, publishEventAsync, type AsyncPublishTransaction } from '../../delivery/publishing.js';
import { SecretBox } from '../../security/secret-box.js';
import type { SecretKey } from '../../security/secret-key.js';
import { NotificationListener } from './listener.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { refuseNewerSchema } from '../sql/migration.js';
import { BULK, columnArrays, WIDTHS } from './bulk.js';
import { connectionConfig, withTransaction } from './pool.js';

const p = postgresPlaceholder;

const SHARED = sharedStatements(p);

const SQL = {
  ...SHARED,
  // Serialises publishers of the same key across processes until the transaction ends.
  lockIdempotencyKey: 'SELECT pg_advisory_xact_lock(hashtext($1))',
  // SKIP LOCKED: a delivery being claimed right now is left alone; a new one is created instead.
  coalesce: `UPDATE deliveries SET event_id = $1, message_id = $2, coalesced = coalesced + 1, updated_at = $3
    WHERE status = 'pending' AND lease_owner IS NULL AND id = (SELECT id FROM deliveries
      WHERE community_id = $4 AND app_id = $5 AND action = $6 AND status = 'pending' AND lease_owner IS NULL
      ORDER BY seq DESC LIMIT 1 FOR UPDATE SKIP LOCKED)`,
  claim: `WITH claimed AS (
      UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2, updated_at = $3
      WHERE id IN (SELECT id FROM deliveries
        WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_owner IS NULL OR lease_expires_at <= $3)
        ORDER BY next_attempt_at, seq LIMIT $4 FOR UPDATE SKIP LOCKED)
      RETURNING *)
    SELECT claimed.*, CASE WHEN row_number() OVER (PARTITION BY claimed.event_id) = 1 THEN to_jsonb(events) END AS event
    FROM claimed JOIN events ON events.id = claimed.event_id
    ORDER BY claimed.next_attempt_at, claimed.seq`,
  replay: `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_owner = NULL,
      lease_expires_at = NULL, updated_at = $1, delivered_at = NULL
    WHERE id = $2 AND NOT (status = 'pending' AND lease_owner IS NOT NULL AND lease_expires_at > $1)
    RETURNING *`,
  resealApp: rows.resealAppSql(p),
  nextDue: `SELECT (${SHARED.nextUnleased}) AS free,
      (SELECT MIN(GREATEST(next_attempt_at, lease_expires_at)) FROM deliveries
        WHERE lease_owner IS NOT NULL AND status = 'pending') AS leased`,
} as const;

/** PostgreSQL channel names are identifiers: 63 bytes at most. */
function channelName(schema: string, channel: NotifyChannel): string {
  const name = `api_hub.${schema}.${channel}`;
  if (name.length <= 63) return name;
  return `api_hub.${createHash('sha256').update(schema).digest('hex').slice(0, 32)}.${channel}`;
}

type Queryable = pg.Pool | pg.PoolClient;

export interface PostgresStoreOptions {
  connectionString: string;
  /** Created when missing; every connection works in it (tests isolate themselves this way). */
  schema?: string;
  /** The key sealing app secrets (required: there is no file beside the database for one). */
  secretKey: SecretKey;
  /** The key before a rotation of `secretKey`: opens what it sealed, until `migrate` reseals it. */
  previousSecretKey?: SecretKey;
  /** Most pooled connections (default 10), besides the one for `LISTEN`. */
  poolSize?: number;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** Sent with each notification, so this store can skip its own. */
  private readonly instanceId = randomUUID();
  private readonly schema: string | undefined;
  private readonly pool: pg.Pool;
  private readonly listener: NotificationListener;
  private readonly box: SecretBox;

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema;
    this.box = new SecretBox(options.secretKey, options.previousSecretKey);
    const config = connectionConfig(options.connectionString, options.schema);
    this.pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
    // An idle connection that fails is dropped by the pool; the next query opens a new one.
    this.pool.on('error', () => {});
    this.listener = new NotificationListener(config, this.instanceId);
  }

  async migrate(): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      // Processes starting together take turns; the later ones find the work done.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`api-hub migrate ${this.schema ?? ''}`]);
      if (this.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`);
      const applied = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(applied.rows.map((row) => row.version));
      refuseNewerSchema(done, POSTGRES_MIGRATIONS, `the PostgreSQL database${this.schema === undefined ? '' : ` (schema ${this.schema})`}`);
      for (const migration of POSTGRES_MIGRATIONS) {
        if (done.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
      }
      // App secrets still in plaintext, or sealed with the previous key, are sealed with the
      // current one; the rows stay locked until the commit, so no writer interleaves.
      for (const row of await this.all('SELECT * FROM apps FOR UPDATE', [], client)) {
        const values = rows.resealedAppValues(row, this.box);
        if (values !== undefined) await this.run(SQL.resealApp, values, client);
      }
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.listener.close();
    // Closing twice is harmless, as with the SQLite store.
    if (!this.pool.ended) await this.pool.end();
  }

  async notify(channel: NotifyChannel): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [this.channelName(channel), this.instanceId]);
  }

  listen(channel: NotifyChannel, callback: () => void): () => void {
    return this.listener.add(this.channelName(channel), callback);
  }

  async listActions(): Promise<StoredAction[]> {
    return (await this.all('SELECT * FROM actions ORDER BY id, version')).map(rows.toStoredAction);
  }

  async putAction(action: StoredAction): Promise<void> {
    await this.run(SQL.upsertAction, rows.actionValues(action));
  }

  async listActionStatuses(): Promise<ActionStatusRecord[]> {
    return (await this.all('SELECT * FROM action_statuses ORDER BY action, version')).map(rows.toActionStatus);
  }

  async putActionStatus(record: ActionStatusRecord): Promise<void> {
    await this.run(SQL.upsertActionStatus, rows.actionStatusValues(record));
  }

  async listApps(): Promise<AppRecord[]> {
    return (await this.all('SELECT * FROM apps ORDER BY id')).map((row) => rows.toApp(row, this.box));
  }

  async putApp(app: AppRecord): Promise<void> {
    await this.run(SQL.upsertApp, rows.appValues(app, this.box));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.all('SELECT * FROM tokens ORDER BY created_at, id')).map(rows.toToken);
  }

  async insertToken(token: TokenRecord): Promise<void> {
    await this.run(SQL.insertToken, rows.tokenValues(token));
  }

  async revokeToken(appId: string, tokenId: string, at: number): Promise<boolean> {
    const sql = 'UPDATE tokens SET revoked_at = $1 WHERE app_id = $2 AND id = $3 AND revoked_at IS NULL';
    return (await this.run(sql, [at, appId, tokenId])) > 0;
  }

  async listCommunities(): Promise<CommunityRecord[]> {
    return (await this.all('SELECT * FROM communities ORDER BY id')).map(rows.toCommunity);
  }

  async putCommunity(community: CommunityRecord): Promise<boolean> {
    return (await this.run(SQL.insertCommunity, rows.communityValues(community))) > 0;
  }

  async listInstallations(): Promise<InstallationRecord[]> {
    return (await this.all('SELECT * FROM installations ORDER BY community_id, app_id')).map(rows.toInstallation);
  }

  async putInstallation(installation: InstallationRecord): Promise<void> {
    await this.run(SQL.upsertInstallation, rows.installationValues(installation));
  }

  async listDisabledSubscriptions(): Promise<DisabledSubscription[]> {
    const sql = 'SELECT * FROM disabled_subscriptions ORDER BY community_id, app_id, action';
    return (await this.all(sql)).map(rows.toDisabledSubscription);
  }

  async insertAdminKey(key: AdminKeyRecord): Promise<void> {
    await this.run(SQL.insertAdminKey, rows.adminKeyValues(key));
  }

  async listAdminKeys(): Promise<AdminKeyRecord[]> {
    return (await this.all('SELECT * FROM admin_keys ORDER BY created_at, id')).map(rows.toAdminKey);
  }

  async getAdminKey(id: string): Promise<AdminKeyRecord | null> {
    const [row] = await this.all(SQL.getAdminKey, [id]);
    return row === undefined ? null : rows.toAdminKey(row);
  }

  async revokeAdminKey(id: string, at: number): Promise<boolean> {
    return (await this.run(SQL.revokeAdminKey, [at, id])) > 0;
  }

  async insertChange(change: ChangeRecord): Promise<void> {
    await this.run(SQL.insertChange, rows.changeValues(change));
  }

  async queryChanges(query: ChangeQuery): Promise<ChangeRecord[]> {
    const { sql, params } = changesPage(query, p);
    return (await this.all(sql, params)).map(rows.toChange);
  }

  async pruneChanges(before: number, batchSize = PRUNE_CALLS_BATCH): Promise<number> {
    return deleteInBatches((limit) => this.run(SQL.pruneChangesBatch, [before, limit]), batchSize);
  }

  async deleteApp(appId: string, at: number): Promise<boolean> {
    return this.remove(appRemoval(appId, at, p));
  }

  async deleteCommunity(communityId: string, at: number): Promise<boolean> {
    return this.remove(communityRemoval(communityId, at, p));
  }

  private remove(steps: Removal): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      let changed = 0;
      for (const { sql, params } of steps) changed = await this.run(sql, params, client);
      return changed > 0;
    });
  }

  async insertCalls(calls: CallRecord[]): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      await client.query('SET LOCAL synchronous_commit = off');
      for (const call of calls) await this.run(SQL.insertCall, rows.callValues(call), client);
    });
  }

  async queryCalls(query: CallQuery): Promise<CallRecord[]> {
    const { sql, params } = callsPage(query, p);
    return (await this.all(sql, params)).map(rows.toCall);
  }

  async pruneCalls(before: number, batchSize = PRUNE_CALLS_BATCH): Promise<number> {
    // Short statements: no long lock on the table, no long transaction holding back vacuum.
    return deleteInBatches((limit) => this.run(SQL.pruneCallsBatch, [before, limit]), batchSize);
  }

  async publishEvents(batch: NewEvent[]): Promise<PublishOutcome[]> {
    return withTransaction(this.pool, async (client) => {
      const publishing = this.publishing(client);
      const outcomes: PublishOutcome[] = [];
      // Most publishes need no read (no Idempotency-Key, no coalescing): each run of those is
      // written in bulk; the others one by one, in the batch's order all the same.
      let run: NewEvent[] = [];
      for (const item of batch) {
        if (item.event.idempotencyKey === null && !item.coalesce) {
          run.push(item);
          continue;
        }
        outcomes.push(...(await this.insertPlain(run, client)), await publishEventAsync(publishing, item));
        run = [];
      }
      outcomes.push(...(await this.insertPlain(run, client)));
      return outcomes;
    });
  }

  /** Publishes with nothing to read first: two statements however many events and deliveries. */
  private async insertPlain(batch: NewEvent[], client: pg.PoolClient): Promise<PublishOutcome[]> {
    if (batch.length === 0) return [];
    const deliveries = batch.map(({ event, deliveries }) => deliveries.map((d) => newDelivery(event, d)));
    await client.query(
      BULK.insertEvents,
      columnArrays(
        batch.map(({ event }) => rows.eventValues(event)),
        WIDTHS.event,
      ),
    );
    const all = deliveries.flat();
    if (all.length > 0) await client.query(BULK.insertDeliveries, columnArrays(all.map(rows.deliveryValues), WIDTHS.delivery));
    return batch.map(({ event }, i) => ({ eventId: event.id, duplicate: false, leased: deliveries[i]!.filter((d) => d.leaseOwner !== null) }));
  }

  async claimDeliveries(query: { owner: string; now: number; leaseMs: number; limit: number }): Promise<ClaimedDelivery[]> {
    const { owner, now, leaseMs, limit } = query;
    const claimed = await this.all(SQL.claim, [owner, now + leaseMs, now, limit]);
    // Each event comes once, on one of its deliveries' rows: a fan-out claimed together would
    // otherwise bring its payload once per subscriber.
    const events = new Map<string, EventRecord>();
    for (const row of claimed) if (row.event !== null) events.set(row.event_id as string, rows.toEvent(row.event as Row));
    return claimed.map((row) => ({ delivery: rows.toDelivery(row), event: events.get(row.event_id as string)! }));
  }

  async finishAttempts(owner: string, items: FinishedAttempt[]): Promise<boolean[]> {
    return withTransaction(this.pool, async (client) => {
      // As on SQLite: a lost outcome only means another attempt, so the commit need not wait for the disk.
      await client.query('SET LOCAL synchronous_commit = off');
      await client.query(
        BULK.insertAttempts,
        columnArrays(
          items.map(({ attempt }) => rows.attemptValues(attempt)),
          WIDTHS.attempt,
        ),
      );
      const finishes = items.map(({ attempt, outcome }) => [...rows.finishValues(attempt, outcome), attempt.deliveryId]);
      const done = await this.all(BULK.finish, [...columnArrays(finishes, 7), owner], client);
      const appliedTo = new Set(done.map((row) => row.id as string));
      // Item by item, a second outcome for one delivery would find it finished: only the first applies.
      const seen = new Set<string>();
      return items.map(({ attempt: { deliveryId } }) => {
        const first = !seen.has(deliveryId);
        seen.add(deliveryId);
        return first && appliedTo.has(deliveryId);
      });
    });
  }

  async extendLease(owner: string, deliveryId: string, until: number): Promise<boolean> {
    return (
      (await this.run("UPDATE deliveries SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'pending'", [until, deliveryId, owner])) > 0
    );
  }

  async releaseLeases(owner: string): Promise<number> {
    const sql = 'UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1';
    return this.run(sql, [owner]);
  }

  async nextDueAt(): Promise<number | null> {
    // As on SQLite: two index walks, not a scan of the backlog.
    const [row] = await this.all(SQL.nextDue);
    return rows.minDue(row?.free as number | null | undefined, row?.leased as number | null | undefined);
  }

  async cancelPendingDeliveries(filter: { communityId: string; appId: string; action?: string }, at: number): Promise<number> {
    return this.cancelPending(filter, at, this.pool);
  }

  async disableSubscription(subscription: DisabledSubscription): Promise<number> {
    return withTransaction(this.pool, async (client) => {
      await this.run(SQL.upsertDisabledSubscription, rows.disabledSubscriptionValues(subscription), client);
      return this.cancelPending(subscription, subscription.disabledAt, client);
    });
  }

  async enableSubscription(communityId: string, appId: string, action: string): Promise<boolean> {
    const sql = 'DELETE FROM disabled_subscriptions WHERE community_id = $1 AND app_id = $2 AND action = $3';
    return (await this.run(sql, [communityId, appId, action])) > 0;
  }

  async replayDelivery(id: string, now: number): Promise<DeliveryRecord | null> {
    const [row] = await this.all(SQL.replay, [now, id]);
    return row === undefined ? null : rows.toDelivery(row);
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const [row] = await this.all('SELECT * FROM deliveries WHERE id = $1', [id]);
    return row === undefined ? null : rows.toDelivery(row);
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    const [row] = await this.all('SELECT * FROM events WHERE id = $1', [id]);
    return row === undefined ? null : rows.toEvent(row);
  }

  async listEvents(query: EventQuery): Promise<EventRecord[]> {
    const { sql, params } = eventsPage(query, p);
    return (await this.all(sql, params)).map(rows.toEvent);
  }

  async listDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    const { sql, params } = deliveriesPage(query, p);
    return (await this.all(sql, params)).map(rows.toDelivery);
  }

  async listAttempts(deliveryIds: string[]): Promise<AttemptRecord[]> {
    if (deliveryIds.length === 0) return [];
    const sql = 'SELECT * FROM attempts WHERE delivery_id = ANY($1::text[]) ORDER BY at, seq';
    return (await this.all(sql, [deliveryIds])).map(rows.toAttempt);
  }

  async countOpenDeliveries(): Promise<OpenDeliveryCounts> {
    return rows.toOpenDeliveryCounts((await this.all(SQL.countOpenDeliveries))[0]);
  }

  async pruneEvents(before: number, batchSize = PRUNE_EVENTS_BATCH): Promise<number> {
    // Deliveries and their attempts go with their event (ON DELETE CASCADE).
    return deleteInBatches((limit) => this.run(SQL.pruneEventsBatch, [before, limit]), batchSize);
  }

  /** The statements of a publish (see delivery/publishing.ts) on the client of its transaction. */
  private publishing(client: pg.PoolClient): AsyncPublishTransaction {
    return {
      earlierEvent: async (event, since) => {
        await client.query(SQL.lockIdempotencyKey, [`${event.publisher}\n${event.communityId}\n${event.idempotencyKey}`]);
        const [row] = await this.all(SQL.firstIdempotentEvent, [event.publisher, event.communityId, event.idempotencyKey, since], client);
        return row === undefined ? undefined : rows.toEvent(row);
      },
      insertEvent: async (event) => void (await this.run(SQL.insertEvent, rows.eventValues(event), client)),
      coalesce: async (event, delivery) =>
        (await this.run(SQL.coalesce, [event.id, delivery.messageId, event.createdAt, event.communityId, delivery.appId, event.action], client)) > 0,
      insertDelivery: async (delivery) => void (await this.run(SQL.insertDelivery, rows.deliveryValues(delivery), client)),
    };
  }

  private cancelPending(filter: { communityId: string; appId: string; action?: string }, at: number, db: Queryable): Promise<number> {
    const params: SqlValue[] = [at, filter.communityId, filter.appId];
    if (filter.action === undefined) return this.run(SQL.cancelPending, params, db);
    return this.run(SQL.cancelPendingOfAction, [...params, filter.action], db);
  }

  private channelName(channel: NotifyChannel): string {
    return channelName(this.schema ?? 'public', channel);
  }

  private async all(sql: string, params: unknown[] = [], db: Queryable = this.pool): Promise<Row[]> {
    return (await db.query<Row>(sql, params)).rows;
  }

  /** Returns how many rows changed. */
  private async run(sql: string, params: unknown[], db: Queryable = this.pool): Promise<number> {
    return (await db.query(sql, params)).rowCount ?? 0;
  }
}
