/**
 * How records map to table rows, shared by both SQL adapters: column lists with the matching
 * parameter values, and row → record conversions. Booleans are written as 1/0 (SQLite cannot
 * bind booleans; PostgreSQL reads '1'/'0' as booleans) and read back from either form. App secrets
 * are sealed here on the way in and opened on the way out (see security/secret-box.ts).
 */
import type { JsonSchema } from '../../catalog/definition.js';
import type { AppRecord, CommunityRecord, DisabledSubscription, InstallationRecord, InstallationStatus, Manifest, TokenRecord } from '../../registry/types.js';
import type { CallRecord } from '../../audit/types.js';
import type { AttemptOutcome, AttemptRecord, DeliveryRecord, DeliveryStatus, EventRecord, OpenDeliveryCounts } from '../../delivery/types.js';
import type { ActionStatus, ActionStatusRecord, StoredAction } from '../store.js';
import type { AdminKeyRecord, AdminScope } from '../../admin/admin-keys.js';
import type { ChangeRecord } from '../../admin/change-types.js';
import { isSealed, type SecretBox } from '../../security/secret-box.js';
import { withStoredDefaults } from '../../registry/manifest.js';
import type { Placeholder, SqlValue } from './compose.js';

/** A row as a driver returns it: columns by name. */
export type Row = Record<string, unknown>;

const flag = (value: boolean): number => (value ? 1 : 0);
const text = (row: Row, column: string): string => row[column] as string;
const num = (row: Row, column: string): number => row[column] as number;
const optionalText = (row: Row, column: string): string | null => (row[column] ?? null) as string | null;
const optionalNum = (row: Row, column: string): number | null => (row[column] ?? null) as number | null;

export const ACTION_COLUMNS = [
  'id',
  'version',
  'kind',
  'title',
  'description',
  'data_schema',
  'response_schema',
  'timeout_ms',
  'coalesce_deliveries',
  'builtin',
  'created_at',
  'updated_at',
] as const;
export const ACTION_KEYS = ['id', 'version'] as const;

export function actionValues(action: StoredAction): SqlValue[] {
  return [
    action.id,
    action.version,
    action.kind,
    action.title,
    action.description ?? null,
    JSON.stringify(action.dataSchema),
    action.responseSchema === undefined ? null : JSON.stringify(action.responseSchema),
    action.timeoutMs ?? null,
    action.coalesce === undefined ? null : flag(action.coalesce),
    flag(action.builtin),
    action.createdAt,
    action.updatedAt,
  ];
}

export const ACTION_STATUS_COLUMNS = ['action', 'version', 'status', 'changed_at'] as const;
export const ACTION_STATUS_KEYS = ['action', 'version'] as const;

export function actionStatusValues(record: ActionStatusRecord): SqlValue[] {
  return [record.action, record.version, record.status, record.changedAt];
}

export function toActionStatus(row: Row): ActionStatusRecord {
  return { action: text(row, 'action'), version: num(row, 'version'), status: text(row, 'status') as ActionStatus, changedAt: num(row, 'changed_at') };
}

/** Optional fields absent from the row are left out of the record, not set to undefined. */
export function toStoredAction(row: Row): StoredAction {
  const action: StoredAction = {
    id: text(row, 'id'),
    version: num(row, 'version'),
    kind: text(row, 'kind') as StoredAction['kind'],
    title: text(row, 'title'),
    dataSchema: JSON.parse(text(row, 'data_schema')) as JsonSchema,
    builtin: Boolean(row.builtin),
    createdAt: num(row, 'created_at'),
    updatedAt: num(row, 'updated_at'),
  };
  if (row.description != null) action.description = text(row, 'description');
  if (row.response_schema != null) action.responseSchema = JSON.parse(text(row, 'response_schema')) as JsonSchema;
  if (row.timeout_ms != null) action.timeoutMs = num(row, 'timeout_ms');
  if (row.coalesce_deliveries != null) action.coalesce = Boolean(row.coalesce_deliveries);
  return action;
}

export const APP_COLUMNS = [
  'id',
  'manifest',
  'secret',
  'previous_secret',
  'signing_secret',
  'previous_signing_secret',
  // Named before the legacy secret had an overlap too; kept so that processes of the previous
  // version sharing PostgreSQL during an upgrade still find it.
  'previous_signing_secret_expires_at',
  'created_at',
  'updated_at',
] as const;
export const APP_KEYS = ['id'] as const;

