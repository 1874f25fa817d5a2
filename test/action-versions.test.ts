/**
 * The status of action versions, end to end: an operator deprecates, retires and reactivates
 * versions through PATCH /v1/admin/actions/:action/versions/:version; apps see it in discover, in
 * the catalogue documents, in the headers of real calls to a provider on 127.0.0.1 and in the 404
 * of a retired version; the change trail records it; on PostgreSQL a second hub process sharing
 * the schema sees the status set on the first.
 */
import { randomUUID } from 'node:crypto';
import { Validator as OpenApiValidator } from '@seriousme/openapi-schema-validator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExactError } from './support/errors.js';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { json, startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const REPORT = '@test:Report:get';
const CHANGED = '@test:Report:changed';
const BUILTIN = '@layers:education:GradeBooks:getRelated';
const REQUEST_DEFINITION = { kind: 'request', title: 'A report', dataSchema: { type: 'object' }, responseSchema: { type: 'object' } };
const EVENT_DEFINITION = { kind: 'event', title: 'A report changed', dataSchema: { type: 'object' } };

/** The catalogue's actions and versions, and two apps using them: `viewer` calls and publishes,
 * `erp` answers both versions of the request action. */
async function setUp(hub: TestHub, providerUrl: string): Promise<string> {
  for (const version of [1, 2]) {
    expect((await hub.admin('PUT', `/actions/${REPORT}/versions/${version}`, REQUEST_DEFINITION)).status).toBe(201);
    expect((await hub.admin('PUT', `/actions/${CHANGED}/versions/${version}`, EVENT_DEFINITION)).status).toBe(201);
  }
  const viewer = await registerApp(hub, 'viewer', {
    services: { requests: [{ action: REPORT, reason: 'show reports' }], publishes: [{ action: CHANGED, reason: 'tell' }] },
  });
  await registerApp(hub, 'erp', { services: { responds: [{ action: REPORT, reason: 'reports', url: `${providerUrl}/report`, versions: [1, 2] }] } });
  for (const app of ['viewer', 'erp']) await install(hub, 'school-a', app);
  return viewer;
}

const setStatus = (hub: TestHub, version: number | string, status: unknown, action = REPORT) =>
  hub.admin('PATCH', `/actions/${action}/versions/${version}`, { status });

