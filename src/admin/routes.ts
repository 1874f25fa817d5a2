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
    await app.register(actionRoutes(deps));
    await app.register(appRoutes(deps));
    await app.register(communityRoutes(deps));
    await app.register(callRoutes(deps));
    await app.register(deliveryRoutes(deps));
  };
}
