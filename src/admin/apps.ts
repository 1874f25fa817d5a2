/** Operator routes of apps: manifests, tokens, secrets. Secrets leave the hub only here. */
import type { FastifyInstance } from 'fastify';
import { invalidRequest, notFound } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import type { HubConfig } from '../config.js';
import type { RegistryStore } from '../store/store.js';
import { rotateSecrets, secretsInEffect } from '../registry/app-secrets.js';
import { issueToken } from '../registry/credentials.js';
import { validateManifest } from '../registry/manifest.js';
import type { AppRecord, TokenRecord } from '../registry/types.js';
import { generateLegacySecret, generateSigningSecret } from '../relay/signing.js';
import { HUB_ERROR_KEYWORD, MILLIS, answerSchema, idSchema, opaqueIdSchema, pathParams } from '../http/route-schemas.js';
import type { RouteDoc } from '../openapi/hub-openapi.js';
import { noteChange } from './change-trail.js';

export type AppRoutesDeps = Pick<HubDeps, 'catalog' | 'registry' | 'outbound' | 'reloadEverywhere'> & {
  config: Pick<HubConfig, 'secretOverlapMs'>;
  store: RegistryStore;
};

const appView = (app: AppRecord, tokens: TokenRecord[]) => ({
  id: app.id,
  manifest: app.manifest,
  tokens: tokens.map(({ id, label, createdAt, revokedAt }) => ({ id, label, createdAt, revokedAt })),
  createdAt: app.createdAt,
  updatedAt: app.updatedAt,
});

/** The secrets an operator hands to the app: the legacy secret sent now and, during the overlap
 * after a rotation, the one that follows with the time it takes effect; the signing secrets signed
 * with (the previous one until the same time). */
function secretsView(app: AppRecord, now: number) {
  const { legacySecret, nextLegacySecret, overlapEndsAt } = secretsInEffect(app, now);
  const endsAt = overlapEndsAt === null ? undefined : new Date(overlapEndsAt).toISOString();
  return {
    secret: legacySecret,
    ...(nextLegacySecret !== null && { nextSecret: nextLegacySecret, nextSecretTakesEffectAt: endsAt }),
    signingSecret: app.signingSecret,
    ...(endsAt !== undefined &&
      app.previousSigningSecret !== null && { previousSigningSecret: app.previousSigningSecret, previousSigningSecretExpiresAt: endsAt }),
  };
}

const TOKEN_ERROR = { error: 'the body may only hold a label, a string of at most 200 characters', message: 'must be a string of at most 200 characters' };

/** A token's body: nothing, or an object with an optional label. */
const TOKEN_BODY = {
  type: ['object', 'null'],
  properties: {
    label: { type: 'string', maxLength: 200, description: 'What the token is for, shown with it.', [HUB_ERROR_KEYWORD]: TOKEN_ERROR },
  },
  [HUB_ERROR_KEYWORD]: TOKEN_ERROR,
};

/** An app's manifest, described only: validateManifest checks it, with the catalogue at hand. */
const MANIFEST_BODY = {
  description: 'The app manifest (see the SPEC): displayName, services.requests, responds, publishes and subscribes, approval.',
  examples: [{ displayName: 'Student Viewer', services: { requests: [{ action: '@layers:education:GradeBooks:getRelated', reason: 'show grades' }] } }],
};

const APP_VIEW = answerSchema('An app.', {
  id: { type: 'string' },
  manifest: { type: 'object', additionalProperties: true },
  tokens: {
    type: 'array',
    items: answerSchema('A token, without its value.', {
      id: { type: 'string' },
      label: { type: ['string', 'null'] },
      createdAt: MILLIS,
      revokedAt: { type: ['integer', 'null'] },
    }),
  },
  createdAt: MILLIS,
  updatedAt: MILLIS,
});
const PUT_APP_DOC: RouteDoc = {
  summary: 'Registers or replaces an app from its manifest; its secrets are kept.',
  success: { status: 201, description: 'Registered: the app.', schema: APP_VIEW },
  otherSuccess: [{ status: 200, description: 'Replaced: the app.' }],
};
const PUT_APP_CONFIG = { changeKind: 'app.put', openapi: PUT_APP_DOC };
const ISSUED_TOKEN = answerSchema('The token, shown once.', {
  id: { type: 'string' },
  token: { type: 'string', examples: ['hub_9d00bc004042ba40_Z9NXjlIPW-_uHU9lf_sM71l4c3fCDnMg3ltPz1vZyag'] },
});
const SECRETS = answerSchema(
  'The secrets: the legacy one sent as `secret` and the Standard Webhooks signing one, always; during an overlap, the next and previous ones.',
  {
    secret: { type: 'string' },
    nextSecret: { type: 'string' },
    nextSecretTakesEffectAt: { type: 'string', format: 'date-time' },
    signingSecret: { type: 'string', pattern: '^whsec_' },
    previousSigningSecret: { type: 'string' },
    previousSigningSecretExpiresAt: { type: 'string', format: 'date-time' },
  },
  // None listed as required: the serializer writes required properties first, out of order.
  [],
);