/** The columns holding secrets, sealed by the SecretBox; the rest of the hub sees plaintext. */
export const SEALED_APP_COLUMNS = ['secret', 'previous_secret', 'signing_secret', 'previous_signing_secret'] as const;
type SealedAppColumn = (typeof SEALED_APP_COLUMNS)[number];

/** The additional authenticated data of a sealed value: its row and column. Never change it, or
 * stored values stop opening. */
const sealedAt = (appId: string, column: SealedAppColumn): string => `apps/${appId}/${column}`;

function seal(box: SecretBox, appId: string, column: SealedAppColumn, value: string | null): string | null {
  return value === null ? null : box.seal(value, sealedAt(appId, column));
}

function open(box: SecretBox, row: Row, column: SealedAppColumn): string | null {
  const stored = optionalText(row, column);
  return stored === null ? null : box.open(stored, sealedAt(text(row, 'id'), column));
}

export function appValues(app: AppRecord, box: SecretBox): SqlValue[] {
  return [
    app.id,
    JSON.stringify(app.manifest),
    seal(box, app.id, 'secret', app.secret),
    seal(box, app.id, 'previous_secret', app.previousSecret),
    seal(box, app.id, 'signing_secret', app.signingSecret),
    seal(box, app.id, 'previous_signing_secret', app.previousSigningSecret),
    app.previousSecretsExpireAt,
    app.createdAt,
    app.updatedAt,
  ];
}

export function toApp(row: Row, box: SecretBox): AppRecord {
  return {
    id: text(row, 'id'),
    manifest: withStoredDefaults(JSON.parse(text(row, 'manifest')) as Manifest),
    secret: open(box, row, 'secret')!,
    previousSecret: open(box, row, 'previous_secret'),
    signingSecret: open(box, row, 'signing_secret')!,
    previousSigningSecret: open(box, row, 'previous_signing_secret'),
    previousSecretsExpireAt: optionalNum(row, 'previous_signing_secret_expires_at'),
    createdAt: num(row, 'created_at'),
    updatedAt: num(row, 'updated_at'),
  };
}

/** Sets the sealed columns of one app; parameters from `resealedAppValues`. */
export const resealAppSql = (p: Placeholder): string =>
  `UPDATE apps SET ${SEALED_APP_COLUMNS.map((column, i) => `${column} = ${p(i + 1)}`).join(', ')} WHERE id = ${p(SEALED_APP_COLUMNS.length + 1)}`;

/**
 * For a stored apps row holding a secret in plaintext (written before encryption) or sealed with
 * another key than the current one (before a key rotation): its secrets sealed with the current
 * key, then its id, the parameters of `resealAppSql`. Undefined when there is nothing to do.
 */
export function resealedAppValues(row: Row, box: SecretBox): SqlValue[] | undefined {
  const stale = SEALED_APP_COLUMNS.some((column) => row[column] != null && box.needsSealing(text(row, column)));
  if (!stale) return undefined;
  const id = text(row, 'id');
  return [...SEALED_APP_COLUMNS.map((column) => seal(box, id, column, open(box, row, column))), id];
}

/** Whether a stored apps row holds a sealed value (so a key must exist for this database). */
export const holdsSealedValue = (row: Row): boolean => SEALED_APP_COLUMNS.some((column) => typeof row[column] === 'string' && isSealed(row[column]));

export const TOKEN_COLUMNS = ['id', 'app_id', 'hash', 'label', 'created_at', 'revoked_at'] as const;

export function tokenValues(token: TokenRecord): SqlValue[] {
  return [token.id, token.appId, token.hash, token.label, token.createdAt, token.revokedAt];
}

export function toToken(row: Row): TokenRecord {
  return {
    id: text(row, 'id'),
    appId: text(row, 'app_id'),
    hash: text(row, 'hash'),
    label: optionalText(row, 'label'),
    createdAt: num(row, 'created_at'),
    revokedAt: optionalNum(row, 'revoked_at'),
  };
}

export const COMMUNITY_COLUMNS = ['id', 'created_at'] as const;

export function communityValues(community: CommunityRecord): SqlValue[] {
  return [community.id, community.createdAt];
}

export function toCommunity(row: Row): CommunityRecord {
  return { id: text(row, 'id'), createdAt: num(row, 'created_at') };
}

export const INSTALLATION_COLUMNS = ['community_id', 'app_id', 'status', 'created_at', 'updated_at'] as const;
export const INSTALLATION_KEYS = ['community_id', 'app_id'] as const;

export function installationValues(installation: InstallationRecord): SqlValue[] {
  return [installation.communityId, installation.appId, installation.status, installation.createdAt, installation.updatedAt];
}

