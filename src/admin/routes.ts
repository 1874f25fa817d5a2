/** The operator API, behind the admin token. */
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../hub-deps.js';
import { actionRoutes, type ActionRoutesDeps } from './actions.js';
import { appRoutes, type AppRoutesDeps } from './apps.js';
import { adminGuard } from './auth.js';
import { callRoutes, type CallRoutesDeps } from './calls.js';
import { communityRoutes, type CommunityRoutesDeps } from './communities.js';
import { deliveryRoutes, type DeliveryRoutesDeps } from './deliveries.js';
import { testEventRoutes, type TestEventRoutesDeps } from './test-event.js';

/** What the operator API uses. */
export type AdminDeps = ActionRoutesDeps &
  AppRoutesDeps &
  CallRoutesDeps &
  CommunityRoutesDeps &
  DeliveryRoutesDeps &
  TestEventRoutesDeps &
  Pick<HubDeps, 'reloadHere'>;

export function adminRoutes(deps: AdminDeps, adminToken: string) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', adminGuard(adminToken));
    // A write is checked against what is committed, not against this process's copy: another hub
    // process sharing the database may have defined an action or registered an app a moment ago.
    app.addHook('preHandler', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') await deps.reloadHere();
    });
    await app.register(actionRoutes(deps));
    await app.register(appRoutes(deps));
    await app.register(communityRoutes(deps));
    await app.register(callRoutes(deps));
    await app.register(deliveryRoutes(deps));
    await app.register(testEventRoutes(deps));
  };
}