export function appRoutes(deps: AppRoutesDeps) {
  const getApp = (appId: string): AppRecord => {
    const app = deps.registry.current.apps.get(appId);
    if (app === undefined) throw notFound(`no app "${appId}"`);
    return app;
  };
  const tokensOf = async (appId: string) => (await deps.store.listTokens()).filter((t) => t.appId === appId);

  return function routes(app: FastifyInstance): void {
    const appParams = { params: pathParams({ appId: idSchema('app') }) };
    type AppParams = { Params: { appId: string } };
    app.get(
      '/apps',
      {
        config: {
          adminScope: 'read',
          openapi: {
            summary: 'Every app, with its manifest and tokens (without their values).',
            success: { status: 200, description: 'The apps.', schema: { type: 'array', items: APP_VIEW } },
          },
        },
      },
      async () => {
        const tokens = await deps.store.listTokens();
        return [...deps.registry.current.apps.values()]
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .map((a) =>
            appView(
              a,
              tokens.filter((t) => t.appId === a.id),
            ),
          );
      },
    );

    app.get<AppParams>(
      '/apps/:appId',
      {
        schema: appParams,
        config: {
          adminScope: 'read',
          openapi: { summary: 'An app.', errors: ['NotFound'], success: { status: 200, description: 'The app.', schema: APP_VIEW } },
        },
      },
      async (request) => {
        const found = getApp(request.params.appId);
        return appView(found, await tokensOf(found.id));
      },
    );

    // The manifest is checked by validateManifest (its domain rules need the catalogue); the route
    // schema only describes it.
    app.put<AppParams>('/apps/:appId', { schema: { ...appParams, body: MANIFEST_BODY }, config: PUT_APP_CONFIG }, async (request, reply) => {
      const appId = request.params.appId;
      const result = validateManifest(appId, request.body, deps.catalog.current, deps.outbound.policy);
      if ('problems' in result) throw invalidRequest('the manifest is not valid', result.problems);
      const existing = deps.registry.current.apps.get(appId);
      const now = Date.now();
      const record: AppRecord = existing
        ? { ...existing, manifest: result.manifest, updatedAt: now }
        : {
            id: appId,
            manifest: result.manifest,
            secret: generateLegacySecret(),
            previousSecret: null,
            signingSecret: generateSigningSecret(),
            previousSigningSecret: null,
            previousSecretsExpireAt: null,
            createdAt: now,
            updatedAt: now,
          };
      await deps.store.putApp(record);
      await deps.reloadEverywhere();
      noteChange(request, { before: existing?.manifest ?? null, after: record.manifest });
      return reply.code(existing ? 200 : 201).send(appView(record, await tokensOf(appId)));
    });

    app.delete<AppParams>(
      '/apps/:appId',
      {
        schema: appParams,
        config: {
          adminScope: 'admin',
          changeKind: 'app.delete',
          openapi: {
            summary: 'Deletes an app: its installations are removed, its pending deliveries cancelled and its tokens revoked; its audit history stays.',
            errors: ['NotFound'],
            success: { status: 204, description: 'Deleted.' },
          },
        },
      },
      async (request, reply) => {
        const existing = getApp(request.params.appId);
        const appId = existing.id;
        noteChange(request, { before: existing.manifest, after: null });
        // Another process may have deleted it since the snapshot was read.
        if (!(await deps.store.deleteApp(appId, Date.now()))) throw notFound(`no app "${appId}"`);
        await deps.reloadEverywhere();
        return reply.code(204).send();
      },
    );

    app.post<AppParams & { Body: { label?: string } | null | undefined }>(
      '/apps/:appId/tokens',
      {
        schema: { ...appParams, body: TOKEN_BODY, response: { 201: ISSUED_TOKEN } },
        config: {
          adminScope: 'operate',
          changeKind: 'token.issue',
          openapi: { summary: 'Issues a token; its value is shown once.', errors: ['NotFound'], success: { status: 201, description: 'The token.' } },
        },
      },
      async (request, reply) => {
        const appId = getApp(request.params.appId).id;
        const issued = issueToken();
        await deps.store.insertToken({ id: issued.id, appId, hash: issued.hash, label: request.body?.label ?? null, createdAt: Date.now(), revokedAt: null });
        await deps.reloadEverywhere();
        noteChange(request, { target: issued.id, targets: { token: issued.id } });
        return reply.code(201).send({ id: issued.id, token: issued.token });
      },
    );

    const tokenParams = { params: pathParams({ appId: idSchema('app'), tokenId: opaqueIdSchema('token') }) };
    app.delete<{ Params: { appId: string; tokenId: string } }>(
      '/apps/:appId/tokens/:tokenId',
      {
        schema: tokenParams,
        config: {
          adminScope: 'operate',
          changeKind: 'token.revoke',
          openapi: { summary: 'Revokes a token.', errors: ['NotFound'], success: { status: 204, description: 'Revoked.' } },
        },
      },
      async (request, reply) => {
        const appId = getApp(request.params.appId).id;
        const tokenId = request.params.tokenId;
        if (!(await deps.store.revokeToken(appId, tokenId, Date.now()))) throw notFound(`app "${appId}" has no active token "${tokenId.slice(0, 100)}"`);
        await deps.reloadEverywhere();
        return reply.code(204).send();
      },
    );

    app.get<AppParams>(
      '/apps/:appId/secrets',
      {
        schema: { ...appParams, response: { 200: SECRETS } },
        config: { adminScope: 'operate', openapi: { summary: 'The secrets the hub signs and sends with.', errors: ['NotFound'] } },
      },
      (request) => secretsView(getApp(request.params.appId), Date.now()),
    );

    app.post<AppParams>(
      '/apps/:appId/secrets/rotate',
      {
        schema: { ...appParams, response: { 200: SECRETS } },
        config: {
          adminScope: 'operate',
          changeKind: 'secrets.rotate',
          openapi: { summary: 'Rotates the secrets; the old ones stay valid for HUB_SECRET_OVERLAP.', errors: ['NotFound'] },
        },
      },
      async (request) => {
        const current = getApp(request.params.appId);
        const now = Date.now();
        const fresh = { secret: generateLegacySecret(), signingSecret: generateSigningSecret() };
        const rotated = rotateSecrets(current, fresh, now, deps.config.secretOverlapMs);
        await deps.store.putApp(rotated);
        await deps.reloadEverywhere();
        return secretsView(rotated, now);
      },
    );
  };
}
