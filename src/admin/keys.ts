/** Operator routes of admin keys: create (the key shown once), list (never a secret), revoke. */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.js';
import { issueToken } from '../registry/credentials.js';
import type { AdminStore } from '../store/store.js';
import { HUB_ERROR_KEYWORD, MILLIS, answerSchema, opaqueIdSchema, pathParams } from '../http/route-schemas.js';
import { ADMIN_SCOPES, type AdminKeyRecord, type AdminScope } from './admin-keys.js';
import { noteChange } from './change-trail.js';

export type KeyRoutesDeps = { store: Pick<AdminStore, 'insertAdminKey' | 'listAdminKeys' | 'revokeAdminKey'> };

const keyView = ({ id, name, scope, createdAt, revokedAt }: AdminKeyRecord) => ({ id, name, scope, createdAt, revokedAt });

const KEY_BODY = {
  type: 'object',
  required: ['name', 'scope'],
  additionalProperties: false,
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'Who or what holds the key, shown in the change trail.',
      [HUB_ERROR_KEYWORD]: { error: 'name must be a string of 1 to 200 characters', message: 'must be a string of 1 to 200 characters' },
    },
    scope: {
      enum: [...ADMIN_SCOPES],
      description: '`read` (every GET), `operate` (installations, approvals, replays, tokens, secrets, subscriptions) or `admin` (everything).',
      [HUB_ERROR_KEYWORD]: { error: `scope must be one of ${ADMIN_SCOPES.join(', ')}`, message: `must be one of ${ADMIN_SCOPES.join(', ')}` },
    },
  },
};

const KEY_PROPERTIES = {
  id: { type: 'string' },
  name: { type: 'string' },
  scope: { enum: [...ADMIN_SCOPES] },
  createdAt: MILLIS,
};
const KEY = answerSchema('An admin key, without its secret.', { ...KEY_PROPERTIES, revokedAt: { type: ['integer', 'null'] } });
const CREATED_KEY = answerSchema('The admin key, shown once: keep `key`, the hub stores only a hash of it.', {
  ...KEY_PROPERTIES,
  key: { type: 'string', examples: ['hub_admin_3f9a2c71d04e8b65_Q2xZ7mJp0bT5vR8sLkN1wXc4HdYgUe6iAoF3qS9rVtM'] },
});

export function keyRoutes(deps: KeyRoutesDeps) {
  return function routes(app: FastifyInstance): void {
    app.get(
      '/keys',
      {
        schema: { response: { 200: { type: 'array', items: KEY } } },
        config: { adminScope: 'read', openapi: { summary: 'The admin keys, revoked ones included, without their secrets.' } },
      },
      async () => (await deps.store.listAdminKeys()).map(keyView),
    );

    app.post<{ Body: { name: string; scope: AdminScope } }>(
      '/keys',
      {
        schema: { body: KEY_BODY, response: { 201: CREATED_KEY } },
        config: {
          changeKind: 'key.create',
          openapi: { summary: 'Creates an admin key with a scope; the key is shown once.', success: { status: 201, description: 'The key.' } },
        },
      },
      async (request, reply) => {
        const issued = issueToken('hub_admin');
        const record: AdminKeyRecord = {
          id: issued.id,
          name: request.body.name,
          scope: request.body.scope,
          hash: issued.hash,
          createdAt: Date.now(),
          revokedAt: null,
        };
        await deps.store.insertAdminKey(record);
        noteChange(request, { target: record.id, targets: { key: record.id }, after: { name: record.name, scope: record.scope } });
        const { revokedAt: _, ...view } = keyView(record);
        return reply.code(201).send({ ...view, key: issued.token });
      },
    );

    app.delete<{ Params: { keyId: string } }>(
      '/keys/:keyId',
      {
        schema: { params: pathParams({ keyId: opaqueIdSchema('admin key') }) },
        config: {
          changeKind: 'key.revoke',
          openapi: { summary: 'Revokes an admin key, from its next request on.', errors: ['NotFound'], success: { status: 204, description: 'Revoked.' } },
        },
      },
      async (request, reply) => {
        const id = request.params.keyId;
        if (!(await deps.store.revokeAdminKey(id, Date.now()))) throw notFound(`no active admin key "${id.slice(0, 100)}"`);
        return reply.code(204).send();
      },
    );
  };
}
