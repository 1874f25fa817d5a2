/**
 * Public behaviour that had no test: the rate limit's 429 with Retry-After, the default version
 * of a call (the highest both the action and the provider support), discover's `?version=`
 * with several providers and versions, `/readyz` once the storage is gone, and the routes
 * without the `/v1` prefix. A real hub on a real port; whole answers checked.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, install, registerApp, startHub, type TestHub } from './support/hub.js';
import { expectError } from './support/errors.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const COMMUNITY = 'school-a';
const LOOKUP = '@acme:school:Thing:get';
const HAPPENED = '@acme:school:Thing:happened';
async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

const viewerHeaders = (token: string) => ({ authorization: `Bearer ${token}`, 'x-community-id': COMMUNITY });

/** A version of the request action; version 2 adds an optional field to the answer. */
const lookupVersion = (version: number) => ({
  kind: 'request',
  title: `Get a thing (v${version})`,
  dataSchema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
  responseSchema: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, ...(version > 1 && { colour: { type: 'string' } }) } },
});

describe('public routes', () => {
  let hub: TestHub;
  let providers: TestServer;
  let viewer: string;
  let gate: string;

  beforeAll(async () => {
    // Each provider answers with its own name and the version the hub asked it for.
    providers = await startServer((req: Received, res: ServerResponse) => {
      const { context } = JSON.parse(req.body) as { context: { version: number } };
      json(res, 200, { name: `${req.url.slice(1)} v${context.version}` });
    });
    hub = await startHub({ rateLimitPerSecond: 0 });
    for (const version of [1, 2]) expect((await hub.admin('PUT', `/actions/${LOOKUP}/versions/${version}`, lookupVersion(version))).status).toBe(201);
    expect((await hub.admin('PUT', `/actions/${HAPPENED}/versions/1`, { kind: 'event', title: 'A thing happened', dataSchema: true })).status).toBe(201);
    await registerApp(hub, 'old-erp', { services: { responds: [{ action: LOOKUP, reason: 'x', url: `${providers.url}/old-erp`, versions: [1] }] } });
    await registerApp(hub, 'new-erp', {
      icon: 'https://new-erp.example/icon.png',
      services: { responds: [{ action: LOOKUP, reason: 'x', url: `${providers.url}/new-erp`, versions: [1, 2] }] },
    });
    viewer = await registerApp(hub, 'viewer', { services: { requests: [{ action: LOOKUP, reason: 'x' }] } });
    gate = await registerApp(hub, 'gate', { services: { publishes: [{ action: HAPPENED, reason: 'x' }] } });
    for (const app of ['old-erp', 'new-erp', 'viewer', 'gate']) await install(hub, COMMUNITY, app);
  });

  afterAll(async () => {
    await hub.close();
    await providers.close();
  });

  const call = (provider: string, query = '') =>
    hub.send('POST', `/v1/services/call/${LOOKUP}/${provider}${query}`, { headers: viewerHeaders(viewer), body: { id: 't-1' } });
  const discover = (query = '') => hub.send('GET', `/v1/services/discover/${LOOKUP}${query}`, { headers: viewerHeaders(viewer) });

  describe('the default version', () => {
    it('is the highest version both the action and the provider support', async () => {
      expect((await call('new-erp')).body).toEqual({ data: { name: 'new-erp v2' } });
      expect((await call('old-erp')).body).toEqual({ data: { name: 'old-erp v1' } });
    });

    it('gives way to ?version=, and a version the provider does not support is a 404', async () => {
      expect((await call('new-erp', '?version=1')).body).toEqual({ data: { name: 'new-erp v1' } });
      expectError(await call('old-erp', '?version=2'), 404, 'NotFound');
      expectError(await call('old-erp', '?version=3'), 404, 'NotFound', { error: `action "${LOOKUP}" has no version 3` });
    });
  });

  describe('discover with several providers and versions', () => {
    const oldErp = { id: 'old-erp', displayName: 'old-erp', icon: null, versions: [1] };
    const newErp = { id: 'new-erp', displayName: 'new-erp', icon: 'https://new-erp.example/icon.png', versions: [1, 2] };
    const byId = (list: { id: string }[]) => [...list].sort((x, y) => x.id.localeCompare(y.id));

    it('lists every provider with the versions it supports', async () => {
      const all = await discover();
      expect(all.status).toBe(200);
      expect(byId(all.body)).toEqual([newErp, oldErp]);
      expect(byId((await discover('?version=1')).body)).toEqual([newErp, oldErp]);
    });

    it('keeps only the providers of the version asked for', async () => {
      expect(await discover('?version=2')).toMatchObject({ status: 200, body: [newErp] });
    });

    it('refuses a version the action does not have, and a version that is not a positive integer', async () => {
      expectError(await discover('?version=3'), 404, 'NotFound', { error: `action "${LOOKUP}" has no version 3` });
      for (const bad of ['0', '-1', 'two', '1.5', '1e3', '99999999999999999999']) {
        expectError(await discover(`?version=${bad}`), 400, 'InvalidRequest', {
          details: [{ pointer: '/query/version', message: 'must be a positive integer' }],
        });
      }
    });
  });

  describe('routes without the /v1 prefix', () => {
    it('discover, call and publish answer as under /v1', async () => {
      const discovered = await hub.send('GET', `/services/discover/${LOOKUP}?version=2`, { headers: viewerHeaders(viewer) });
      expect(discovered).toMatchObject({ status: 200, body: [{ id: 'new-erp', versions: [1, 2] }] });
      const called = await hub.send('POST', `/services/call/${LOOKUP}/old-erp`, { headers: viewerHeaders(viewer), body: { id: 't-1' } });
      expect(called).toMatchObject({ status: 200, body: { data: { name: 'old-erp v1' } } });

      const published = await hub.send('POST', `/services/publish/${HAPPENED}`, { headers: viewerHeaders(gate), body: { at: 1 } });
      expect(published.status).toBe(201);
      expect(Object.keys(published.body)).toEqual(['id']);
      const stored = await hub.admin('GET', `/events/${published.body.id}`);
      expect(stored.body).toMatchObject({ id: published.body.id, action: HAPPENED, communityId: COMMUNITY, version: 1, publisher: 'gate', data: { at: 1 } });
    });

    it('the admin API answers under /admin, with the same token and errors', async () => {
      const apps = await hub.send('GET', '/admin/apps/old-erp', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(apps).toMatchObject({ status: 200, body: { id: 'old-erp', manifest: { displayName: 'old-erp' } } });
      expectError(await hub.send('GET', '/admin/apps/old-erp'), 401, 'Unauthorized');
      expectError(await hub.send('GET', '/admin/apps/nobody', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }), 404, 'NotFound');
    });

    it('the errors of the aliases are the same as under /v1', async () => {
      expectError(await hub.send('GET', `/services/discover/${LOOKUP}`, { headers: viewerHeaders('nonsense') }), 401, 'Unauthorized');
      expectError(await hub.send('POST', `/services/publish/${LOOKUP}`, { headers: viewerHeaders(gate), body: {} }), 404, 'NotFound');
    });
  });
});

