/**
 * The change trail over HTTP: each kind of admin write recorded with the key that made it (never a
 * secret), its targets and, for manifests, action definitions and installations, before and after
 * with the app's secrets redacted; failed and refused writes recorded as not made; reads and
 * unauthenticated requests not recorded; filters, time range and cursor paging as the other admin
 * lists; old records pruned under HUB_CHANGE_RETENTION.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeTrail, changeRecord } from '../src/admin/change-trail.js';
import type { ChangeRecord } from '../src/admin/change-types.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/store/open.js';
import { ADMIN_TOKEN, startHub, type TestHub } from './support/hub.js';
import { expectExactError } from './support/errors.js';

const ACTION = '@acme:trail:Invoices:getRelated';
const definition = (title: string, idType = 'string') => ({
  kind: 'request',
  title,
  dataSchema: { type: 'object', properties: { id: { type: idType } } },
  responseSchema: { type: 'object' },
});
const manifest = (displayName: string, extra: Record<string, unknown> = {}) => ({
  displayName,
  approval: 'manual',
  services: { requests: [{ action: '@layers:education:GradeBooks:getRelated', reason: 'grades' }] },
  ...extra,
});

describe('change trail', () => {
  let hub: TestHub;
  let operate: { id: string; key: string };
  let readKey: { id: string; key: string };
  const as = (key: string, method: string, path: string, body?: unknown) =>
    hub.send(method, `/v1/admin${path}`, { headers: { authorization: `Bearer ${key}` }, body });
  /** The newest change (after the write just made), and the trail of one request. */
  const latest = async (): Promise<ChangeRecord & { seq: number }> => (await hub.admin('GET', '/changes?limit=1')).body.items[0];

  beforeAll(async () => {
    hub = await startHub();
    operate = (await hub.admin('POST', '/keys', { name: 'on-call', scope: 'operate' })).body;
    readKey = (await hub.admin('POST', '/keys', { name: 'dashboard', scope: 'read' })).body;
  });
  afterAll(() => hub.close());

  it('records a key creation by the bootstrap key with its name and scope, never the key', async () => {
    const created = await hub.admin('POST', '/keys', { name: 'ci', scope: 'read' });
    const change = await latest();
    expect(change).toEqual({
      seq: expect.any(Number),
      at: expect.any(Number),
      keyId: 'bootstrap',
      keyName: 'bootstrap',
      method: 'POST',
      route: '/v1/admin/keys',
      kind: 'key.create',
      target: created.body.id,
      appId: null,
      communityId: null,
      targets: { key: created.body.id },
      before: null,
      after: { name: 'ci', scope: 'read' },
      status: 201,
      outcome: 'ok',
      requestId: created.headers['x-request-id'],
    });
    expect((await hub.admin('DELETE', `/keys/${created.body.id}`)).status).toBe(204);
    expect(await latest()).toMatchObject({ kind: 'key.revoke', target: created.body.id, targets: { key: created.body.id }, status: 204, outcome: 'ok' });
  });

  it('records a manifest before and after, with the app secrets and the bootstrap token redacted', async () => {
    const put = await hub.admin('PUT', '/apps/trail-erp', manifest('Trail ERP'));
    expect(put.status).toBe(201);
    expect(await latest()).toMatchObject({ kind: 'app.put', target: 'trail-erp', appId: 'trail-erp', before: null, after: put.body.manifest, status: 201 });

    const secrets = (await as(operate.key, 'GET', '/apps/trail-erp/secrets')).body;
    const leaky = manifest('Trail ERP 2', { description: `legacy ${secrets.secret} signing ${secrets.signingSecret} admin ${ADMIN_TOKEN}` });
    const replaced = await hub.admin('PUT', '/apps/trail-erp', leaky);
    expect(replaced.status).toBe(200);
    const change = await latest();
    expect(change.before).toEqual(put.body.manifest);
    expect(change.after).toEqual({ ...replaced.body.manifest, description: 'legacy [redacted] signing [redacted] admin [redacted]' });
    const trail = (await hub.admin('GET', '/changes?limit=1000')).text;
    for (const secret of [secrets.secret, secrets.signingSecret, ADMIN_TOKEN, operate.key, readKey.key]) expect(trail).not.toContain(secret);
  });

  it('records an action definition before and after; a refused replacement as not made', async () => {
    expect((await hub.admin('PUT', `/actions/${ACTION}/versions/1`, definition('Invoices'))).status).toBe(201);
    expect(await latest()).toMatchObject({
      kind: 'action.define',
      target: ACTION,
      targets: { action: ACTION, version: '1' },
      before: null,
      after: { id: ACTION, version: 1, ...definition('Invoices') },
    });
    expect((await hub.admin('PUT', `/actions/${ACTION}/versions/1`, definition('Invoices, renamed'))).status).toBe(200);
    expect(await latest()).toMatchObject({ before: { title: 'Invoices' }, after: { title: 'Invoices, renamed' }, status: 200, outcome: 'ok' });

    const refused = await hub.admin('PUT', `/actions/${ACTION}/versions/1`, definition('Breaking', 'integer'));
    expect(refused.status).toBe(409);
    expect(await latest()).toMatchObject({
      kind: 'action.define',
      before: null,
      after: null,
      status: 409,
      outcome: 'Conflict',
      requestId: refused.headers['x-request-id'],
    });
    expect((await hub.admin('GET', `/actions/${ACTION}`)).body.versions[0].title).toBe('Invoices, renamed');
    const invalid = await hub.admin('PUT', '/apps/trail-erp', { displayName: 42 });
    expect(await latest()).toMatchObject({
      kind: 'app.put',
      before: null,
      after: null,
      status: 400,
      outcome: 'InvalidRequest',
      requestId: invalid.headers['x-request-id'],
    });
  });

  it('records installations (install, approve, uninstall) before and after, by the operate key', async () => {
    expect((await as(operate.key, 'PUT', '/communities/trail-school')).status).toBe(201);
    expect(await latest()).toMatchObject({ kind: 'community.put', target: 'trail-school', communityId: 'trail-school', keyId: operate.id, keyName: 'on-call' });
    const installed = await as(operate.key, 'PUT', '/communities/trail-school/installations/trail-erp');
    expect(installed.body.status).toBe('pending_approval');
    expect(await latest()).toMatchObject({
      kind: 'installation.put',
      route: '/v1/admin/communities/:community/installations/:appId',
      target: 'trail-erp',
      appId: 'trail-erp',
      communityId: 'trail-school',
      before: null,
      after: installed.body,
    });
    const approved = await as(operate.key, 'POST', '/communities/trail-school/installations/trail-erp/approve');
    expect(await latest()).toMatchObject({ kind: 'installation.approve', before: installed.body, after: approved.body });
    expect((await as(operate.key, 'DELETE', '/communities/trail-school/installations/trail-erp')).status).toBe(204);
    expect(await latest()).toMatchObject({ kind: 'installation.delete', before: approved.body, after: { status: 'uninstalled' }, status: 204 });
  });

  it('records tokens, secret rotations, replays and subscriptions with their ids, never a token or secret', async () => {
    const token = await as(operate.key, 'POST', '/apps/trail-erp/tokens', { label: 'ci' });
    expect(await latest()).toMatchObject({
      kind: 'token.issue',
      target: token.body.id,
      targets: { app: 'trail-erp', token: token.body.id },
      before: null,
      after: null,
    });
    expect((await as(operate.key, 'DELETE', `/apps/trail-erp/tokens/${token.body.id}`)).status).toBe(204);
    expect(await latest()).toMatchObject({ kind: 'token.revoke', target: token.body.id, targets: { app: 'trail-erp', token: token.body.id } });
    const rotated = await as(operate.key, 'POST', '/apps/trail-erp/secrets/rotate');
    expect(await latest()).toMatchObject({ kind: 'secrets.rotate', target: 'trail-erp', before: null, after: null, outcome: 'ok' });
    const missing = await as(operate.key, 'POST', '/deliveries/dlv-none/replay');
    expect(missing.status).toBe(404);
    expect(await latest()).toMatchObject({ kind: 'delivery.replay', target: 'dlv-none', outcome: 'NotFound', status: 404 });
    await as(operate.key, 'POST', `/communities/trail-school/installations/trail-erp/subscriptions/${ACTION}/enable`);
    expect(await latest()).toMatchObject({
      kind: 'subscription.enable',
      targets: { community: 'trail-school', app: 'trail-erp', action: ACTION },
      outcome: 'NotFound',
    });
    const trail = (await hub.admin('GET', '/changes?limit=1000')).text;
    for (const secret of [token.body.token, rotated.body.nextSecret, rotated.body.signingSecret]) expect(trail).not.toContain(secret);
  });

  it('records a write refused for its scope with the key that tried; not reads, nor requests without a key', async () => {
    const before = await latest();
    await as(readKey.key, 'GET', '/apps');
    await hub.send('PUT', '/v1/admin/apps/nobody', { body: manifest('x') });
    await hub.send('PUT', '/v1/admin/apps/nobody', { headers: { authorization: 'Bearer wrong-token-of-16-chars' }, body: manifest('x') });
    expect((await latest()).seq).toBe(before.seq);
    const refused = await as(readKey.key, 'PUT', '/apps/trail-erp', manifest('Taken over'));
    expect(refused.status).toBe(403);
    expect(await latest()).toMatchObject({
      keyId: readKey.id,
      keyName: 'dashboard',
      kind: 'app.put',
      before: null,
      after: null,
      status: 403,
      outcome: 'Forbidden',
    });
  });

  it('filters by key, app, community, target, kind, route and time, pages with a cursor, and checks its query', async () => {
    const items = async (query: string) => (await hub.admin('GET', `/changes?limit=1000&${query}`)).body.items as ChangeRecord[];
    const all = await items('');
    expect((await items(`key=${operate.id}`)).every((c) => c.keyId === operate.id)).toBe(true);
    expect((await items(`key=${operate.id}`)).length).toBeGreaterThanOrEqual(8);
    expect((await items('app=trail-erp')).map((c) => c.appId)).toEqual(all.filter((c) => c.appId === 'trail-erp').map(() => 'trail-erp'));
    expect((await items('community=trail-school')).length).toBe(all.filter((c) => c.communityId === 'trail-school').length);
    expect((await items(`target=${encodeURIComponent(ACTION)}`)).map((c) => c.kind)).toEqual([
      'subscription.enable',
      'action.define',
      'action.define',
      'action.define',
    ]);
    expect((await items('kind=installation.approve')).length).toBe(1);
    expect((await items(`route=${encodeURIComponent('/v1/admin/keys')}`)).map((c) => c.kind)).toEqual(['key.create', 'key.create', 'key.create']);
    const middle = all[Math.floor(all.length / 2)]!;
    const since = await items(`since=${middle.at}`);
    expect(since.every((c) => c.at >= middle.at)).toBe(true);
    expect(await items(`since=${new Date(middle.at).toISOString()}&until=${middle.at}`)).toEqual(all.filter((c) => c.at === middle.at));
    expect(await items('until=86400000')).toEqual([]);
    // An offset other than Z names the same instant as the milliseconds.
    expect(await items(`since=${encodeURIComponent(new Date(middle.at + 3600_000).toISOString().replace('Z', '+01:00'))}`)).toEqual(since);

    // Pages of 3, newest first, to the end: every change once.
    const paged: ChangeRecord[] = [];
    let cursor = '';
    for (;;) {
      const page = await hub.admin('GET', `/changes?limit=3&cursor=${cursor}`);
      paged.push(...page.body.items);
      if (page.body.nextCursor === null) break;
      cursor = page.body.nextCursor;
    }
    expect(paged.map((c) => c.seq)).toEqual(all.map((c) => c.seq));

    // The same bounds and words as the other lists (the whole matrix is in lifecycle.test.ts).
    expectExactError(
      await hub.admin('GET', '/changes?since=yesterday'),
      400,
      'InvalidRequest',
      'since must be an ISO 8601 date-time with a time zone, such as 2026-01-31T12:00:00Z, or milliseconds since the epoch, not "yesterday"',
      { details: [{ pointer: '/query/since', message: 'is not an ISO 8601 date-time with a time zone or milliseconds since the epoch' }] },
    );
    expectExactError(
      await hub.admin('GET', '/changes?until=2026-02-30T00:00:00Z'),
      400,
      'InvalidRequest',
      'until is not a date-time that exists: "2026-02-30T00:00:00Z"',
      {
        details: [{ pointer: '/query/until', message: 'is not a date-time that exists' }],
      },
    );
    expectExactError(
      await hub.admin('GET', `/changes?since=${middle.at + 1}&until=${middle.at}`),
      400,
      'InvalidRequest',
      `since (${middle.at + 1}) is after until (${middle.at})`,
      {
        details: [{ pointer: '/query/since', message: 'is after until' }],
      },
    );
  });
});