export function toInstallation(row: Row): InstallationRecord {
  return {
    communityId: text(row, 'community_id'),
    appId: text(row, 'app_id'),
    status: text(row, 'status') as InstallationStatus,
    createdAt: num(row, 'created_at'),
    updatedAt: num(row, 'updated_at'),
  };
}

export const DISABLED_SUBSCRIPTION_COLUMNS = ['community_id', 'app_id', 'action', 'disabled_at', 'reason'] as const;
export const DISABLED_SUBSCRIPTION_KEYS = ['community_id', 'app_id', 'action'] as const;

export function disabledSubscriptionValues(subscription: DisabledSubscription): SqlValue[] {
  return [subscription.communityId, subscription.appId, subscription.action, subscription.disabledAt, subscription.reason];
}

export function toDisabledSubscription(row: Row): DisabledSubscription {
  return {
    communityId: text(row, 'community_id'),
    appId: text(row, 'app_id'),
    action: text(row, 'action'),
    disabledAt: num(row, 'disabled_at'),
    reason: text(row, 'reason'),
  };
}

export const CALL_COLUMNS = [
  'id',
  'at',
  'community_id',
  'consumer',
  'provider',
  'action',
  'version',
  'status',
  'outcome',
  'latency_ms',
  'provider_status',
  'error',
] as const;

export function callValues(call: CallRecord): SqlValue[] {
  return [
    call.id,
    call.at,
    call.communityId,
    call.consumer,
    call.provider,
    call.action,
    call.version,
    call.status,
    call.outcome,
    call.latencyMs,
    call.providerStatus,
    call.error,
  ];
}

export function toCall(row: Row): CallRecord {
  return {
    seq: num(row, 'seq'),
    id: text(row, 'id'),
    at: num(row, 'at'),
    communityId: optionalText(row, 'community_id'),
    consumer: optionalText(row, 'consumer'),
    provider: optionalText(row, 'provider'),
    action: optionalText(row, 'action'),
    version: optionalNum(row, 'version'),
    status: num(row, 'status'),
    outcome: text(row, 'outcome'),
    latencyMs: num(row, 'latency_ms'),
    providerStatus: optionalNum(row, 'provider_status'),
    error: optionalText(row, 'error'),
  };
}

export const EVENT_COLUMNS = ['id', 'community_id', 'action', 'version', 'publisher', 'data', 'created_at', 'idempotency_key'] as const;

export function eventValues(event: EventRecord): SqlValue[] {
  return [event.id, event.communityId, event.action, event.version, event.publisher, event.data, event.createdAt, event.idempotencyKey];
}

export function toEvent(row: Row): EventRecord {
  return {
    seq: num(row, 'seq'),
    id: text(row, 'id'),
    communityId: text(row, 'community_id'),
    action: text(row, 'action'),
    version: num(row, 'version'),
    publisher: text(row, 'publisher'),
    data: optionalText(row, 'data'),
    createdAt: num(row, 'created_at'),
    idempotencyKey: optionalText(row, 'idempotency_key'),
  };
}

export const DELIVERY_COLUMNS = [
  'id',
  'event_id',
  'community_id',
  'app_id',
  'action',
  'message_id',
  'status',
  'attempts',
  'next_attempt_at',
  'lease_owner',
  'lease_expires_at',
  'coalesced',
  'last_status_code',
  'last_error',
  'created_at',
  'updated_at',
  'delivered_at',
] as const;

/** The values of a delivery in DELIVERY_COLUMNS order. */
export function deliveryValues(d: DeliveryRecord): SqlValue[] {
  return [
    d.id,
    d.eventId,
    d.communityId,
    d.appId,
    d.action,
    d.messageId,
    d.status,
    d.attempts,
    d.nextAttemptAt,
    d.leaseOwner,
    d.leaseExpiresAt,
    d.coalesced,
    d.lastStatusCode,
    d.lastError,
    d.createdAt,
    d.updatedAt,
    d.deliveredAt,
  ];
}

export function toDelivery(row: Row): DeliveryRecord {
  return {
    seq: num(row, 'seq'),
    id: text(row, 'id'),
    eventId: text(row, 'event_id'),
    communityId: text(row, 'community_id'),
    appId: text(row, 'app_id'),
    action: text(row, 'action'),
    messageId: text(row, 'message_id'),
    status: text(row, 'status') as DeliveryStatus,
    attempts: num(row, 'attempts'),
    nextAttemptAt: num(row, 'next_attempt_at'),
    leaseOwner: optionalText(row, 'lease_owner'),
    leaseExpiresAt: optionalNum(row, 'lease_expires_at'),
    coalesced: num(row, 'coalesced'),
    lastStatusCode: optionalNum(row, 'last_status_code'),
    lastError: optionalText(row, 'last_error'),
    createdAt: num(row, 'created_at'),
    updatedAt: num(row, 'updated_at'),
    deliveredAt: optionalNum(row, 'delivered_at'),
  };
}

