/**
 * One suite, run against every Store adapter: SQLite on a temporary file, and PostgreSQL when
 * TEST_DATABASE_URL is set (each test in its own random schema, all dropped at the end).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminKeyRecord } from '../src/admin/admin-keys.js';
import type { ChangeRecord } from '../src/admin/change-types.js';
import type { AppRecord } from '../src/registry/types.js';
import { parseSecretKey, SecretKeyError, type SecretKey } from '../src/security/secret-key.js';
import { openStore } from '../src/store/open.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { TEST_SECRET_KEY } from './support/hub.js';
import type { CallRecord } from '../src/audit/types.js';
import type { AttemptOutcome, AttemptRecord, EventRecord, NewEvent } from '../src/delivery/types.js';
import type { NotifyChannel, Store, StoredAction } from '../src/store/store.js';
import { quiet, until } from './support/wait.js';

const T0 = 1_700_000_000_000;

/** Counts the event loop's turns while `work` runs: a store that holds the loop lets none happen. */
async function loopTurnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { result: await work(), turns };
  } finally {
    running = false;
  }
}
const ACTION = '@test:Thing:changed';
const OTHER_ACTION = '@test:Other:changed';
const DAY = 86_400_000;

let counter = 0;
const nextId = (prefix: string): string => `${prefix}-${++counter}`;

function makeEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id: nextId('evt'),
    communityId: 'c1',
    action: ACTION,
    version: 1,
    publisher: 'pub',
    data: '{"a":1}',
    createdAt: T0,
    idempotencyKey: null,
    ...overrides,
  };
}

interface PublishOptions {
  subscribers?: string[];
  coalesce?: boolean;
  idempotentSince?: number;
}

function newEvent(event: EventRecord, options: PublishOptions = {}): NewEvent {
  return {
    event,
    idempotentSince: options.idempotentSince ?? event.createdAt - DAY,
    deliveries: (options.subscribers ?? ['sub']).map((appId) => ({
      id: nextId('dlv'),
      appId,
      messageId: nextId('msg'),
    })),
    coalesce: options.coalesce ?? false,
  };
}

/** Publishes one event; returns it with the ids of the deliveries asked for. */
async function publish(store: Store, overrides: Partial<EventRecord> = {}, options: PublishOptions = {}) {
  const item = newEvent(makeEvent(overrides), options);
  const [outcome] = await store.publishEvents([item]);
  return { outcome: outcome!, event: item.event, deliveries: item.deliveries };
}

/** Finishes one attempt in a batch of its own; whether its outcome was applied. */
async function finishOne(store: Store, owner: string, attempt: AttemptRecord, outcome: AttemptOutcome): Promise<boolean> {
  const [applied] = await store.finishAttempts(owner, [{ attempt, outcome }]);
  return applied!;
}

function makeApp(id: string, displayName = 'App'): AppRecord {
  return {
    id,
    manifest: {
      id,
      displayName,
      approval: 'automatic',
      visibility: 'private',
      services: {
        enabled: true,
        requests: [{ action: '@test:Thing:get', reason: 'read' }],
        responds: [{ action: '@test:Thing:get', reason: 'serve', url: 'https://example.test/x', versions: [1, 2] }],
        publishes: [],
        subscribes: [{ action: ACTION, reason: 'hint', url: 'https://example.test/hook' }],
      },
    },
    secret: `legacy-secret-of-${id}`,
    previousSecret: null,
    signingSecret: 'whsec_c2VjcmV0',
    previousSigningSecret: null,
    previousSecretsExpireAt: null,
    createdAt: T0,
    updatedAt: T0,
  };
}

function makeCall(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    id: nextId('req'),
    at: T0,
    communityId: 'c1',
    consumer: 'viewer',
    provider: 'erp',
    action: '@test:Thing:get',
    version: 1,
    status: 200,
    outcome: 'ok',
    latencyMs: 12,
    providerStatus: 200,
    error: null,
    ...overrides,
  };
}

/** The keys a store is opened with; none: SQLite's key file (PostgreSQL has a default test key). */
interface StoreKeys {
  secretKey?: SecretKey;
  previousSecretKey?: SecretKey;
}

/** How the suite reaches one adapter, and its database behind the Store interface. */
interface Adapter {
  openFresh(keys?: StoreKeys): Promise<Store>;
  /** A new store, migrated, on the database of `store` (closed first), with these keys. */
  reopen(store: Store, keys: StoreKeys): Promise<Store>;
  /** The apps row as stored. */
  rawApp(store: Store, id: string): Promise<Record<string, unknown>>;
  /** Runs SQL on the database of `store` directly. */
  rawExec(store: Store, sql: string): Promise<void>;
}

const keyA = parseSecretKey(randomBytes(32).toString('base64'), 'key A');
const keyB = parseSecretKey(randomBytes(32).toString('hex'), 'key B');
const SEALED = /^enc:v1:[0-9a-f]{16}:[A-Za-z0-9_-]+$/;