describe('change trail retention', () => {
  it('prunes the records older than HUB_CHANGE_RETENTION, keeping the others', async () => {
    expect(loadConfig([], { HUB_CHANGE_RETENTION: '90d' }).changeRetentionMs).toBe(90 * 86_400_000);
    expect(loadConfig([], {}).changeRetentionMs).toBe(365 * 86_400_000);
    const dir = mkdtempSync(join(tmpdir(), 'change-trail-'));
    const store = await openStore(`file:${join(dir, 'hub.db')}`);
    const now = 1_800_000_000_000;
    const trail = new ChangeTrail(store, pino({ level: 'silent' }), { retentionMs: 1000, now: () => now });
    try {
      const record = (at: number) =>
        changeRecord({
          at,
          key: { id: 'bootstrap', name: 'bootstrap', scope: 'admin' },
          method: 'PUT',
          route: '/admin/communities/:community',
          kind: 'community.put',
          params: { community: `c-${at}` },
          status: 201,
          outcome: 'ok',
          requestId: `r-${at}`,
          note: undefined,
          secrets: [],
        });
      for (const at of [now - 5000, now - 1001, now - 1000, now]) await trail.record(record(at));
      expect(await trail.prune()).toBe(2);
      const kept = await store.queryChanges({ limit: 10 });
      expect(kept.map((c) => c.at)).toEqual([now, now - 1000]);
      expect(kept[0]).toMatchObject({ route: '/v1/admin/communities/:community', target: `c-${now}`, communityId: `c-${now}` });
    } finally {
      trail.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
