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
import { idParam } from './params.js';

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
    ...(endsAt !== undefined && app.previousSigningSecret !== null && { previousSigningSecret: app.previousSigningSecret, previousSigningSecretExpiresAt: endsAt }),
  };
}

export function appRoutes(deps: AppRoutesDeps) {
  const getApp = (appId: string): AppRecord => {
    const app = deps.registry.current.apps.get(appId);
    if (app === undefined) throw notFound(`no app "${appId}"`);
    return app;
  };
  const tokensOf = async (appId: string) => (await deps.store.listTokens()).filter((t) => t.appId === appId);

  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/apps', async () => {
      const tokens = await deps.store.listTokens();
      return [...deps.registry.current.apps.values()]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((a) => appView(a, tokens.filter((t) => t.appId === a.id)));
    });

    app.get('/apps/:appId', async (request) => {
      const found = getApp(idParam(request, 'appId', 'app'));
      return appView(found, await tokensOf(found.id));
    });

    app.put('/apps/:appId', async (request, reply) => {
      const appId = idParam(request, 'appId', 'app');
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
      return reply.code(existing ? 200 : 201).send(appView(record, await tokensOf(appId)));
    });

    app.post('/apps/:appId/tokens', async (request, reply) => {
      const appId = getApp(idParam(request, 'appId', 'app')).id;
      const body = (request.body ?? {}) as { label?: unknown };
      if (typeof body !== 'object' || (body.label !== undefined && (typeof body.label !== 'string' || body.label.length > 200))) {
        throw invalidRequest('the body may only hold a label, a string of at most 200 characters', [{ pointer: '/label', message: 'must be a string of at most 200 characters' }]);
      }
      const issued = issueToken();
      await deps.store.insertToken({ id: issued.id, appId, hash: issued.hash, label: (body.label as string | undefined) ?? null, createdAt: Date.now(), revokedAt: null });
      await deps.reloadEverywhere();
      return reply.code(201).send({ id: issued.id, token: issued.token });
    });

    app.delete('/apps/:appId/tokens/:tokenId', async (request, reply) => {
      const appId = getApp(idParam(request, 'appId', 'app')).id;
      const tokenId = (request.params as { tokenId: string }).tokenId;
      if (!(await deps.store.revokeToken(appId, tokenId, Date.now()))) throw notFound(`app "${appId}" has no active token "${tokenId.slice(0, 100)}"`);
      await deps.reloadEverywhere();
      return reply.code(204).send();
    });

    app.get('/apps/:appId/secrets', async (request) => secretsView(getApp(idParam(request, 'appId', 'app')), Date.now()));

    app.post('/apps/:appId/secrets/rotate', async (request) => {
      const current = getApp(idParam(request, 'appId', 'app'));
      const now = Date.now();
      const fresh = { secret: generateLegacySecret(), signingSecret: generateSigningSecret() };
      const rotated = rotateSecrets(current, fresh, now, deps.config.secretOverlapMs);
      await deps.store.putApp(rotated);
      await deps.reloadEverywhere();
      return secretsView(rotated, now);
    });
  };
}