function storeSuite(name: string, adapter: Adapter): void {
  describe(`${name} store`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await adapter.openFresh();
    });
    afterEach(async () => {
      await store.close();
    });

    it('answers ping and migrates twice without harm', async () => {
      await store.ping();
      await store.migrate();
      expect(await store.listApps()).toEqual([]);
    });

    describe('catalogue', () => {
      it('inserts and replaces actions by (id, version)', async () => {
        const request: StoredAction = {
          id: '@test:Thing:get',
          version: 1,
          kind: 'request',
          title: 'Get',
          description: 'Gets things',
          dataSchema: { type: 'object', properties: { id: { type: 'string' } } },
          responseSchema: true,
          timeoutMs: 5000,
          builtin: true,
          createdAt: T0,
          updatedAt: T0,
        };
        const event: StoredAction = {
          id: ACTION,
          version: 1,
          kind: 'event',
          title: 'Changed',
          dataSchema: false,
          coalesce: true,
          builtin: false,
          createdAt: T0,
          updatedAt: T0,
        };
        await store.putAction(request);
        await store.putAction(event);
        await store.putAction({ ...request, version: 2, title: 'Get v2' });
        await store.putAction({ ...request, title: 'Get, renamed', builtin: false, updatedAt: T0 + 1 });

        const actions = await store.listActions();
        expect(actions).toHaveLength(3);
        expect(actions.find((a) => a.id === request.id && a.version === 1)).toStrictEqual({
          ...request,
          title: 'Get, renamed',
          builtin: false,
          updatedAt: T0 + 1,
        });
        expect(actions.find((a) => a.id === request.id && a.version === 2)?.title).toBe('Get v2');
        // Optional fields left out stay out, not undefined.
        expect(actions.find((a) => a.id === ACTION)).toStrictEqual(event);
      });

      it('keeps the status of action versions by (action, version), for versions it does not store too', async () => {
        expect(await store.listActionStatuses()).toEqual([]);
        // A built-in version has no row in actions: its status is stored all the same.
        await store.putActionStatus({ action: '@layers:core:Thing:get', version: 2, status: 'deprecated', changedAt: T0 });
        await store.putActionStatus({ action: ACTION, version: 1, status: 'deprecated', changedAt: T0 });
        await store.putActionStatus({ action: '@layers:core:Thing:get', version: 1, status: 'retired', changedAt: T0 + 1 });
        await store.putActionStatus({ action: ACTION, version: 1, status: 'active', changedAt: T0 + 2 });
        expect(await store.listActionStatuses()).toStrictEqual([
          { action: '@layers:core:Thing:get', version: 1, status: 'retired', changedAt: T0 + 1 },
          { action: '@layers:core:Thing:get', version: 2, status: 'deprecated', changedAt: T0 },
          { action: ACTION, version: 1, status: 'active', changedAt: T0 + 2 },
        ]);
      });
    });

    describe('registry', () => {
      it('inserts and replaces apps by id, manifest given back parsed', async () => {
        await store.putApp(makeApp('erp'));
        await store.putApp(makeApp('viewer'));
        const replaced = {
          ...makeApp('erp', 'ERP renamed'),
          previousSecret: 'old-legacy-secret',
          previousSigningSecret: 'whsec_b2xk',
          previousSecretsExpireAt: T0 + 1000,
        };
        await store.putApp(replaced);
        const apps = await store.listApps();
        expect(apps).toHaveLength(2);
        expect(apps.find((a) => a.id === 'erp')).toEqual(replaced);
        expect(apps.find((a) => a.id === 'viewer')).toEqual(makeApp('viewer'));
      });

      it('inserts tokens and revokes each once', async () => {
        const token = { id: 'tok1', appId: 'erp', hash: 'ab'.repeat(32), label: 'ci', createdAt: T0, revokedAt: null };
        await store.insertToken(token);
        await store.insertToken({ ...token, id: 'tok2', label: null });
        expect(await store.listTokens()).toHaveLength(2);

        expect(await store.revokeToken('viewer', 'tok1', T0 + 5)).toBe(false);
        expect(await store.revokeToken('erp', 'tok1', T0 + 5)).toBe(true);
        expect(await store.revokeToken('erp', 'tok1', T0 + 9)).toBe(false);
        expect(await store.revokeToken('erp', 'unknown', T0 + 9)).toBe(false);

        const tokens = await store.listTokens();
        expect(tokens.find((t) => t.id === 'tok1')).toEqual({ ...token, revokedAt: T0 + 5 });
        expect(tokens.find((t) => t.id === 'tok2')?.revokedAt).toBeNull();
      });

      it('creates a community once', async () => {
        expect(await store.putCommunity({ id: 'c1', createdAt: T0 })).toBe(true);
        expect(await store.putCommunity({ id: 'c1', createdAt: T0 + 1 })).toBe(false);
        expect(await store.listCommunities()).toEqual([{ id: 'c1', createdAt: T0 }]);
      });

      it('inserts and replaces installations by (community, app)', async () => {
        const installation = { communityId: 'c1', appId: 'erp', status: 'pending_approval' as const, createdAt: T0, updatedAt: T0 };
        await store.putInstallation(installation);
        await store.putInstallation({ ...installation, appId: 'viewer', status: 'installed' });
        await store.putInstallation({ ...installation, communityId: 'c2' });
        await store.putInstallation({ ...installation, status: 'installed', updatedAt: T0 + 1 });
        const installations = await store.listInstallations();
        expect(installations).toHaveLength(3);
        expect(installations).toContainEqual({ ...installation, status: 'installed', updatedAt: T0 + 1 });
        expect(installations).toContainEqual({ ...installation, communityId: 'c2' });
      });
    });

    describe('admin keys and the change trail', () => {
      it('inserts admin keys, gets one by id, lists them oldest first and revokes each once', async () => {
        const key: AdminKeyRecord = { id: '0123456789abcdef', name: 'ci reader', scope: 'read', hash: 'cd'.repeat(32), createdAt: T0, revokedAt: null };
        await store.insertAdminKey(key);
        await store.insertAdminKey({ ...key, id: 'fedcba9876543210', name: 'on-call', scope: 'operate', createdAt: T0 + 1 });
        expect(await store.getAdminKey(key.id)).toEqual(key);
        expect(await store.getAdminKey('nope')).toBeNull();
        expect((await store.listAdminKeys()).map((k) => [k.id, k.scope])).toEqual([
          [key.id, 'read'],
          ['fedcba9876543210', 'operate'],
        ]);
        expect(await store.revokeAdminKey(key.id, T0 + 5)).toBe(true);
        expect(await store.revokeAdminKey(key.id, T0 + 9)).toBe(false);
        expect(await store.revokeAdminKey('nope', T0 + 9)).toBe(false);
        expect(await store.getAdminKey(key.id)).toEqual({ ...key, revokedAt: T0 + 5 });
      });

      it('queries changes newest first with each filter, a time range and a cursor, and prunes', async () => {
        const change = (at: number, extra: Partial<ChangeRecord> = {}): ChangeRecord => ({
          at,
          keyId: 'bootstrap',
          keyName: 'bootstrap',
          method: 'PUT',
          route: '/v1/admin/apps/:appId',
          kind: 'app.put',
          target: 'erp',
          appId: 'erp',
          communityId: null,
          targets: { app: 'erp' },
          before: null,
          after: { displayName: 'ERP', nested: [1, { a: null }] },
          status: 201,
          outcome: 'ok',
          requestId: `req-${at}`,
          ...extra,
        });
        await store.insertChange(change(T0));
        await store.insertChange(
          change(T0 + 1, {
            keyId: 'k1',
            keyName: 'on-call',
            kind: 'installation.put',
            communityId: 'c1',
            route: '/v1/admin/communities/:community/installations/:appId',
          }),
        );
        await store.insertChange(change(T0 + 2, { target: 'd1', appId: null, kind: 'delivery.replay', after: null, status: 409, outcome: 'Conflict' }));
        await store.insertChange(change(T0 + 3, { appId: 'viewer', target: 'viewer', before: { displayName: 'old' } }));
        const all = await store.queryChanges({ limit: 10 });
        expect(all.map((c) => c.at)).toEqual([T0 + 3, T0 + 2, T0 + 1, T0]);
        expect(all[3]).toEqual({ ...change(T0), seq: all[3]!.seq });
        expect(all[1]).toMatchObject({ after: null, before: null, outcome: 'Conflict', status: 409 });
        const ats = async (query: Parameters<Store['queryChanges']>[0]) => (await store.queryChanges(query)).map((c) => c.at);
        expect(await ats({ keyId: 'k1', limit: 10 })).toEqual([T0 + 1]);
        expect(await ats({ appId: 'erp', limit: 10 })).toEqual([T0 + 1, T0]);
        expect(await ats({ communityId: 'c1', limit: 10 })).toEqual([T0 + 1]);
        expect(await ats({ target: 'd1', limit: 10 })).toEqual([T0 + 2]);
        expect(await ats({ kind: 'app.put', limit: 10 })).toEqual([T0 + 3, T0]);
        expect(await ats({ route: '/v1/admin/communities/:community/installations/:appId', limit: 10 })).toEqual([T0 + 1]);
        expect(await ats({ since: T0 + 1, until: T0 + 2, limit: 10 })).toEqual([T0 + 2, T0 + 1]);
        expect(await ats({ limit: 2 })).toEqual([T0 + 3, T0 + 2]);
        expect(await ats({ beforeSeq: all[1]!.seq!, limit: 2 })).toEqual([T0 + 1, T0]);
        expect(await store.pruneChanges(T0 + 2, 1)).toBe(2);
        expect(await ats({ limit: 10 })).toEqual([T0 + 3, T0 + 2]);
      });
    });

    describe('app secrets at rest', () => {
      const rotated = (id: string): AppRecord => ({
        ...makeApp(id),
        previousSecret: `old-legacy-secret-of-${id}`,
        previousSigningSecret: 'whsec_b2xkIHNpZ25pbmc=',
        previousSecretsExpireAt: T0 + 1000,
      });
      const secretsOf = (app: AppRecord) => [app.secret, app.previousSecret!, app.signingSecret, app.previousSigningSecret!];

      it('keeps every secret sealed in the row and gives it back in plaintext', async () => {
        const app = rotated('erp');
        await store.putApp(app);
        const row = await adapter.rawApp(store, 'erp');
        for (const column of ['secret', 'previous_secret', 'signing_secret', 'previous_signing_secret']) {
          expect(row[column]).toMatch(SEALED);
        }
        const text = JSON.stringify(row);
        for (const secret of secretsOf(app)) expect(text).not.toContain(secret);
        // Two seals of one value differ (a fresh IV each time).
        await store.putApp(app);
        expect((await adapter.rawApp(store, 'erp')).secret).not.toBe(row.secret);
        expect(await store.listApps()).toEqual([app]);
      });

      it('reads plaintext written before encryption, and seals it at the next start', async () => {
        await store.putApp(makeApp('erp'));
        await adapter.rawExec(store, "UPDATE apps SET secret = 'plain-legacy', signing_secret = 'whsec_cGxhaW4=' WHERE id = 'erp'");
        const plain = { ...makeApp('erp'), secret: 'plain-legacy', signingSecret: 'whsec_cGxhaW4=' };
        expect(await store.listApps()).toEqual([plain]);
        store = await adapter.reopen(store, {});
        const row = await adapter.rawApp(store, 'erp');
        expect(row.secret).toMatch(SEALED);
        expect(row.signing_secret).toMatch(SEALED);
        expect(JSON.stringify(row)).not.toContain('plain-legacy');
        expect(await store.listApps()).toEqual([plain]);
      });

      it('seals again with the new key when given the previous one, and refuses a key it was not given', async () => {
        store = await adapter.reopen(store, { secretKey: keyA });
        const app = rotated('erp');
        await store.putApp(app);
        expect((await adapter.rawApp(store, 'erp')).secret).toMatch(`enc:v1:${keyA.id}:`);

        store = await adapter.reopen(store, { secretKey: keyB, previousSecretKey: keyA });
        const row = await adapter.rawApp(store, 'erp');
        for (const column of ['secret', 'previous_secret', 'signing_secret', 'previous_signing_secret']) {
          expect(row[column]).toMatch(`enc:v1:${keyB.id}:`);
        }
        expect(await store.listApps()).toEqual([app]);

        store = await adapter.reopen(store, { secretKey: keyB });
        expect(await store.listApps()).toEqual([app]);
        await expect(adapter.reopen(store, { secretKey: keyA })).rejects.toThrow(
          `apps/erp/secret in storage was encrypted with key ${keyB.id}, which this hub was not given (key A is key ${keyA.id})`,
        );
      });

      it('refuses a sealed value moved to another row', async () => {
        await store.putApp(makeApp('erp'));
        await store.putApp(makeApp('viewer'));
        await adapter.rawExec(store, "UPDATE apps SET secret = (SELECT secret FROM apps WHERE id = 'erp') WHERE id = 'viewer'");
        await expect(store.listApps()).rejects.toThrow(/^apps\/viewer\/secret in storage does not open with .* the stored value was altered or moved$/);
      });
    });

    describe('call audit log', () => {
      it('queries newest first with each filter, a cursor and a limit, and prunes', async () => {
        await store.insertCalls([
          makeCall({ at: T0 }),
          makeCall({ at: T0 + 1, communityId: 'c2' }),
          makeCall({
            at: T0 + 2,
            action: '@test:Other:get',
            status: 502,
            outcome: 'ProviderUnavailable',
            providerStatus: null,
            error: 'unavailable: connection refused by 10.0.0.7:8080',
          }),
          makeCall({ at: T0 + 3, provider: 'erp2', consumer: 'viewer2' }),
          makeCall({ at: T0 + 4, communityId: null, consumer: null, provider: null, action: null, version: null }),
        ]);
        const all = await store.queryCalls({ limit: 10 });
        expect(all.map((c) => c.at)).toEqual([T0 + 4, T0 + 3, T0 + 2, T0 + 1, T0]);
        expect(all[4]).toMatchObject(makeCall({ id: all[4]!.id, at: T0 }));
        expect(all[0]).toMatchObject({ communityId: null, consumer: null, action: null, version: null });
        expect(all[2]).toMatchObject({
          status: 502,
          outcome: 'ProviderUnavailable',
          providerStatus: null,
          error: 'unavailable: connection refused by 10.0.0.7:8080',
        });
        expect(all[0]!.error).toBeNull();

        const ats = async (query: Parameters<Store['queryCalls']>[0]) => (await store.queryCalls(query)).map((c) => c.at);
        expect(await ats({ communityId: 'c2', limit: 10 })).toEqual([T0 + 1]);
        expect(await ats({ action: '@test:Other:get', limit: 10 })).toEqual([T0 + 2]);
        expect(await ats({ provider: 'erp2', limit: 10 })).toEqual([T0 + 3]);
        expect(await ats({ consumer: 'viewer2', limit: 10 })).toEqual([T0 + 3]);
        expect(await ats({ since: T0 + 3, limit: 10 })).toEqual([T0 + 4, T0 + 3]);
        expect(await ats({ communityId: 'c1', provider: 'erp', limit: 10 })).toEqual([T0 + 2, T0]);
        expect(await ats({ limit: 2 })).toEqual([T0 + 4, T0 + 3]);
        expect(await ats({ beforeSeq: all[1]!.seq!, limit: 2 })).toEqual([T0 + 2, T0 + 1]);

        expect(await store.pruneCalls(T0 + 2)).toBe(2);
        expect(await ats({ limit: 10 })).toEqual([T0 + 4, T0 + 3, T0 + 2]);
      });

      it('prunes many lines in batches, freeing the event loop between them, and counts them all', async () => {
        const due = Array.from({ length: 1050 }, (_, i) => makeCall({ at: T0 + (i % 500) }));
        const kept = Array.from({ length: 7 }, (_, i) => makeCall({ at: T0 + 500 + i }));
        await store.insertCalls([...kept.slice(0, 3), ...due, ...kept.slice(3)]);
        const { result, turns } = await loopTurnsDuring(() => store.pruneCalls(T0 + 500, 100));
        expect(result).toBe(1050);
        // 11 batches of at most 100 (the last one short), the loop free between each.
        expect(turns).toBeGreaterThanOrEqual(10);
        expect((await store.queryCalls({ limit: 2000 })).map((c) => c.id).sort()).toEqual(kept.map((c) => c.id).sort());
        expect(await store.pruneCalls(T0 + 500, 100)).toBe(0);
        // Exactly a multiple of the batch: the last, empty, batch ends it.
        expect(await store.pruneCalls(T0 + 504, 2)).toBe(4);
        expect(await store.queryCalls({ limit: 10 })).toHaveLength(3);
      });

      it('writes nothing when one call of a batch fails', async () => {
        const call = makeCall();
        await expect(store.insertCalls([call, { ...call, status: null as unknown as number }])).rejects.toThrow();
        expect(await store.queryCalls({ limit: 10 })).toEqual([]);
      });
    });

    describe('publishing', () => {
      it('stores the event as exact text and a pending delivery per subscriber due at once', async () => {
        const data = '{ "b" : [1, 2.50],\n "a":"é" }';
        const { outcome, event, deliveries } = await publish(store, { data, createdAt: T0 + 7 }, { subscribers: ['s1', 's2'] });
        expect(outcome).toEqual({ eventId: event.id, duplicate: false, leased: [] });
        expect(await store.getEvent(event.id)).toEqual({ ...event, seq: expect.any(Number) });

        for (const asked of deliveries) {
          expect(await store.getDelivery(asked.id)).toEqual({
            seq: expect.any(Number),
            id: asked.id,
            eventId: event.id,
            communityId: 'c1',
            appId: asked.appId,
            action: ACTION,
            messageId: asked.messageId,
            status: 'pending',
            attempts: 0,
            nextAttemptAt: T0 + 7,
            leaseOwner: null,
            leaseExpiresAt: null,
            coalesced: 0,
            lastStatusCode: null,
            lastError: null,
            createdAt: T0 + 7,
            updatedAt: T0 + 7,
            deliveredAt: null,
          });
        }
      });

      it('stores an empty payload as null and an event without subscribers', async () => {
        const { event } = await publish(store, { data: null }, { subscribers: [] });
        expect((await store.getEvent(event.id))?.data).toBeNull();
        expect(await store.listDeliveries({ limit: 10 })).toEqual([]);
      });

      it('answers a repeated idempotency key with the first event within the window only', async () => {
        const key = 'key-1';
        const first = await publish(store, { idempotencyKey: key, createdAt: T0 });

        // Another body under the same key: nothing is written, and the earlier event comes back as
        // stored, so the caller can tell the two requests apart.
        const again = await publish(store, { idempotencyKey: key, createdAt: T0 + 10, data: '{"a":2}' }, { idempotentSince: T0 });
        expect(again.outcome).toEqual({ eventId: first.event.id, duplicate: true, leased: [], earlier: { ...first.event, seq: expect.any(Number) } });
        expect(again.outcome.earlier!.data).toBe('{"a":1}');
        expect(await store.getEvent(again.event.id)).toBeNull();
        expect(await store.getDelivery(again.deliveries[0]!.id)).toBeNull();

        const otherCommunity = await publish(store, { idempotencyKey: key, communityId: 'c2', createdAt: T0 + 10 });
        const otherPublisher = await publish(store, { idempotencyKey: key, publisher: 'pub2', createdAt: T0 + 10 });
        expect(otherCommunity.outcome.duplicate).toBe(false);
        expect(otherPublisher.outcome.duplicate).toBe(false);

        // The first event is now older than the window: the key no longer counts.
        const late = await publish(store, { idempotencyKey: key, createdAt: T0 + 20 }, { idempotentSince: T0 + 1 });
        expect(late.outcome).toEqual({ eventId: late.event.id, duplicate: false, leased: [] });
        expect(await store.getDelivery(late.deliveries[0]!.id)).not.toBeNull();

        const withoutKey = await publish(store, { createdAt: T0 + 30 });
        expect(withoutKey.outcome.duplicate).toBe(false);
      });

      it('applies a batch in order in one call', async () => {
        const a = newEvent(makeEvent({ idempotencyKey: 'k', createdAt: T0 }));
        const b = newEvent(makeEvent({ idempotencyKey: 'k', createdAt: T0 + 1 }));
        const c = newEvent(makeEvent({ createdAt: T0 + 2 }));
        const outcomes = await store.publishEvents([a, b, c]);
        expect(outcomes).toEqual([
          { eventId: a.event.id, duplicate: false, leased: [] },
          { eventId: a.event.id, duplicate: true, leased: [], earlier: { ...a.event, seq: expect.any(Number) } },
          { eventId: c.event.id, duplicate: false, leased: [] },
        ]);
        expect((await store.listEvents({ limit: 10 })).map((e) => e.id)).toEqual([c.event.id, a.event.id]);
      });

      it('writes nothing of a batch when one item fails', async () => {
        const good = newEvent(makeEvent());
        const bad = newEvent(makeEvent({ id: good.event.id }));
        await expect(store.publishEvents([good, bad])).rejects.toThrow();
        expect(await store.listEvents({ limit: 10 })).toEqual([]);
        expect(await store.listDeliveries({ limit: 10 })).toEqual([]);
      });

      it('coalesces into a pending, unleased delivery of the same community, app and action', async () => {
        const first = await publish(store, { createdAt: T0 }, { coalesce: true });
        const second = await publish(store, { createdAt: T0 + 1 }, { coalesce: true });
        const deliveryId = first.deliveries[0]!.id;

        expect(await store.getDelivery(second.deliveries[0]!.id)).toBeNull();
        expect(await store.getDelivery(deliveryId)).toMatchObject({
          eventId: second.event.id,
          messageId: second.deliveries[0]!.messageId,
          coalesced: 1,
          status: 'pending',
          nextAttemptAt: T0,
        });
        const third = await publish(store, { createdAt: T0 + 2 }, { coalesce: true });
        expect(await store.getDelivery(deliveryId)).toMatchObject({ eventId: third.event.id, coalesced: 2 });

        // Another action, another community or another app: a delivery of its own.
        const otherAction = await publish(store, { action: OTHER_ACTION }, { coalesce: true });
        const otherCommunity = await publish(store, { communityId: 'c2' }, { coalesce: true });
        const otherApp = await publish(store, {}, { coalesce: true, subscribers: ['sub2'] });
        for (const other of [otherAction, otherCommunity, otherApp]) {
          expect(await store.getDelivery(other.deliveries[0]!.id)).toMatchObject({ coalesced: 0, eventId: other.event.id });
        }
        // Without coalescing asked, a delivery of its own too.
        const plain = await publish(store, {});
        expect(await store.getDelivery(plain.deliveries[0]!.id)).toMatchObject({ coalesced: 0 });
        expect(await store.getDelivery(deliveryId)).toMatchObject({ eventId: third.event.id, coalesced: 2 });
      });

      it('does not coalesce into a leased or finished delivery', async () => {
        const first = await publish(store, { createdAt: T0 }, { coalesce: true });
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 30_000, limit: 10 });
        const second = await publish(store, { createdAt: T0 + 1 }, { coalesce: true });
        expect(await store.getDelivery(first.deliveries[0]!.id)).toMatchObject({ eventId: first.event.id, coalesced: 0 });
        expect(await store.getDelivery(second.deliveries[0]!.id)).toMatchObject({ eventId: second.event.id, status: 'pending' });

        await store.cancelPendingDeliveries({ communityId: 'c1', appId: 'sub' }, T0 + 2);
        const third = await publish(store, { createdAt: T0 + 3 }, { coalesce: true });
        expect(await store.getDelivery(third.deliveries[0]!.id)).toMatchObject({ status: 'pending', coalesced: 0 });
      });
    });

    describe('claiming and attempts', () => {
      it('claims due deliveries only, oldest due first, up to the limit', async () => {
        const late = await publish(store, { createdAt: T0 + 500 });
        const oldest = await publish(store, { createdAt: T0 });
        const middle = await publish(store, { createdAt: T0 + 100 });
        await publish(store, { createdAt: T0 + 5000 });

        const claimed = await store.claimDeliveries({ owner: 'w1', now: T0 + 1000, leaseMs: 30_000, limit: 2 });
        expect(claimed.map((c) => c.delivery.id)).toEqual([oldest.deliveries[0]!.id, middle.deliveries[0]!.id]);
        expect(claimed[0]!.event).toEqual({ ...oldest.event, seq: expect.any(Number) });
        expect(claimed[0]!.delivery).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: T0 + 31_000, status: 'pending' });
        expect(await store.getDelivery(oldest.deliveries[0]!.id)).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: T0 + 31_000 });

        const rest = await store.claimDeliveries({ owner: 'w2', now: T0 + 1000, leaseMs: 30_000, limit: 10 });
        expect(rest.map((c) => c.delivery.id)).toEqual([late.deliveries[0]!.id]);
      });

      it('gives each delivery of a fan-out claimed together its own event', async () => {
        const subscribers = ['sub-a', 'sub-b', 'sub-c'];
        const first = await publish(store, { createdAt: T0, data: '{"n":1}' }, { subscribers });
        const second = await publish(store, { createdAt: T0 + 1, data: '{"n":2}' }, { subscribers });
        const claimed = await store.claimDeliveries({ owner: 'w1', now: T0 + 1000, leaseMs: 30_000, limit: 10 });
        const eventOf = new Map(claimed.map((c) => [c.delivery.id, c.event]));
        expect(eventOf.size).toBe(6);
        for (const { event, deliveries } of [first, second]) {
          for (const { id } of deliveries) expect(eventOf.get(id)).toEqual({ ...event, seq: expect.any(Number) });
        }
      });

      it('never gives the same delivery to concurrent claims', async () => {
        const batch = Array.from({ length: 200 }, (_, index) => newEvent(makeEvent({ createdAt: T0 + index })));
        await store.publishEvents(batch);
        const seen: string[] = [];
        // Rounds of four claimers racing, until nothing is left.
        for (let round = 0; round < 50 && seen.length < 200; round++) {
          const claims = await Promise.all(
            ['w1', 'w2', 'w3', 'w4'].map((owner) => store.claimDeliveries({ owner, now: T0 + 1000, leaseMs: 30_000, limit: 10 })),
          );
          claims.forEach((claimed, index) => {
            expect(claimed.every((c) => c.delivery.leaseOwner === `w${index + 1}`)).toBe(true);
            seen.push(...claimed.map((c) => c.delivery.id));
          });
        }
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toHaveLength(200);
      });

      it('claims a delivery again once its lease expired', async () => {
        const { deliveries } = await publish(store);
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 1000, limit: 10 });
        expect(await store.claimDeliveries({ owner: 'w2', now: T0 + 999, leaseMs: 1000, limit: 10 })).toEqual([]);
        const again = await store.claimDeliveries({ owner: 'w2', now: T0 + 1000, leaseMs: 1000, limit: 10 });
        expect(again.map((c) => [c.delivery.id, c.delivery.leaseOwner])).toEqual([[deliveries[0]!.id, 'w2']]);
      });

      it('applies each outcome for the lease holder and counts the attempts', async () => {
        const { deliveries } = await publish(store);
        const id = deliveries[0]!.id;
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 30_000, limit: 10 });

        const retry = await finishOne(
          store,
          'w1',
          { deliveryId: id, at: T0, durationMs: 40, statusCode: 503, error: null, answer: 'maintenance — volte às 14h' },
          { status: 'pending', nextAttemptAt: T0 + 5000 },
        );
        expect(retry).toBe(true);
        expect(await store.getDelivery(id)).toMatchObject({
          status: 'pending',
          attempts: 1,
          nextAttemptAt: T0 + 5000,
          leaseOwner: null,
          leaseExpiresAt: null,
          lastStatusCode: 503,
          lastError: null,
          deliveredAt: null,
        });
        expect(await store.claimDeliveries({ owner: 'w1', now: T0 + 4999, leaseMs: 30_000, limit: 10 })).toEqual([]);

        await store.claimDeliveries({ owner: 'w1', now: T0 + 5000, leaseMs: 30_000, limit: 10 });
        await finishOne(
          store,
          'w1',
          { deliveryId: id, at: T0 + 5000, durationMs: 10_000, statusCode: null, error: 'timeout' },
          { status: 'pending', nextAttemptAt: T0 + 60_000 },
        );
        expect(await store.getDelivery(id)).toMatchObject({ attempts: 2, lastStatusCode: null, lastError: 'timeout' });

        await store.claimDeliveries({ owner: 'w1', now: T0 + 60_000, leaseMs: 30_000, limit: 10 });
        const done = await finishOne(store, 'w1', { deliveryId: id, at: T0 + 60_000, durationMs: 25, statusCode: 204, error: null }, { status: 'delivered' });
        expect(done).toBe(true);
        expect(await store.getDelivery(id)).toMatchObject({
          status: 'delivered',
          attempts: 3,
          deliveredAt: T0 + 60_025,
          leaseOwner: null,
          lastStatusCode: 204,
          lastError: null,
        });
        expect((await store.listAttempts([id])).map((a) => [a.statusCode, a.answer])).toEqual([
          [503, 'maintenance — volte às 14h'],
          [null, null],
          [204, null],
        ]);
        expect(await store.nextDueAt()).toBeNull();
      });

      it('dead-letters and cancels', async () => {
        const dead = await publish(store);
        const cancelled = await publish(store, { communityId: 'c2' });
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 30_000, limit: 10 });
        const attempt = { at: T0, durationMs: 5, statusCode: 500, error: null };
        expect(await finishOne(store, 'w1', { ...attempt, deliveryId: dead.deliveries[0]!.id }, { status: 'dead' })).toBe(true);
        expect(await finishOne(store, 'w1', { ...attempt, statusCode: 410, deliveryId: cancelled.deliveries[0]!.id }, { status: 'cancelled' })).toBe(true);
        expect(await store.getDelivery(dead.deliveries[0]!.id)).toMatchObject({ status: 'dead', attempts: 1, deliveredAt: null, leaseOwner: null });
        expect(await store.getDelivery(cancelled.deliveries[0]!.id)).toMatchObject({ status: 'cancelled', lastStatusCode: 410 });
      });

      it('records but does not apply an attempt from a process without the lease', async () => {
        const { deliveries } = await publish(store);
        const id = deliveries[0]!.id;
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 1000, limit: 10 });
        const attempt = { deliveryId: id, at: T0, durationMs: 5, statusCode: 200, error: null };

        expect(await finishOne(store, 'intruder', attempt, { status: 'delivered' })).toBe(false);
        expect(await store.getDelivery(id)).toMatchObject({ status: 'pending', attempts: 0, leaseOwner: 'w1' });

        // w1's lease expires and w2 takes the delivery over: w1's late answer no longer counts.
        await store.claimDeliveries({ owner: 'w2', now: T0 + 1000, leaseMs: 1000, limit: 10 });
        expect(await finishOne(store, 'w1', { ...attempt, at: T0 + 1500 }, { status: 'delivered' })).toBe(false);
        expect(await store.getDelivery(id)).toMatchObject({ status: 'pending', attempts: 0, leaseOwner: 'w2' });
        expect(await finishOne(store, 'w2', { ...attempt, at: T0 + 1600 }, { status: 'dead' })).toBe(true);
        expect(await store.getDelivery(id)).toMatchObject({ status: 'dead', attempts: 1 });
        // Finished: even the former holder cannot apply anything now.
        expect(await finishOne(store, 'w2', { ...attempt, at: T0 + 1700 }, { status: 'delivered' })).toBe(false);

        expect((await store.listAttempts([id])).map((a) => a.at)).toEqual([T0, T0 + 1500, T0 + 1600, T0 + 1700]);
      });

      it('releases the leases of one owner', async () => {
        await publish(store);
        await publish(store);
        const other = await publish(store);
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 30_000, limit: 2 });
        await store.claimDeliveries({ owner: 'w2', now: T0, leaseMs: 30_000, limit: 2 });
        expect(await store.releaseLeases('w1')).toBe(2);
        expect(await store.releaseLeases('w1')).toBe(0);
        const again = await store.claimDeliveries({ owner: 'w3', now: T0, leaseMs: 30_000, limit: 10 });
        expect(again).toHaveLength(2);
        expect(await store.getDelivery(other.deliveries[0]!.id)).toMatchObject({ leaseOwner: 'w2' });
      });

      it('finishes a batch of attempts in one call, applying each outcome only where the lease holds', async () => {
        const [x, y] = [await publish(store), await publish(store)];
        const [dx, dy] = [x.deliveries[0]!.id, y.deliveries[0]!.id];
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 1000, limit: 1 });
        await store.claimDeliveries({ owner: 'w2', now: T0, leaseMs: 1000, limit: 1 });
        const attempt = (deliveryId: string) => ({ deliveryId, at: T0 + 10, durationMs: 5, statusCode: 200, error: null });
        expect(
          await store.finishAttempts('w1', [
            { attempt: attempt(dx), outcome: { status: 'delivered' } },
            { attempt: attempt(dy), outcome: { status: 'delivered' } },
            // A second outcome for one delivery finds it finished already.
            { attempt: attempt(dx), outcome: { status: 'pending', nextAttemptAt: T0 + 5000 } },
          ]),
        ).toEqual([true, false, false]);
        expect(await store.getDelivery(dx)).toMatchObject({ status: 'delivered', attempts: 1, deliveredAt: T0 + 15, leaseOwner: null });
        expect(await store.getDelivery(dy)).toMatchObject({ status: 'pending', attempts: 0, leaseOwner: 'w2' });
        // Both attempts are in the history, applied or not.
        expect((await store.listAttempts([dx, dy])).map((a) => a.deliveryId).sort()).toEqual([dx, dx, dy].sort());
      });

      it('extends a lease only for its holder while the delivery is pending', async () => {
        const held = await publish(store);
        const id = held.deliveries[0]!.id;
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 1000, limit: 1 });
        expect(await store.extendLease('w2', id, T0 + 60_000)).toBe(false);
        expect(await store.extendLease('w1', id, T0 + 60_000)).toBe(true);
        expect(await store.getDelivery(id)).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: T0 + 60_000 });
        // Past the old end of the lease, it is still w1's.
        expect(await store.claimDeliveries({ owner: 'w2', now: T0 + 2000, leaseMs: 1000, limit: 1 })).toEqual([]);
        await finishOne(store, 'w1', { deliveryId: id, at: T0, durationMs: 1, statusCode: 200, error: null }, { status: 'delivered' });
        expect(await store.extendLease('w1', id, T0 + 90_000)).toBe(false);
      });

      it('tells when the next pending delivery is due', async () => {
        expect(await store.nextDueAt()).toBeNull();
        const soon = await publish(store, { createdAt: T0 + 300 });
        await publish(store, { createdAt: T0 + 900 });
        expect(await store.nextDueAt()).toBe(T0 + 300);
        await store.claimDeliveries({ owner: 'w1', now: T0 + 300, leaseMs: 30_000, limit: 1 });
        // A leased delivery is claimable again only when its lease ends.
        expect(await store.nextDueAt()).toBe(T0 + 900);
        await store.releaseLeases('w1');
        await store.claimDeliveries({ owner: 'w1', now: T0 + 300, leaseMs: 100, limit: 1 });
        expect(await store.nextDueAt()).toBe(T0 + 400);
        await finishOne(
          store,
          'w1',
          { deliveryId: soon.deliveries[0]!.id, at: T0 + 300, durationMs: 1, statusCode: 200, error: null },
          { status: 'delivered' },
        );
        expect(await store.nextDueAt()).toBe(T0 + 900);
      });
    });

    describe('subscriptions', () => {
      it('cancels the pending deliveries of an app in a community, optionally of one action', async () => {
        const a1 = await publish(store, {}, { subscribers: ['s1', 's2'] });
        const a2 = await publish(store, { action: OTHER_ACTION }, { subscribers: ['s1'] });
        const c2 = await publish(store, { communityId: 'c2' }, { subscribers: ['s1'] });

        expect(await store.cancelPendingDeliveries({ communityId: 'c1', appId: 's1', action: OTHER_ACTION }, T0 + 5)).toBe(1);
        expect(await store.getDelivery(a2.deliveries[0]!.id)).toMatchObject({ status: 'cancelled', updatedAt: T0 + 5 });
        expect(await store.getDelivery(a1.deliveries[0]!.id)).toMatchObject({ status: 'pending' });

        expect(await store.cancelPendingDeliveries({ communityId: 'c1', appId: 's1' }, T0 + 6)).toBe(1);
        expect(await store.getDelivery(a1.deliveries[0]!.id)).toMatchObject({ status: 'cancelled' });
        expect(await store.getDelivery(a1.deliveries[1]!.id)).toMatchObject({ status: 'pending' });
        expect(await store.getDelivery(c2.deliveries[0]!.id)).toMatchObject({ status: 'pending' });
        expect(await store.cancelPendingDeliveries({ communityId: 'c1', appId: 's1' }, T0 + 7)).toBe(0);
      });

      it('disables a subscription, cancelling its pending deliveries, and enables it again', async () => {
        const hit = await publish(store, {}, { subscribers: ['s1'] });
        const otherAction = await publish(store, { action: OTHER_ACTION }, { subscribers: ['s1'] });
        const subscription = { communityId: 'c1', appId: 's1', action: ACTION, disabledAt: T0 + 9, reason: 'answered 410' };

        expect(await store.disableSubscription(subscription)).toBe(1);
        expect(await store.listDisabledSubscriptions()).toEqual([subscription]);
        expect(await store.getDelivery(hit.deliveries[0]!.id)).toMatchObject({ status: 'cancelled' });
        expect(await store.getDelivery(otherAction.deliveries[0]!.id)).toMatchObject({ status: 'pending' });

        expect(await store.enableSubscription('c1', 's1', ACTION)).toBe(true);
        expect(await store.enableSubscription('c1', 's1', ACTION)).toBe(false);
        expect(await store.listDisabledSubscriptions()).toEqual([]);
      });
    });

    describe('replay', () => {
      it('makes a dead delivery pending again with the same messageId, keeping its history', async () => {
        const { deliveries } = await publish(store);
        const id = deliveries[0]!.id;
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 30_000, limit: 10 });
        await finishOne(store, 'w1', { deliveryId: id, at: T0, durationMs: 3, statusCode: 500, error: null }, { status: 'dead' });

        const replayed = await store.replayDelivery(id, T0 + 50_000);
        expect(replayed).toMatchObject({
          id,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: T0 + 50_000,
          messageId: deliveries[0]!.messageId,
          leaseOwner: null,
          updatedAt: T0 + 50_000,
        });
        expect(await store.getDelivery(id)).toEqual(replayed);
        expect(await store.listAttempts([id])).toHaveLength(1);
        expect(await store.nextDueAt()).toBe(T0 + 50_000);
      });

      it('refuses an unknown delivery or one under a live lease', async () => {
        expect(await store.replayDelivery('unknown', T0)).toBeNull();
        const { deliveries } = await publish(store);
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 1000, limit: 10 });
        expect(await store.replayDelivery(deliveries[0]!.id, T0 + 999)).toBeNull();
        expect(await store.getDelivery(deliveries[0]!.id)).toMatchObject({ leaseOwner: 'w1' });
        expect(await store.replayDelivery(deliveries[0]!.id, T0 + 1000)).toMatchObject({ status: 'pending', leaseOwner: null });
      });
    });

    describe('logs', () => {
      it('gets nothing for unknown ids', async () => {
        expect(await store.getDelivery('nope')).toBeNull();
        expect(await store.getEvent('nope')).toBeNull();
        expect(await store.listAttempts([])).toEqual([]);
      });

      it('lists events newest first with filters and a cursor', async () => {
        const e1 = await publish(store, { createdAt: T0 });
        const e2 = await publish(store, { communityId: 'c2' });
        const e3 = await publish(store, { action: OTHER_ACTION });
        const e4 = await publish(store, { publisher: 'pub2' });
        const ids = async (query: Parameters<Store['listEvents']>[0]) => (await store.listEvents(query)).map((e) => e.id);

        const all = await store.listEvents({ limit: 10 });
        expect(all.map((e) => e.id)).toEqual([e4, e3, e2, e1].map((e) => e.event.id));
        expect(await ids({ communityId: 'c2', limit: 10 })).toEqual([e2.event.id]);
        expect(await ids({ action: OTHER_ACTION, limit: 10 })).toEqual([e3.event.id]);
        expect(await ids({ publisher: 'pub2', limit: 10 })).toEqual([e4.event.id]);
        expect(await ids({ communityId: 'c1', publisher: 'pub', limit: 10 })).toEqual([e3.event.id, e1.event.id]);
        expect(await ids({ limit: 1 })).toEqual([e4.event.id]);
        expect(await ids({ beforeSeq: all[1]!.seq!, limit: 10 })).toEqual([e2.event.id, e1.event.id]);
      });

      it('lists deliveries newest first with filters and a cursor', async () => {
        const e1 = await publish(store, {}, { subscribers: ['s1', 's2'] });
        const e2 = await publish(store, { communityId: 'c2', action: OTHER_ACTION }, { subscribers: ['s1'] });
        await store.cancelPendingDeliveries({ communityId: 'c1', appId: 's2' }, T0 + 1);
        const [d1, d2] = e1.deliveries.map((d) => d.id);
        const d3 = e2.deliveries[0]!.id;
        const ids = async (query: Parameters<Store['listDeliveries']>[0]) => (await store.listDeliveries(query)).map((d) => d.id);

        expect(await ids({ limit: 10 })).toEqual([d3, d2, d1]);
        expect(await ids({ status: 'cancelled', limit: 10 })).toEqual([d2]);
        expect(await ids({ status: 'pending', limit: 10 })).toEqual([d3, d1]);
        expect(await ids({ appId: 's1', limit: 10 })).toEqual([d3, d1]);
        expect(await ids({ action: OTHER_ACTION, limit: 10 })).toEqual([d3]);
        expect(await ids({ communityId: 'c1', limit: 10 })).toEqual([d2, d1]);
        expect(await ids({ eventId: e1.event.id, limit: 10 })).toEqual([d2, d1]);
        expect(await ids({ limit: 2 })).toEqual([d3, d2]);
        const seqOfD2 = (await store.getDelivery(d2!))!.seq!;
        expect(await ids({ beforeSeq: seqOfD2, limit: 10 })).toEqual([d1]);
      });

      it('lists the attempts of several deliveries oldest first', async () => {
        const a = await publish(store);
        const b = await publish(store);
        const attempt = (deliveryId: string, at: number) =>
          finishOne(store, 'nobody', { deliveryId, at, durationMs: 1, statusCode: null, error: `at ${at}` }, { status: 'delivered' });
        await attempt(a.deliveries[0]!.id, T0 + 30);
        await attempt(b.deliveries[0]!.id, T0 + 10);
        await attempt(a.deliveries[0]!.id, T0 + 20);
        await attempt('unknown', T0 + 40);

        const both = await store.listAttempts([a.deliveries[0]!.id, b.deliveries[0]!.id]);
        expect(both.map((x) => [x.deliveryId, x.at])).toEqual([
          [b.deliveries[0]!.id, T0 + 10],
          [a.deliveries[0]!.id, T0 + 20],
          [a.deliveries[0]!.id, T0 + 30],
        ]);
        expect(both[0]).toEqual({ deliveryId: b.deliveries[0]!.id, at: T0 + 10, durationMs: 1, statusCode: null, error: `at ${T0 + 10}`, answer: null });
      });

      it('counts pending and dead deliveries, not delivered or cancelled ones', async () => {
        expect(await store.countOpenDeliveries()).toEqual({ pending: 0, dead: 0 });
        await publish(store, {}, { subscribers: ['s1', 's2', 's3', 's4'] });
        await store.cancelPendingDeliveries({ communityId: 'c1', appId: 's3' }, T0);
        const claimed = await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 30_000, limit: 10 });
        const byApp = new Map(claimed.map((c) => [c.delivery.appId, c.delivery.id]));
        const attempt = (app: string) => ({ deliveryId: byApp.get(app)!, at: T0, durationMs: 1, statusCode: 500, error: null });
        await store.finishAttempts('w1', [
          { attempt: attempt('s1'), outcome: { status: 'delivered' } },
          { attempt: attempt('s2'), outcome: { status: 'dead' } },
        ]);
        expect(await store.countOpenDeliveries()).toEqual({ pending: 1, dead: 1 });
      });

      it('prunes old events with their deliveries and attempts, keeping those still pending', async () => {
        const finished = await publish(store, { createdAt: T0 });
        const stillPending = await publish(store, { createdAt: T0 + 1 });
        const recent = await publish(store, { createdAt: T0 + 1000 });
        const doneId = finished.deliveries[0]!.id;
        await store.claimDeliveries({ owner: 'w1', now: T0, leaseMs: 30_000, limit: 1 });
        await finishOne(store, 'w1', { deliveryId: doneId, at: T0, durationMs: 1, statusCode: 200, error: null }, { status: 'delivered' });

        expect(await store.pruneEvents(T0 + 1000)).toBe(1);
        expect(await store.getEvent(finished.event.id)).toBeNull();
        expect(await store.getDelivery(doneId)).toBeNull();
        expect(await store.listAttempts([doneId])).toEqual([]);
        expect(await store.getEvent(stillPending.event.id)).not.toBeNull();
        expect(await store.getEvent(recent.event.id)).not.toBeNull();
        expect(await store.pruneEvents(T0 + 1000)).toBe(0);
      });

      it('prunes many events in batches, freeing the event loop between them, and counts them all', async () => {
        const old = Array.from({ length: 230 }, (_, i) => newEvent(makeEvent({ createdAt: T0 + i }), { subscribers: [] }));
        await store.publishEvents(old);
        const pending = await publish(store, { createdAt: T0 + 5 });
        const recent = await publish(store, { createdAt: T0 + 1000 }, { subscribers: [] });
        const { result, turns } = await loopTurnsDuring(() => store.pruneEvents(T0 + 1000, 20));
        expect(result).toBe(230);
        expect(turns).toBeGreaterThanOrEqual(11);
        expect((await store.listEvents({ limit: 1000 })).map((e) => e.id).sort()).toEqual([pending.event.id, recent.event.id].sort());
        expect(await store.getDelivery(pending.deliveries[0]!.id)).not.toBeNull();
      });
    });
  });
}

