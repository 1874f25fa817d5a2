/** The operator API over HTTP: catalogue, apps, tokens, secrets, communities, installations. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { expectError } from './support/errors.js';

const ACTION = '@acme:billing:Invoices:getRelated';
const definition = (extra: Record<string, unknown> = {}) => ({
  kind: 'request',
  title: 'Invoices of a user',
  dataSchema: { type: 'object', required: ['user'], properties: { user: { type: 'object', properties: { id: { type: 'string' } } } } },
  responseSchema: { type: 'object', properties: { result: { type: 'array', items: { type: 'object', properties: { total: { type: 'number' } } } } } },
  ...extra,
});

describe('admin API', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(() => hub.close());

  it('refuses a missing or wrong admin token, in the common error format', async () => {
    const none = await hub.send('GET', '/v1/admin/apps');
    expectError(none, 401, 'Unauthorized');
    expectError(await hub.send('GET', '/v1/admin/apps', { headers: { authorization: 'Bearer nope' } }), 401, 'Unauthorized');
  });

  describe('catalogue', () => {
    it('lists the built-in Layers catalogue with versions and schemas', async () => {
      const list = await hub.admin('GET', '/actions');
      expect(list.status).toBe(200);
      const grades = list.body.find((a: { id: string }) => a.id === '@layers:education:GradeBooks:getRelated');
      expect(grades.kind).toBe('request');
      expect(grades.versions[0]).toMatchObject({ version: 1, builtin: true, dataSchema: expect.any(Object), responseSchema: expect.any(Object) });
      const one = await hub.admin('GET', `/actions/${encodeURIComponent('@layers:education:Entrance:created')}`);
      expect(one.body.kind).toBe('event');
      expectError(await hub.admin('GET', '/actions/@nobody:Nothing:get'), 404, 'NotFound');
    });

    it('creates (201), replaces compatibly (200), and refuses an incompatible replacement (409) unless forced', async () => {
      expect((await hub.admin('PUT', `/actions/${ACTION}/versions/1`, definition())).status).toBe(201);
      const described = definition({ description: 'Now with a description' });
      (described.dataSchema as { properties: Record<string, unknown> }).properties.since = { type: 'string', format: 'date' };
      expect((await hub.admin('PUT', `/actions/${ACTION}/versions/1`, described)).status).toBe(200);

      const breaking = definition();
      (breaking.dataSchema as { properties: { user: { properties: { id: unknown } } } }).properties.user.properties.id = { type: 'integer' };
      const refused = await hub.admin('PUT', `/actions/${ACTION}/versions/1`, breaking);
      expectError(refused, 409, 'Conflict');
      expect(refused.body.details.map((d: { pointer: string }) => d.pointer)).toContain('/data/user/id');
      expect((await hub.admin('GET', `/actions/${ACTION}`)).body.versions[0].description).toBe('Now with a description');

      expect((await hub.admin('PUT', `/actions/${ACTION}/versions/1?force=true`, breaking)).status).toBe(200);
      expect((await hub.admin('PUT', `/actions/${ACTION}/versions/2`, definition())).status).toBe(201);
      expect((await hub.admin('GET', `/actions/${ACTION}`)).body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    });

    it('checks a definition and says which field is wrong', async () => {
      const pointers = async (body: unknown, path = `/actions/${ACTION}/versions/3`) => {
        const answer = await hub.admin('PUT', path, body);
        expectError(answer, 400, 'InvalidRequest');
        return answer.body.details?.map((d: { pointer: string }) => d.pointer);
      };
      expect(await pointers(definition({ dataSchema: { type: 'nonsense' } }))).toEqual(['/dataSchema/type']);
      const nested = await hub.admin(
        'PUT',
        `/actions/${ACTION}/versions/3`,
        definition({ dataSchema: { type: 'object', properties: { n: { type: 'objekt' } } } }),
      );
      expect(nested.body.details).toEqual([
        {
          pointer: '/dataSchema/properties/n/type',
          message: 'is not a valid JSON Schema (2020-12): must be one of "array", "boolean", "integer", "null", "number", "object", "string"',
        },
      ]);
      expect(await pointers(definition({ responseSchema: undefined }))).toEqual(['/responseSchema']);
      expect(await pointers(definition({ kind: 'event', coalesce: true }), '/actions/@acme:billing:Invoices:paid/versions/1')).toEqual(['/responseSchema']);
      expect(await pointers(definition({ colour: 'red' }))).toEqual(['/colour']);
      expect(await pointers(definition(), `/actions/${ACTION}/versions/zero`)).toEqual(['/path/version']);
      expect(await pointers(definition(), '/actions/not-an-id/versions/1')).toEqual(['/path/action']);
    });

    it('refuses a new version of another kind', async () => {
      const answer = await hub.admin('PUT', `/actions/${ACTION}/versions/5`, { kind: 'event', title: 'x', dataSchema: true });
      expectError(answer, 409, 'Conflict');
    });
  });

  describe('apps and credentials', () => {
    it('creates (201) and replaces (200) an app, keeping its secrets', async () => {
      const created = await hub.admin('PUT', '/apps/erp-one', {
        displayName: 'ERP One',
        services: { responds: [{ action: ACTION, reason: 'x', url: 'https://erp.example/invoices', versions: [2, 1] }] },
      });
      expect(created.status).toBe(201);
      expect(created.body.manifest.services.responds[0].versions).toEqual([1, 2]);
      const secrets = (await hub.admin('GET', '/apps/erp-one/secrets')).body;
      expect(secrets.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
      expect(secrets.secret.length).toBeGreaterThanOrEqual(32);
      const replaced = await hub.admin('PUT', '/apps/erp-one', { displayName: 'ERP One (v2)' });
      expect(replaced.status).toBe(200);
      expect((await hub.admin('GET', '/apps/erp-one')).body.manifest.displayName).toBe('ERP One (v2)');
      expect((await hub.admin('GET', '/apps/erp-one/secrets')).body).toEqual(secrets);
      expect((await hub.admin('GET', '/apps')).body.map((a: { id: string }) => a.id)).toContain('erp-one');
    });

    it('checks a write against what is committed, even when another hub process wrote it a moment ago', async () => {
      // Written straight into the store, as another hub process sharing it would, with no notice here.
      const now = Date.now();
      await hub.store.putAction({
        id: '@elsewhere:Thing:get',
        version: 1,
        kind: 'request',
        title: 'Thing',
        dataSchema: {},
        responseSchema: {},
        builtin: false,
        createdAt: now,
        updatedAt: now,
      });
      const answer = await hub.admin('PUT', '/apps/late-viewer', {
        displayName: 'Late viewer',
        services: { requests: [{ action: '@elsewhere:Thing:get', reason: 'x' }] },
      });
      expect(answer.status, answer.text).toBe(201);
    });

    it('validates manifests: known actions, right kinds, absolute http(s) URLs', async () => {
      const answer = await hub.admin('PUT', '/apps/bad', {
        displayName: 'Bad',
        services: {
          requests: [{ action: '@nobody:Nothing:get', reason: 'x' }],
          responds: [{ action: ACTION, reason: 'x', url: 'file:///etc/passwd' }],
          publishes: [{ action: ACTION, reason: 'x' }],
        },
      });
      expectError(answer, 400, 'InvalidRequest');
      expect(answer.body.details.map((d: { pointer: string }) => d.pointer)).toEqual([
        '/services/requests/0/action',
        '/services/responds/0/url',
        '/services/publishes/0/action',
      ]);
      expectError(await hub.admin('PUT', '/apps/bad%20id', { displayName: 'x' }), 400, 'InvalidRequest');
      expectError(await hub.admin('GET', '/apps/bad'), 404, 'NotFound');
    });

    it('issues tokens shown once, lists them without their value, and revokes them', async () => {
      const issued = await hub.admin('POST', '/apps/erp-one/tokens', { label: 'production' });
      expect(issued.status).toBe(201);
      expect(issued.body.token).toMatch(/^hub_[0-9a-f]{16}_/);
      const app = await hub.admin('GET', '/apps/erp-one');
      expect(app.body.tokens).toEqual([expect.objectContaining({ id: issued.body.id, label: 'production', revokedAt: null })]);
      // The secret part follows `hub_<16 hex>_`; base64url may itself hold `_`, so it is not split on.
      expect(JSON.stringify(app.body)).not.toContain((issued.body.token as string).slice('hub_0123456789abcdef_'.length));
      expect((await hub.admin('DELETE', `/apps/erp-one/tokens/${issued.body.id}`)).status).toBe(204);
      expectError(await hub.admin('DELETE', `/apps/erp-one/tokens/${issued.body.id}`), 404, 'NotFound');
      expectError(await hub.admin('POST', '/apps/nobody/tokens'), 404, 'NotFound');
    });

    it('rotates secrets with an overlap window for the old legacy and signing secrets', async () => {
      const before = (await hub.admin('GET', '/apps/erp-one/secrets')).body;
      expect(Object.keys(before).sort()).toEqual(['secret', 'signingSecret']);
      const rotated = await hub.admin('POST', '/apps/erp-one/secrets/rotate');
      expect(rotated.status).toBe(200);
      const { secret, nextSecret, nextSecretTakesEffectAt, signingSecret, previousSigningSecret, previousSigningSecretExpiresAt } = rotated.body;
      // The old legacy secret is still the one sent; the new one is announced with its date.
      expect(secret).toBe(before.secret);
      expect(nextSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(nextSecret).not.toBe(before.secret);
      expect(signingSecret).not.toBe(before.signingSecret);
      expect(previousSigningSecret).toBe(before.signingSecret);
      expect(previousSigningSecretExpiresAt).toBe(nextSecretTakesEffectAt);
      const expires = Date.parse(nextSecretTakesEffectAt) - Date.now();
      expect(expires).toBeGreaterThan(23 * 3_600_000);
      expect(expires).toBeLessThanOrEqual(24 * 3_600_000);
      expect((await hub.admin('GET', '/apps/erp-one/secrets')).body).toEqual(rotated.body);
    });
  });

  describe('communities and installations', () => {
    it('creates communities idempotently', async () => {
      expect((await hub.admin('PUT', '/communities/school-x')).status).toBe(201);
      expect((await hub.admin('PUT', '/communities/school-x')).status).toBe(200);
      expect((await hub.admin('GET', '/communities')).body).toContainEqual({ id: 'school-x' });
    });

    it('installs automatic apps at once and manual ones after approval', async () => {
      await registerApp(hub, 'auto-app', {});
      await registerApp(hub, 'manual-app', { approval: 'manual' });
      expect((await install(hub, 'school-x', 'auto-app')).body.status).toBe('installed');
      const pending = await install(hub, 'school-x', 'manual-app');
      expect(pending.status).toBe(201);
      expect(pending.body.status).toBe('pending_approval');
      expect((await hub.admin('POST', '/communities/school-x/installations/manual-app/approve')).body.status).toBe('installed');
      // Installing again what is installed changes nothing.
      expect((await install(hub, 'school-x', 'manual-app')).body.status).toBe('installed');
      const listed = await hub.admin('GET', '/communities/school-x/installations');
      expect(listed.body.map((i: { app: string; status: string }) => [i.app, i.status])).toEqual([
        ['auto-app', 'installed'],
        ['manual-app', 'installed'],
      ]);
    });

    it('uninstalls, and answers 404 for what does not exist', async () => {
      expect((await hub.admin('DELETE', '/communities/school-x/installations/auto-app')).status).toBe(204);
      expectError(await hub.admin('DELETE', '/communities/school-x/installations/auto-app'), 404, 'NotFound');
      expectError(await hub.admin('POST', '/communities/school-x/installations/auto-app/approve'), 404, 'NotFound');
      expectError(await hub.admin('PUT', '/communities/nowhere/installations/auto-app'), 404, 'NotFound');
      expectError(await hub.admin('PUT', '/communities/school-x/installations/nobody'), 404, 'NotFound');
    });
  });

  it('keeps everything across a restart on the same storage', async () => {
    const dir = hub.dir;
    const apps = (await hub.admin('GET', '/apps')).body;
    await hub.hub.close();
    await hub.store.close();
    const again = await startHub({}, dir);
    try {
      expect((await again.admin('GET', '/apps')).body).toEqual(apps);
      expect((await again.admin('GET', `/actions/${ACTION}`)).body.versions).toHaveLength(2);
      expect((await again.admin('GET', '/communities/school-x/installations')).body).toHaveLength(2);
    } finally {
      hub = again;
    }
  });
});