describe('the rate limit', () => {
  let hub: TestHub;
  let provider: TestServer;
  let viewer: string;

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, { name: 'thing' }));
    hub = await startHub({ rateLimitPerSecond: 1 });
    expect((await hub.admin('PUT', `/actions/${LOOKUP}/versions/1`, lookupVersion(1))).status).toBe(201);
    await registerApp(hub, 'erp', { services: { responds: [{ action: LOOKUP, reason: 'x', url: `${provider.url}/get` }] } });
    viewer = await registerApp(hub, 'viewer', { services: { requests: [{ action: LOOKUP, reason: 'x' }] } });
    await install(hub, COMMUNITY, 'erp');
    await install(hub, COMMUNITY, 'viewer');
    await install(hub, 'school-b', 'viewer');
  });

  afterAll(async () => {
    await hub.close();
    await provider.close();
  });

  const call = (community = COMMUNITY) =>
    hub.send('POST', `/v1/services/call/${LOOKUP}/erp`, { headers: { authorization: `Bearer ${viewer}`, 'x-community-id': community }, body: { id: 't-1' } });

  it('answers 429 with Retry-After past the burst, forwards nothing, and counts per community', async () => {
    // 1 call per second with a burst of 2: the third call at once is over the limit.
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await call());
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([200, 200]);
    expectError(answers[2]!, 429, 'TooManyRequests', { error: `app "viewer" exceeded 1 calls per second in community "${COMMUNITY}"` });
    expect(answers[2]!.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(provider.received).toHaveLength(2);
    // The limit is per app and community: another community is not limited by this one.
    expectError(await call('school-b'), 404, 'NotFound');
    // Once the wait Retry-After asked for has passed, calls go through again.
    await until(async () => (await call()).status === 200, 5000, 'a call accepted again');
    expect(provider.received).toHaveLength(3);
  });
});

describe.each([
  ['SQLite', undefined],
  ['PostgreSQL', process.env.TEST_DATABASE_URL || undefined],
])('/readyz on %s once the storage is gone', (kind, databaseUrl) => {
  it.skipIf(kind === 'PostgreSQL' && databaseUrl === undefined)('answers 503 ServiceUnavailable in the error format', async () => {
    const pgSchema = databaseUrl === undefined ? undefined : `test_ready_${randomUUID().replace(/-/g, '')}`;
    const hub = await startHub({}, undefined, { databaseUrl, pgSchema });
    try {
      expect(await hub.send('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', storage: kind === 'SQLite' ? 'sqlite' : 'postgres' } });
      await hub.store.close();
      const answer = await hub.send('GET', '/readyz');
      expectError(answer, 503, 'ServiceUnavailable', { error: 'the storage cannot be reached' });
      expect(Object.keys(answer.body).sort()).toEqual(['error', 'name', 'requestId', 'status', 'type']);
      // Alive all the same: liveness does not depend on the storage.
      expect(await hub.send('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    } finally {
      await hub.close().catch(() => undefined);
      if (databaseUrl !== undefined) await dropSchema(databaseUrl, pgSchema!);
    }
  });
});