describe('action version status', () => {
  let hub: TestHub;
  let provider: TestServer;
  let viewer: string;
  const asViewer = (method: string, path: string, body?: unknown) =>
    hub.send(method, path, { headers: { authorization: `Bearer ${viewer}`, 'x-community-id': 'school-a' }, body });
  const call = (version: number) => asViewer('POST', `/v1/services/call/${REPORT}/erp?version=${version}`, {});
  const publish = (version: number) => asViewer('POST', `/v1/services/publish/${CHANGED}?version=${version}`, {});

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, { ok: true }));
    hub = await startHub();
    viewer = await setUp(hub, provider.url);
  });

  afterAll(async () => {
    await hub.close();
    await provider.close();
  });

  it('answers a version with its status, every version active at first', async () => {
    const answer = await hub.admin('GET', `/actions/${REPORT}`);
    expect(answer.body.versions.map((v: { status: string; statusChangedAt: unknown }) => [v.status, v.statusChangedAt])).toEqual([
      ['active', null],
      ['active', null],
    ]);
    const discovered = await asViewer('GET', `/v1/services/discover/${REPORT}`);
    // Without deprecations the answer keeps Layers' shape exactly.
    expect(discovered.body).toEqual([{ id: 'erp', displayName: 'erp', icon: null, versions: [1, 2] }]);
    expect((await call(1)).headers.deprecation).toBeUndefined();
  });

  it('deprecates a version: still callable, flagged in discover, the documents and the headers of its answers', async () => {
    const before = Date.now();
    const answer = await setStatus(hub, 1, 'deprecated');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id: REPORT, version: 1, status: 'deprecated', statusChangedAt: expect.any(Number) });
    const at = answer.body.statusChangedAt as number;
    expect(at).toBeGreaterThanOrEqual(before);

    const discovered = await asViewer('GET', `/v1/services/discover/${REPORT}`);
    expect(discovered.body).toEqual([{ id: 'erp', displayName: 'erp', icon: null, versions: [1, 2], deprecatedVersions: [1] }]);

    const called = await call(1);
    expect(called.status).toBe(200);
    expect(called.body).toEqual({ data: { ok: true } });
    expect(called.headers.deprecation).toBe(`@${Math.floor(at / 1000)}`);
    expect(called.headers.link).toBe(`</reference/#/actions/${encodeURIComponent(REPORT)}/2>; rel="successor-version"`);
    // The active version's answers carry neither.
    const current = await call(2);
    expect([current.status, current.headers.deprecation, current.headers.link]).toEqual([200, undefined, undefined]);

    const openapi = (await hub.send('GET', '/v1/catalog/openapi.json')).body;
    expect(openapi.webhooks[`${REPORT} v1`].post.deprecated).toBe(true);
    expect(openapi.webhooks[`${REPORT} v2`].post.deprecated).toBeUndefined();
    // One call operation for both versions: not deprecated while version 2 is active.
    const operation = openapi.paths[`/services/call/${REPORT}/{provider}`].post;
    expect(operation.deprecated).toBeUndefined();
    expect(operation.description).toContain('- version 1 (deprecated): A report');
    expect(Object.keys(operation.responses['200'].headers)).toEqual(['Deprecation', 'Link']);
    // Still a valid OpenAPI 3.1 document, with the flags.
    const validation = await new OpenApiValidator().validate(structuredClone(openapi));
    expect([validation.valid, validation.errors ?? []]).toEqual([true, []]);
    const actions = (await hub.send('GET', '/v1/catalog/actions.json')).body;
    const versions = actions.actions.find((a: { id: string }) => a.id === REPORT).versions;
    expect(versions.map((v: Record<string, unknown>) => [v.version, v.status, v.deprecated, v.statusChangedAt])).toEqual([
      [1, 'deprecated', true, at],
      [2, 'active', undefined, null],
    ]);

    // Every version deprecated: the call operation is, and no successor is named.
    expect((await setStatus(hub, 2, 'deprecated')).status).toBe(200);
    expect((await hub.send('GET', '/v1/catalog/openapi.json')).body.paths[`/services/call/${REPORT}/{provider}`].post.deprecated).toBe(true);
    const last = await call(2);
    expect(last.headers.deprecation).toMatch(/^@\d+$/);
    expect(last.headers.link).toBeUndefined();
    expect((await setStatus(hub, 2, 'active')).body.status).toBe('active');
  });

  it('keeps the date of a deprecation when it is set again', async () => {
    const first = await setStatus(hub, 1, 'deprecated');
    const again = await setStatus(hub, 1, 'deprecated');
    expect(again.body).toEqual(first.body);
  });

  it('retires a version: calls and publishes get a 404 naming the version to use, discover and the documents leave it out', async () => {
    expect((await setStatus(hub, 1, 'retired')).body).toMatchObject({ status: 'retired' });
    expectExactError(await call(1), 404, 'NotFound', `version 1 of "${REPORT}" is retired; use version 2`);
    // Without ?version= the call goes to the newest version both sides support, as ever.
    const byDefault = await asViewer('POST', `/v1/services/call/${REPORT}/erp`, {});
    expect([byDefault.status, byDefault.body]).toEqual([200, { data: { ok: true } }]);

    expect((await setStatus(hub, 1, 'retired', CHANGED)).status).toBe(200);
    expectExactError(await publish(1), 404, 'NotFound', `version 1 of "${CHANGED}" is retired; use version 2`);
    expect((await publish(2)).status).toBe(201);

    expect((await asViewer('GET', `/v1/services/discover/${REPORT}`)).body).toEqual([{ id: 'erp', displayName: 'erp', icon: null, versions: [2] }]);
    // Asked for by number, discover answers as a call would.
    expectExactError(await asViewer('GET', `/v1/services/discover/${REPORT}?version=1`), 404, 'NotFound', `version 1 of "${REPORT}" is retired; use version 2`);
    const openapi = (await hub.send('GET', '/v1/catalog/openapi.json')).body;
    expect(Object.keys(openapi.webhooks).filter((name) => name.startsWith(REPORT))).toEqual([`${REPORT} v2`]);
    const asyncapi = (await hub.send('GET', '/v1/catalog/asyncapi.json')).text;
    expect(asyncapi).not.toContain(`${CHANGED} v1`);

    // Both retired: nothing to name.
    expect((await setStatus(hub, 2, 'retired')).status).toBe(200);
    expectExactError(await call(2), 404, 'NotFound', `version 2 of "${REPORT}" is retired; no version of it is in service`);
    expectExactError(await asViewer('POST', `/v1/services/call/${REPORT}/erp`, {}), 404, 'NotFound', `every version of "${REPORT}" is retired`);
  });

  it('makes a version active again', async () => {
    for (const version of [1, 2]) expect((await setStatus(hub, version, 'active')).body.status).toBe('active');
    expect((await setStatus(hub, 1, 'active', CHANGED)).status).toBe(200);
    const called = await call(1);
    expect([called.status, called.headers.deprecation]).toEqual([200, undefined]);
    expect((await publish(1)).status).toBe(201);
    expect((await asViewer('GET', `/v1/services/discover/${REPORT}`)).body).toEqual([{ id: 'erp', displayName: 'erp', icon: null, versions: [1, 2] }]);
  });

  it('sets the status of a built-in version too', async () => {
    const answer = await setStatus(hub, 1, 'deprecated', BUILTIN);
    expect(answer.body).toMatchObject({ id: BUILTIN, version: 1, status: 'deprecated' });
    expect((await hub.admin('GET', `/actions/${BUILTIN}`)).body.versions[0]).toMatchObject({ builtin: true, status: 'deprecated' });
    expect((await setStatus(hub, 1, 'active', BUILTIN)).body.status).toBe('active');
  });

  it('answers 404 for an unknown action or version, 400 for a bad status', async () => {
    expectExactError(await setStatus(hub, 1, 'deprecated', '@test:Nothing:get'), 404, 'NotFound', 'unknown action "@test:Nothing:get"');
    expectExactError(await setStatus(hub, 9, 'deprecated'), 404, 'NotFound', `action "${REPORT}" has no version 9`);
    expectExactError(await setStatus(hub, 1, 'gone'), 400, 'InvalidRequest', 'status must be one of active, deprecated, retired', {
      // Body pointers point into the body, as for every admin body (admin-keys.test.ts).
      details: [{ pointer: '/status', message: 'must be one of active, deprecated, retired' }],
    });
  });

  it('records each change of status in the change trail, before and after', async () => {
    const answer = await hub.admin('GET', `/changes?kind=action.status&target=${encodeURIComponent(REPORT)}`);
    const made = answer.body.items.filter((c: { outcome: string }) => c.outcome === 'ok');
    // Newest first: the last one made version 1 active again, after it was retired.
    expect(made[0]).toMatchObject({
      method: 'PATCH',
      route: '/v1/admin/actions/:action/versions/:version',
      kind: 'action.status',
      target: REPORT,
      targets: { action: REPORT, version: '2' },
      before: { status: 'retired' },
      after: { status: 'active' },
      status: 200,
    });
    const refused = answer.body.items.find((c: { outcome: string }) => c.outcome !== 'ok');
    expect(refused).toMatchObject({ status: 400, outcome: 'InvalidRequest', before: null, after: null });
  });
});

const DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

describe.skipIf(DATABASE_URL === undefined)('action version status on PostgreSQL', () => {
  const schema = `versions_status_${randomUUID().replace(/-/g, '')}`;
  let first: TestHub;
  let second: TestHub;
  let provider: TestServer;

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, { ok: true }));
    first = await startHub({}, undefined, { databaseUrl: DATABASE_URL, pgSchema: schema });
    second = await startHub({}, undefined, { databaseUrl: DATABASE_URL, pgSchema: schema });
  }, 60_000);

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await provider?.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  it('shows the status set on one hub process on the other, after its notice', async () => {
    const viewer = await setUp(first, provider.url);
    const callOn = (hub: TestHub, version: number) =>
      hub.send('POST', `/v1/services/call/${REPORT}/erp?version=${version}`, {
        headers: { authorization: `Bearer ${viewer}`, 'x-community-id': 'school-a' },
        body: {},
      });
    // The second process has the apps and actions once the first one's notices reach it.
    await until(async () => (await callOn(second, 1)).status === 200, 10_000, 'the second hub knows the apps');

    const deprecated = await setStatus(first, 1, 'deprecated');
    const header = `@${Math.floor((deprecated.body.statusChangedAt as number) / 1000)}`;
    await until(async () => (await callOn(second, 1)).headers.deprecation === header, 10_000, 'the second hub sees the deprecation');
    expect((await second.admin('GET', `/actions/${REPORT}`)).body.versions[0]).toMatchObject({ status: 'deprecated' });

    expect((await setStatus(first, 1, 'retired')).status).toBe(200);
    await until(async () => (await callOn(second, 1)).status === 404, 10_000, 'the second hub sees the retirement');
    expectExactError(await callOn(second, 1), 404, 'NotFound', `version 1 of "${REPORT}" is retired; use version 2`);
  }, 60_000);
});
