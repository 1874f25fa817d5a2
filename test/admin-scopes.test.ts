/**
 * The whole route × scope matrix of the admin API, generated from /openapi.json: every admin
 * operation the document lists (so a new route is in it without touching this file) is asked with
 * no key, a revoked key, and a key of each scope, and must answer 401, 401, 403 below its scope and,
 * from its scope up, exactly what HUB_ADMIN_TOKEN is answered (the community the routes name exists,
 * so that asking again answers the same). The scope each operation declares is checked against the
 * policy: reads need `read` (the apps' secrets `operate`), the day-to-day writes `operate`,
 * everything else `admin`, the default of a route that declares nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SCOPES, type AdminScope } from '../src/admin/admin-keys.js';
import { startHub, type TestHub } from './support/hub.js';
import { expectError, expectExactError } from './support/errors.js';

/** The writes an `operate` key may make: installations, approvals, replays, tokens, secret
 * rotation, subscriptions, and the communities they happen in. */
const OPERATE_WRITES = new Set([
  'PUT /v1/admin/communities/{community}',
  'PUT /v1/admin/communities/{community}/installations/{appId}',
  'DELETE /v1/admin/communities/{community}/installations/{appId}',
  'POST /v1/admin/communities/{community}/installations/{appId}/approve',
  'POST /v1/admin/communities/{community}/installations/{appId}/subscriptions/{action}/enable',
  'POST /v1/admin/deliveries/{deliveryId}/replay',
  'POST /v1/admin/communities/{community}/installations/{appId}/subscriptions/{action}/test',
  'POST /v1/admin/apps/{appId}/tokens',
  'DELETE /v1/admin/apps/{appId}/tokens/{tokenId}',
  'POST /v1/admin/apps/{appId}/secrets/rotate',
]);

function policy(method: string, path: string): AdminScope {
  if (method === 'GET') return path.endsWith('/secrets') ? 'operate' : 'read';
  return OPERATE_WRITES.has(`${method} ${path}`) ? 'operate' : 'admin';
}

/** A value for each path parameter the admin routes take, valid for its schema. */
const PARAM_VALUES: Record<string, string> = {
  appId: 'matrix-app',
  community: 'matrix-community',
  action: '@acme:Matrix:get',
  version: '1',
};

const REVOKED_OR_WRONG = 'the admin token is wrong, or the admin key is unknown or revoked';

describe('admin route × scope matrix', () => {
  let hub: TestHub;
  const keys = {} as Record<AdminScope | 'revoked', { id: string; key: string; name: string }>;
  let operations: Array<{ method: string; path: string; url: string; scope: AdminScope; operation: Record<string, unknown> }>;

  beforeAll(async () => {
    hub = await startHub();
    for (const scope of [...ADMIN_SCOPES, 'revoked'] as const) {
      const created = await hub.admin('POST', '/keys', { name: `matrix ${scope}`, scope: scope === 'revoked' ? 'admin' : scope });
      keys[scope] = created.body;
    }
    expect((await hub.admin('DELETE', `/keys/${keys.revoked.id}`)).status).toBe(204);
    expect((await hub.admin('PUT', `/communities/${PARAM_VALUES.community}`)).status).toBe(201);
    const doc = (await hub.send('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Record<string, unknown>>> };
    operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/admin'))
      .flatMap(([path, item]) =>
        Object.entries(item).map(([method, operation]) => ({
          method: method.toUpperCase(),
          path,
          url: path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => encodeURIComponent(PARAM_VALUES[name] ?? 'matrix-none')),
          scope: operation['x-admin-scope'] as AdminScope,
          operation,
        })),
      );
  });
  afterAll(() => hub.close());

  it('lists every admin operation with the scope of the policy, in x-admin-scope and its description', () => {
    expect(operations.length).toBeGreaterThanOrEqual(25);
    for (const { method, path, scope, operation } of operations) {
      expect({ operation: `${method} ${path}`, scope }).toEqual({ operation: `${method} ${path}`, scope: policy(method, path) });
      expect(operation.description).toContain(`\`${scope}\` scope`);
      expect((operation.responses as Record<string, unknown>)['403']).toEqual({ $ref: '#/components/responses/Forbidden' });
    }
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining(['GET /v1/admin/keys', 'POST /v1/admin/keys', 'DELETE /v1/admin/keys/{keyId}', 'GET /v1/admin/changes']),
    );
  });

  it('answers every operation as its scope says, for no key, a revoked key and each scope', async () => {
    const seen: string[] = [];
    for (const { method, path, url, scope } of operations) {
      const body = method === 'PUT' || method === 'POST' ? {} : undefined;
      const label = `${method} ${path}`;
      // Deleting the community would leave the other keys a 404: it is put back after each ask.
      const restore = async () => {
        if (label === 'DELETE /v1/admin/communities/{community}') await hub.admin('PUT', `/communities/${PARAM_VALUES.community}`);
      };
      const bootstrap = await hub.admin(method, url.slice('/v1/admin'.length), body);
      await restore();
      const none = await hub.send(method, url, { body });
      expectExactError(none, 401, 'Unauthorized', 'no admin token: send Authorization: Bearer <admin token or admin key>');
      const revoked = await hub.send(method, url, { headers: { authorization: `Bearer ${keys.revoked.key}` }, body });
      expectExactError(revoked, 401, 'Unauthorized', REVOKED_OR_WRONG);
      for (const held of ADMIN_SCOPES) {
        const answer = await hub.send(method, url, { headers: { authorization: `Bearer ${keys[held].key}` }, body });
        await restore();
        const allowed = ADMIN_SCOPES.indexOf(held) >= ADMIN_SCOPES.indexOf(scope);
        if (!allowed) {
          expectExactError(
            answer,
            403,
            'Forbidden',
            `this route needs an admin key with the "${scope}" scope; the key "${keys[held].name}" (${keys[held].id}) has the "${held}" scope`,
          );
        } else {
          expect({ label, held, status: answer.status, type: answer.body?.type }).toEqual({
            label,
            held,
            status: bootstrap.status,
            type: bootstrap.body?.type,
          });
          expect([401, 403]).not.toContain(answer.status);
          if (answer.status >= 400) expectError(answer, answer.status, answer.body.type);
        }
        seen.push(`${label} ${held} ${answer.status}`);
      }
    }
    expect(seen).toHaveLength(operations.length * ADMIN_SCOPES.length);
  });

  it('applies the scopes to HEAD and to the routes without the /v1 prefix too', async () => {
    const read = { authorization: `Bearer ${keys.read.key}` };
    expect((await hub.send('HEAD', '/v1/admin/apps', { headers: read })).status).toBe(200);
    expect((await hub.send('HEAD', '/v1/admin/apps')).status).toBe(401);
    expect((await hub.send('GET', '/admin/apps', { headers: read })).status).toBe(200);
    expectExactError(
      await hub.send('PUT', '/admin/apps/matrix-app', { headers: read, body: {} }),
      403,
      'Forbidden',
      `this route needs an admin key with the "admin" scope; the key "matrix read" (${keys.read.id}) has the "read" scope`,
    );
  });
});
