/** The operator API, behind the admin token and admin keys, each route with the scope it needs;
 * every write recorded in the change trail before it is answered. */
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../hub-deps.js';
import type { AdminStore } from '../store/store.js';
import { actionRoutes, type ActionRoutesDeps } from './actions.js';
import { appRoutes, type AppRoutesDeps } from './apps.js';
import { adminGuard } from './auth.js';
import { callRoutes, type CallRoutesDeps } from './calls.js';
import { changeRecord } from './change-trail.js';
import { changeRoutes } from './changes.js';
import { communityRoutes, type CommunityRoutesDeps } from './communities.js';
import { deliveryRoutes, type DeliveryRoutesDeps } from './deliveries.js';
import { keyRoutes } from './keys.js';
import { testEventRoutes, type TestEventRoutesDeps } from './test-event.js';

/** What the operator API uses. */
export type AdminDeps = ActionRoutesDeps &
  AppRoutesDeps &
  CallRoutesDeps &
  CommunityRoutesDeps &
  DeliveryRoutesDeps &
  TestEventRoutesDeps &
  Pick<HubDeps, 'reloadHere' | 'changes'> & { store: AdminStore };

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD';

export function adminRoutes(deps: AdminDeps, adminToken: string) {
  /** The secrets a change record must not hold: the app's, and the bootstrap token. */
  const secretsOf = (appId: string | undefined): string[] => {
    const app = appId === undefined ? undefined : deps.registry.current.apps.get(appId);
    const appSecrets = app === undefined ? [] : [app.secret, app.previousSecret, app.signingSecret, app.previousSigningSecret];
    return [adminToken, ...appSecrets].filter((s): s is string => typeof s === 'string' && s !== '');
  };
  return async function routes(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', adminGuard(adminToken, deps.store));
    // A write is checked against what is committed, not against this process's copy: another hub
    // process sharing the database may have defined an action or registered an app a moment ago.
    app.addHook('preHandler', async (request) => {
      if (isWrite(request.method)) await deps.reloadHere();
    });
    // Before the answer leaves: whoever reads the trail after an answer finds the write in it.
    app.addHook('onSend', async (request, reply, payload) => {
      if (!isWrite(request.method) || request.adminKey === undefined) return payload;
      const params = (request.params ?? {}) as Record<string, string>;
      await deps.changes.record(
        changeRecord({
          at: Date.now(),
          key: request.adminKey,
          method: request.method,
          route: request.routeOptions.url ?? request.url.split('?')[0]!,
          kind: request.routeOptions.config?.changeKind,
          params,
          status: reply.statusCode,
          outcome: reply.statusCode < 400 ? 'ok' : (request.outcome ?? 'error'),
          requestId: request.id,
          note: request.change,
          secrets: secretsOf(params.appId),
        }),
      );
      return payload;
    });
    await app.register(actionRoutes(deps));
    await app.register(appRoutes(deps));
    await app.register(communityRoutes(deps));
    await app.register(callRoutes(deps));
    await app.register(deliveryRoutes(deps));
    await app.register(keyRoutes(deps));
    await app.register(changeRoutes(deps));
    await app.register(testEventRoutes(deps));
  };
}
