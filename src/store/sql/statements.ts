/**
 * The statements both adapters run unchanged but for the placeholder style, written once. Each
 * adapter adds its own where the dialects part (locking, RETURNING with joins, MAX vs GREATEST).
 */
import { insertSql, pageQuery, upsertSql, type Placeholder, type SqlValue } from './compose.js';
import type { ChangeQuery } from '../../admin/change-types.js';
import type { CallQuery } from '../../audit/types.js';
import type { DeliveryQuery, EventQuery } from '../../delivery/types.js';
import * as rows from './rows.js';

export function sharedStatements(p: Placeholder) {
  const cancelPending = `UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = ${p(1)}
      WHERE status = 'pending' AND community_id = ${p(2)} AND app_id = ${p(3)}`;
  return {
    insertCall: insertSql('calls', rows.CALL_COLUMNS, p),
    upsertAction: upsertSql('actions', rows.ACTION_COLUMNS, rows.ACTION_KEYS, p),
    upsertActionStatus: upsertSql('action_statuses', rows.ACTION_STATUS_COLUMNS, rows.ACTION_STATUS_KEYS, p),
    upsertApp: upsertSql('apps', rows.APP_COLUMNS, rows.APP_KEYS, p),
    insertToken: insertSql('tokens', rows.TOKEN_COLUMNS, p),
    insertAdminKey: insertSql('admin_keys', rows.ADMIN_KEY_COLUMNS, p),
    getAdminKey: `SELECT * FROM admin_keys WHERE id = ${p(1)}`,
    revokeAdminKey: `UPDATE admin_keys SET revoked_at = ${p(1)} WHERE id = ${p(2)} AND revoked_at IS NULL`,
    insertChange: insertSql('admin_changes', rows.CHANGE_COLUMNS, p),
    /** One batch of change-trail pruning, as for the audit log. */
    pruneChangesBatch: `DELETE FROM admin_changes WHERE seq IN (
      SELECT seq FROM admin_changes WHERE at < ${p(1)} ORDER BY at LIMIT ${p(2)})`,
    insertCommunity: `${insertSql('communities', rows.COMMUNITY_COLUMNS, p)} ON CONFLICT (id) DO NOTHING`,
    upsertInstallation: upsertSql('installations', rows.INSTALLATION_COLUMNS, rows.INSTALLATION_KEYS, p),
    upsertDisabledSubscription: upsertSql('disabled_subscriptions', rows.DISABLED_SUBSCRIPTION_COLUMNS, rows.DISABLED_SUBSCRIPTION_KEYS, p),
    insertEvent: insertSql('events', rows.EVENT_COLUMNS, p),
    insertDelivery: insertSql('deliveries', rows.DELIVERY_COLUMNS, p),
    firstIdempotentEvent: `SELECT * FROM events
      WHERE publisher = ${p(1)} AND community_id = ${p(2)} AND idempotency_key = ${p(3)} AND created_at >= ${p(4)}
      ORDER BY created_at, seq LIMIT 1`,
    cancelPending,
    cancelPendingOfAction: `${cancelPending} AND action = ${p(4)}`,
    /** The first pending delivery no one holds, in due order (an index walk, not a scan). */
    nextUnleased: `SELECT next_attempt_at AS due FROM deliveries WHERE status = 'pending' AND lease_owner IS NULL
      ORDER BY next_attempt_at, seq LIMIT 1`,
    /** Both counts walk a partial index, so their cost follows the backlog, not the history. */
    countOpenDeliveries: `SELECT (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS pending,
      (SELECT COUNT(*) FROM deliveries WHERE status = 'dead') AS dead`,
    /** One batch of audit pruning: up to p(2) of the oldest lines before p(1), found by the `at` index. */
    pruneCallsBatch: `DELETE FROM calls WHERE seq IN (
      SELECT seq FROM calls WHERE at < ${p(1)} ORDER BY at LIMIT ${p(2)})`,
    /** One batch of event pruning: up to p(2) of the oldest events before p(1) with no pending delivery. */
    pruneEventsBatch: `DELETE FROM events WHERE seq IN (
      SELECT seq FROM events WHERE created_at < ${p(1)} AND NOT EXISTS (
        SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id AND deliveries.status = 'pending')
      ORDER BY created_at LIMIT ${p(2)})`,
  } as const;
}

type Page = { sql: string; params: SqlValue[] };

/** Statements an adapter runs in order in one transaction; the last one's changed rows tell
 * whether the target existed. */
export type Removal = Page[];