// SQLite: a fresh file per test.
const sqliteDir = mkdtempSync(join(tmpdir(), 'api-hub-store-'));
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/require-await -- async like its PostgreSQL twin: a throw rejects
async function sqliteRaw<T>(store: Store, work: (db: Database.Database) => T): Promise<T> {
  const db = new Database((store as SqliteStore).path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

storeSuite('sqlite', {
  async openFresh(keys = {}) {
    const store = new SqliteStore(join(sqliteDir, `${randomUUID()}`, 'hub.db'), keys);
    await store.migrate();
    return store;
  },
  async reopen(store, keys) {
    await store.close();
    const reopened = new SqliteStore((store as SqliteStore).path, keys);
    try {
      await reopened.migrate();
    } catch (err) {
      await reopened.close();
      throw err;
    }
    return reopened;
  },
  rawApp: (store, id) => sqliteRaw(store, (db) => db.prepare('SELECT * FROM apps WHERE id = ?').get(id) as Record<string, unknown>),
  rawExec: (store, sql) => sqliteRaw(store, (db) => void db.exec(sql)),
});

describe('sqlite store on disk', () => {
  it('keeps its data across close and reopen', async () => {
    const path = join(sqliteDir, 'reopen', 'hub.db');
    const first = new SqliteStore(path);
    await first.migrate();
    await first.putCommunity({ id: 'c1', createdAt: T0 });
    const { event } = await publish(first, { data: '{"kept": true}' });
    await first.close();

    const second = new SqliteStore(path);
    await second.migrate();
    expect(await second.listCommunities()).toEqual([{ id: 'c1', createdAt: T0 }]);
    expect((await second.getEvent(event.id))?.data).toBe('{"kept": true}');
    await second.close();
  });
});

describe('openStore', () => {
  it('opens SQLite by default, and from file: URLs', async () => {
    const byDefault = await openStore(undefined, { defaultSqlitePath: join(sqliteDir, 'default', 'hub.db') });
    expect(byDefault.kind).toBe('sqlite');
    await byDefault.putCommunity({ id: 'c1', createdAt: T0 });
    await byDefault.close();

    const empty = await openStore('', { defaultSqlitePath: join(sqliteDir, 'default', 'hub.db') });
    expect(await empty.listCommunities()).toHaveLength(1);
    await empty.close();

    const absolute = await openStore(`file:${join(sqliteDir, 'absolute', 'hub.db')}`);
    expect(absolute.kind).toBe('sqlite');
    expect(await absolute.listCommunities()).toEqual([]);
    await absolute.close();
  });

  it('refuses other URLs, naming the accepted forms', async () => {
    await expect(openStore('mysql://localhost/hub')).rejects.toThrow(/file:.*postgres:\/\//);
  });

  it('refuses PostgreSQL without HUB_SECRET_KEY, and a previous key without a current one, before connecting', async () => {
    await expect(openStore('postgres://127.0.0.1:1/none')).rejects.toThrow(
      /^HUB_SECRET_KEY is required with PostgreSQL: .* Set it to 32 random bytes written as base64/,
    );
    await expect(openStore(`file:${join(sqliteDir, 'previous-only', 'hub.db')}`, { previousSecretKey: keyA })).rejects.toThrow(
      'HUB_SECRET_KEY_PREVIOUS is set without HUB_SECRET_KEY',
    );
    // An operator's to fix: the binary prints these without a stack, exit 2 (src/main.ts).
    await expect(openStore('postgres://127.0.0.1:1/none')).rejects.toBeInstanceOf(SecretKeyError);
  });
});

// PostgreSQL: a fresh random schema per test, all dropped at the end.
const databaseUrl = process.env.TEST_DATABASE_URL;
if (databaseUrl !== undefined && databaseUrl !== '') {
  const schemas: string[] = [];
  const randomSchema = (): string => {
    const schema = `test_store_${randomUUID().replace(/-/g, '')}`;
    schemas.push(schema);
    return schema;
  };

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  const schemaOf = new Map<Store, string>();
  const openPostgres = async (schema: string, keys: StoreKeys): Promise<Store> => {
    const store = new PostgresStore({
      connectionString: databaseUrl,
      schema,
      secretKey: keys.secretKey ?? TEST_SECRET_KEY,
      previousSecretKey: keys.previousSecretKey,
    });
    schemaOf.set(store, schema);
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  };
  const pgRaw = async <T>(store: Store, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schemaOf.get(store)!}` });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  storeSuite('postgres', {
    openFresh: (keys = {}) => openPostgres(randomSchema(), keys),
    async reopen(store, keys) {
      await store.close();
      return openPostgres(schemaOf.get(store)!, keys);
    },
    rawApp: (store, id) => pgRaw(store, async (client) => (await client.query('SELECT * FROM apps WHERE id = $1', [id])).rows[0] as Record<string, unknown>),
    rawExec: (store, sql) => pgRaw(store, async (client) => void (await client.query(sql))),
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Notifies every 50 ms until `heard` holds (LISTEN is set up in the background). */
  const notifyUntil = async (notifier: Store, channel: NotifyChannel, heard: () => boolean): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!heard()) {
      if (Date.now() > deadline) throw new Error('no notification arrived');
      await notifier.notify(channel);
      await sleep(50);
    }
  };

  describe('postgres stores sharing one schema', () => {
    let stores: PostgresStore[] = [];
    afterEach(async () => {
      await Promise.all(stores.map((store) => store.close()));
      stores = [];
    });
    const open = (schema: string): PostgresStore => {
      const store = new PostgresStore({ connectionString: databaseUrl, schema, secretKey: TEST_SECRET_KEY });
      stores.push(store);
      return store;
    };

    it('migrate concurrently from two processes', async () => {
      const schema = randomSchema();
      const [a, b] = [open(schema), open(schema)];
      await Promise.all([a.migrate(), b.migrate()]);
      expect(await b.putCommunity({ id: 'c1', createdAt: T0 })).toBe(true);
      expect(await a.listCommunities()).toEqual([{ id: 'c1', createdAt: T0 }]);
    });

    it('notify the other store, not the notifier, and not other schemas', async () => {
      const schema = randomSchema();
      const otherSchema = randomSchema();
      const [a, b, elsewhere, elsewhereNotifier] = [open(schema), open(schema), open(otherSchema), open(otherSchema)];
      await a.migrate();
      await elsewhere.migrate();
      const heard = { a: 0, b: 0, elsewhere: 0, aDeliveries: 0 };
      a.listen('registry', () => heard.a++);
      b.listen('registry', () => heard.b++);
      elsewhere.listen('registry', () => heard.elsewhere++);
      a.listen('deliveries', () => heard.aDeliveries++);

      // LISTEN runs in the background, and each one that takes effect calls back once: notify
      // until each listener has heard, then start over.
      await notifyUntil(b, 'registry', () => heard.a > 0);
      await notifyUntil(a, 'registry', () => heard.b > 0);
      await notifyUntil(elsewhereNotifier, 'registry', () => heard.elsewhere > 0);
      await until(() => heard.aDeliveries > 0, 10_000, 'the deliveries channel listened to');
      heard.a = 0;
      heard.b = 0;
      heard.elsewhere = 0;
      heard.aDeliveries = 0;

      await a.notify('registry');
      await notifyUntil(a, 'registry', () => heard.b > 0);
      expect(await quiet(() => ({ a: heard.a, elsewhere: heard.elsewhere, aDeliveries: heard.aDeliveries }))).toEqual({ a: 0, elsewhere: 0, aDeliveries: 0 });
    });

    it('hear of a change notified before their LISTEN took effect', async () => {
      const schema = randomSchema();
      const [a, b] = [open(schema), open(schema)];
      await a.migrate();
      let heard = 0;
      b.listen('registry', () => heard++);
      // Sent at once, before b's listening connection is even open: the notification itself is
      // lost, and b must look again when its LISTEN takes effect.
      await a.notify('registry');
      await until(() => heard > 0, 10_000, 'b calling back');
    });

    it('call back again once listening resumes after the connection is dropped', async () => {
      const schema = randomSchema();
      const [a, b] = [open(schema), open(schema)];
      await a.migrate();
      let heard = 0;
      b.listen('registry', () => heard++);
      await notifyUntil(a, 'registry', () => heard > 0);
      heard = 0;
      // Changes notified while b's listening connection is down never reach it.
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [
          `LISTEN "api_hub.${schema}.registry"`,
        ]);
        expect(rowCount).toBe(1);
      } finally {
        await admin.end();
      }
      await a.notify('registry');
      await until(() => heard > 0, 10_000, 'b calling back after reconnecting');
    });

    it('stop calling back after unsubscribe', async () => {
      const schema = randomSchema();
      const [a, b] = [open(schema), open(schema)];
      await a.migrate();
      let heard = 0;
      const unsubscribe = a.listen('deliveries', () => heard++);
      await notifyUntil(b, 'deliveries', () => heard > 0);
      expect(heard).toBeGreaterThan(0);
      unsubscribe();
      heard = 0;
      await b.notify('deliveries');
      expect(await quiet(() => heard)).toBe(0);
    });
  });

  describe('openStore with PostgreSQL', () => {
    it('opens postgres:// URLs in the given schema, migrated', async () => {
      const store = await openStore(databaseUrl, { pgSchema: randomSchema(), secretKey: TEST_SECRET_KEY });
      expect(store.kind).toBe('postgres');
      expect(await store.listActions()).toEqual([]);
      await store.close();
      await store.close();
    });
  });
}
