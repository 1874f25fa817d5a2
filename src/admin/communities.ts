/** Operator routes of communities and installations. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { conflict, notFound } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import type { OutboxStore, RegistryStore } from '../store/store.js';
import type { InstallationRecord, InstallationStatus } from '../registry/types.js';
import { HUB_ERROR_KEYWORD, MILLIS, answerSchema, idSchema, pathParams, queryParams } from '../http/route-schemas.js';
import type { RouteDoc } from '../openapi/hub-openapi.js';
import { noteChange } from './change-trail.js';

export type CommunityRoutesDeps = Pick<HubDeps, 'registry' | 'reloadEverywhere'> & { store: RegistryStore & Pick<OutboxStore, 'cancelPendingDeliveries'> };

const installationView = (i: InstallationRecord) => ({
  community: i.communityId,
  app: i.appId,
  status: i.status,
  createdAt: i.createdAt,
  updatedAt: i.updatedAt,
});

const communityParams = { params: pathParams({ community: idSchema('community') }) };
const installationParams = { params: pathParams({ community: idSchema('community'), appId: idSchema('app') }) };
type InstallationParams = { community: string; appId: string };

const COMMUNITY = answerSchema('A community.', { id: { type: 'string' } });
const INSTALLATION = answerSchema('An installation of an app in a community.', {
  community: { type: 'string' },
  app: { type: 'string' },
  status: { enum: ['pending_approval', 'installed', 'uninstalled'] },
  createdAt: MILLIS,
  updatedAt: MILLIS,
});
const INSTALL_DOC: RouteDoc = {
  summary: 'Installs an app in a community: at once, or pending approval when its manifest asks for it.',
  errors: ['NotFound'],
  success: { status: 201, description: 'Installed (or pending approval).' },
  otherSuccess: [{ status: 200, description: 'It was installed already, or is installed again.' }],
};

const DELETE_COMMUNITY_QUERY = queryParams({
  force: {
    type: 'boolean',
    default: false,
    description: 'Uninstall the apps installed in it first (their pending deliveries there are cancelled).',
    [HUB_ERROR_KEYWORD]: { error: 'force must be true or false', message: 'must be true or false' },
  },
});
const DELETE_COMMUNITY_DOC: RouteDoc = {
  summary: 'Deletes a community; refused while apps are installed in it, unless force=true uninstalls them first.',
  errors: ['NotFound', 'Conflict'],
  success: { status: 204, description: 'Deleted.' },
};

export function communityRoutes(deps: CommunityRoutesDeps) {
  const target = (request: FastifyRequest<{ Params: InstallationParams }>) => {
    const { community: communityId, appId } = request.params;
    const registry = deps.registry.current;
    if (!registry.communities.has(communityId)) throw notFound(`no community "${communityId}"`);
    const app = registry.apps.get(appId);
    if (app === undefined) throw notFound(`no app "${appId}"`);
    return { communityId, app, existing: registry.installation(communityId, appId) };
  };

  /** Stores the installation, noting it for the change trail with what it was before. */
  const save = async (request: FastifyRequest, installation: InstallationRecord, existing: InstallationRecord | undefined) => {
    await deps.store.putInstallation(installation);
    await deps.reloadEverywhere();
    const view = installationView(installation);
    noteChange(request, { before: existing === undefined ? null : installationView(existing), after: view });
    return view;
  };

  return function routes(app: FastifyInstance): void {
    app.get(
      '/communities',
      {
        schema: { response: { 200: { type: 'array', items: COMMUNITY } } },
        config: { adminScope: 'read', openapi: { summary: 'Every community.', success: { status: 200, description: 'The communities.' } } },
      },
      () => [...deps.registry.current.communities].sort().map((id) => ({ id })),
    );

    app.put<{ Params: { community: string } }>(
      '/communities/:community',
      {
        schema: { ...communityParams, response: { 200: COMMUNITY, 201: COMMUNITY } },
        config: {
          adminScope: 'operate',
          changeKind: 'community.put',
          openapi: {
            summary: 'Creates a community (idempotent).',
            success: { status: 201, description: 'Created.' },
            otherSuccess: [{ status: 200, description: 'It existed.' }],
          },
        },
      },
      async (request, reply) => {
        const id = request.params.community;
        const created = await deps.store.putCommunity({ id, createdAt: Date.now() });
        if (created) await deps.reloadEverywhere();
        return reply.code(created ? 201 : 200).send({ id });
      },
    );

    app.delete<{ Params: { community: string }; Querystring: { force: boolean } }>(
      '/communities/:community',
      {
        schema: { ...communityParams, querystring: DELETE_COMMUNITY_QUERY },
        config: { adminScope: 'admin', changeKind: 'community.delete', openapi: DELETE_COMMUNITY_DOC },
      },
      async (request, reply) => {
        const id = request.params.community;
        const registry = deps.registry.current;
        if (!registry.communities.has(id)) throw notFound(`no community "${id}"`);
        // Pending approval counts: approving it later would install an app in a community gone.
        const held = [...registry.installations.values()].filter((i) => i.communityId === id && i.status !== 'uninstalled');
        if (held.length > 0 && !request.query.force) {
          throw conflict(
            `community "${id}" has apps installed: ${held.map((i) => i.appId).join(', ')}; uninstall them first, or delete with ?force=true`,
            held.map((i) => ({ app: i.appId, status: i.status })),
          );
        }
        if (!(await deps.store.deleteCommunity(id, Date.now()))) throw notFound(`no community "${id}"`);
        await deps.reloadEverywhere();
        return reply.code(204).send();
      },
    );

    app.get<{ Params: { community: string } }>(
      '/communities/:community/installations',
      {
        schema: { ...communityParams, response: { 200: { type: 'array', items: INSTALLATION } } },
        config: { adminScope: 'read', openapi: { summary: 'The installations of a community.', errors: ['NotFound'] } },
      },
      (request) => {
        const id = request.params.community;
        const registry = deps.registry.current;
        if (!registry.communities.has(id)) throw notFound(`no community "${id}"`);
        return [...registry.installations.values()].filter((i) => i.communityId === id).map(installationView);
      },
    );

    app.put<{ Params: InstallationParams }>(
      '/communities/:community/installations/:appId',
      {
        schema: { ...installationParams, response: { 200: INSTALLATION, 201: INSTALLATION } },
        config: { adminScope: 'operate', changeKind: 'installation.put', openapi: INSTALL_DOC },
      },
      async (request, reply) => {
        const { communityId, app: installed, existing } = target(request);
        const now = Date.now();
        // Installing again what is installed changes nothing; otherwise manual apps wait for approval.
        const status: InstallationStatus = existing?.status === 'installed' || installed.manifest.approval === 'automatic' ? 'installed' : 'pending_approval';
        const view = await save(request, { communityId, appId: installed.id, status, createdAt: existing?.createdAt ?? now, updatedAt: now }, existing);
        return reply.code(existing === undefined ? 201 : 200).send(view);
      },
    );

    app.post<{ Params: InstallationParams }>(
      '/communities/:community/installations/:appId/approve',
      {
        schema: { ...installationParams, response: { 200: INSTALLATION } },
        config: { adminScope: 'operate', changeKind: 'installation.approve', openapi: { summary: 'Approves a pending installation.', errors: ['NotFound'] } },
      },
      async (request) => {
        const { communityId, app: installed, existing } = target(request);
        if (existing === undefined || existing.status === 'uninstalled') {
          throw notFound(`app "${installed.id}" is not installed in community "${communityId}"`);
        }
        if (existing.status === 'installed') return installationView(existing);
        return save(request, { ...existing, status: 'installed', updatedAt: Date.now() }, existing);
      },
    );

    app.delete<{ Params: InstallationParams }>(
      '/communities/:community/installations/:appId',
      {
        schema: installationParams,
        config: {
          adminScope: 'operate',
          changeKind: 'installation.delete',
          openapi: {
            summary: 'Uninstalls an app; its pending deliveries are cancelled.',
            errors: ['NotFound'],
            success: { status: 204, description: 'Uninstalled.' },
          },
        },
      },
      async (request, reply) => {
        const { communityId, app: installed, existing } = target(request);
        if (existing === undefined || existing.status === 'uninstalled') {
          throw notFound(`app "${installed.id}" is not installed in community "${communityId}"`);
        }
        const now = Date.now();
        await save(request, { ...existing, status: 'uninstalled', updatedAt: now }, existing);
        await deps.store.cancelPendingDeliveries({ communityId, appId: installed.id }, now);
        return reply.code(204).send();
      },
    );
  };
}