/**
 * The removal of an app: its pending deliveries cancelled (every community; they walk the partial
 * index of pending ones), its tokens revoked (kept, as the history of who called), its installations
 * and switched-off subscriptions deleted, then the app. The audit lines, events and settled
 * deliveries stay: they are the record of what it did.
 */
export function appRemoval(appId: string, at: number, p: Placeholder): Removal {
  return [
    {
      sql: `UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = ${p(1)}
        WHERE status = 'pending' AND app_id = ${p(2)}`,
      params: [at, appId],
    },
    { sql: `UPDATE tokens SET revoked_at = ${p(1)} WHERE app_id = ${p(2)} AND revoked_at IS NULL`, params: [at, appId] },
    { sql: `DELETE FROM installations WHERE app_id = ${p(1)}`, params: [appId] },
    { sql: `DELETE FROM disabled_subscriptions WHERE app_id = ${p(1)}`, params: [appId] },
    { sql: `DELETE FROM apps WHERE id = ${p(1)}`, params: [appId] },
  ];
}

/** The removal of a community: the pending deliveries in it cancelled, its installations and
 * switched-off subscriptions deleted, then the community. Its events and audit lines stay. */
export function communityRemoval(communityId: string, at: number, p: Placeholder): Removal {
  return [
    {
      sql: `UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = ${p(1)}
        WHERE status = 'pending' AND community_id = ${p(2)}`,
      params: [at, communityId],
    },
    { sql: `DELETE FROM installations WHERE community_id = ${p(1)}`, params: [communityId] },
    { sql: `DELETE FROM disabled_subscriptions WHERE community_id = ${p(1)}`, params: [communityId] },
    { sql: `DELETE FROM communities WHERE id = ${p(1)}`, params: [communityId] },
  ];
}

/* The time bounds are plain ranges on indexed columns (calls_at, events_created_at,
 * deliveries_created_at): either the range index or the seq order can drive the page. */

/** A newest-first page of the audit log under the query's filters. */
export function callsPage(query: CallQuery, p: Placeholder): Page {
  return pageQuery(
    'calls',
    [
      { column: 'community_id', operator: '=', value: query.communityId },
      { column: 'action', operator: '=', value: query.action },
      { column: 'provider', operator: '=', value: query.provider },
      { column: 'consumer', operator: '=', value: query.consumer },
      { column: 'outcome', operator: '=', value: query.outcome },
      { column: 'id', operator: '=', value: query.id },
      { column: 'at', operator: '>=', value: query.since },
      { column: 'at', operator: '<=', value: query.until },
      { column: 'seq', operator: '<', value: query.beforeSeq },
    ],
    query.limit,
    p,
  );
}

/** A newest-first page of the change trail under the query's filters. */
export function changesPage(query: ChangeQuery, p: Placeholder): Page {
  return pageQuery(
    'admin_changes',
    [
      { column: 'key_id', operator: '=', value: query.keyId },
      { column: 'app_id', operator: '=', value: query.appId },
      { column: 'community_id', operator: '=', value: query.communityId },
      { column: 'target', operator: '=', value: query.target },
      { column: 'kind', operator: '=', value: query.kind },
      { column: 'route', operator: '=', value: query.route },
      { column: 'at', operator: '>=', value: query.since },
      { column: 'at', operator: '<=', value: query.until },
      { column: 'seq', operator: '<', value: query.beforeSeq },
    ],
    query.limit,
    p,
  );
}

/** A newest-first page of events under the query's filters. */
export function eventsPage(query: EventQuery, p: Placeholder): Page {
  return pageQuery(
    'events',
    [
      { column: 'community_id', operator: '=', value: query.communityId },
      { column: 'action', operator: '=', value: query.action },
      { column: 'publisher', operator: '=', value: query.publisher },
      { column: 'created_at', operator: '>=', value: query.since },
      { column: 'created_at', operator: '<=', value: query.until },
      { column: 'seq', operator: '<', value: query.beforeSeq },
    ],
    query.limit,
    p,
  );
}

/** A newest-first page of deliveries under the query's filters. */
export function deliveriesPage(query: DeliveryQuery, p: Placeholder): Page {
  return pageQuery(
    'deliveries',
    [
      { column: 'status', operator: '=', value: query.status },
      { column: 'app_id', operator: '=', value: query.appId },
      { column: 'action', operator: '=', value: query.action },
      { column: 'community_id', operator: '=', value: query.communityId },
      { column: 'event_id', operator: '=', value: query.eventId },
      { column: 'created_at', operator: '>=', value: query.since },
      { column: 'created_at', operator: '<=', value: query.until },
      { column: 'seq', operator: '<', value: query.beforeSeq },
    ],
    query.limit,
    p,
  );
}