export const ATTEMPT_COLUMNS = ['delivery_id', 'at', 'duration_ms', 'status_code', 'error', 'answer'] as const;

export function attemptValues(attempt: AttemptRecord): SqlValue[] {
  return [attempt.deliveryId, attempt.at, attempt.durationMs, attempt.statusCode, attempt.error, attempt.answer ?? null];
}

/** The values of the `finish` statement's SET clause, in its order (status, next attempt, last
 * status code, last error, updated, delivered). The outcome takes effect when the answer came. */
export function finishValues(attempt: AttemptRecord, outcome: AttemptOutcome): SqlValue[] {
  const finishedAt = attempt.at + attempt.durationMs;
  return [
    outcome.status,
    outcome.status === 'pending' ? outcome.nextAttemptAt : null,
    attempt.statusCode,
    attempt.error,
    finishedAt,
    outcome.status === 'delivered' ? finishedAt : null,
  ];
}

export function toAttempt(row: Row): AttemptRecord {
  return {
    deliveryId: text(row, 'delivery_id'),
    at: num(row, 'at'),
    durationMs: num(row, 'duration_ms'),
    statusCode: optionalNum(row, 'status_code'),
    error: optionalText(row, 'error'),
    answer: optionalText(row, 'answer'),
  };
}

/** Zero for a count the row lacks. */
export function toOpenDeliveryCounts(row: Row | undefined): OpenDeliveryCounts {
  return { pending: Number(row?.pending ?? 0), dead: Number(row?.dead ?? 0) };
}

/** The earlier of two due times, either of which may be missing (nothing pending of that kind). */
export function minDue(a: number | string | null | undefined, b: number | string | null | undefined): number | null {
  const times = [a, b].filter((t) => t !== null && t !== undefined).map(Number);
  return times.length === 0 ? null : Math.min(...times);
}

export const ADMIN_KEY_COLUMNS = ['id', 'name', 'scope', 'hash', 'created_at', 'revoked_at'] as const;

export function adminKeyValues(key: AdminKeyRecord): SqlValue[] {
  return [key.id, key.name, key.scope, key.hash, key.createdAt, key.revokedAt];
}

export function toAdminKey(row: Row): AdminKeyRecord {
  return {
    id: text(row, 'id'),
    name: text(row, 'name'),
    scope: text(row, 'scope') as AdminScope,
    hash: text(row, 'hash'),
    createdAt: num(row, 'created_at'),
    revokedAt: optionalNum(row, 'revoked_at'),
  };
}

export const CHANGE_COLUMNS = [
  'at',
  'key_id',
  'key_name',
  'method',
  'route',
  'kind',
  'target',
  'app_id',
  'community_id',
  'targets',
  'before_value',
  'after_value',
  'status',
  'outcome',
  'request_id',
] as const;

const jsonOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
const parsedOrNull = (row: Row, column: string): unknown => (row[column] == null ? null : JSON.parse(text(row, column)));

export function changeValues(change: ChangeRecord): SqlValue[] {
  return [
    change.at,
    change.keyId,
    change.keyName,
    change.method,
    change.route,
    change.kind,
    change.target,
    change.appId,
    change.communityId,
    JSON.stringify(change.targets),
    jsonOrNull(change.before),
    jsonOrNull(change.after),
    change.status,
    change.outcome,
    change.requestId,
  ];
}

export function toChange(row: Row): ChangeRecord {
  return {
    seq: num(row, 'seq'),
    at: num(row, 'at'),
    keyId: text(row, 'key_id'),
    keyName: text(row, 'key_name'),
    method: text(row, 'method'),
    route: text(row, 'route'),
    kind: text(row, 'kind'),
    target: optionalText(row, 'target'),
    appId: optionalText(row, 'app_id'),
    communityId: optionalText(row, 'community_id'),
    targets: JSON.parse(text(row, 'targets')) as Record<string, string>,
    before: parsedOrNull(row, 'before_value'),
    after: parsedOrNull(row, 'after_value'),
    status: num(row, 'status'),
    outcome: text(row, 'outcome'),
    requestId: text(row, 'request_id'),
  };
}
