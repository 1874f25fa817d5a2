/** The operator API, behind the admin token. */
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../hub-deps.js';
import { actionRoutes } from './actions.js';
import { appRoutes } from './apps.js';
import { adminGuard } from './auth.js';
import { callRoutes } from './calls.js';
import { communityRoutes } from './communities.js';
import { deliveryRoutes } from './deliveries.js';

export function adminRoutes(deps: HubDeps, adminToken: string) {
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
  };
}
