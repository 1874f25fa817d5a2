/** The audit log of calls, newest first, filtered and paginated. */
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../hub-deps.js';
import type { AuditStore } from '../store/store.js';
import { pageOf, pageParams, stringFilter } from './params.js';

export type CallRoutesDeps = Pick<HubDeps, 'audit'> & { store: AuditStore };

export function callRoutes(deps: CallRoutesDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/calls', async (request) => {
      const page = pageParams(request);
      // What was answered a moment ago may still be in the write buffer.
      await deps.audit.flush();
      const rows = await deps.store.queryCalls({
        communityId: stringFilter(request, 'community'),
        action: stringFilter(request, 'action'),
        provider: stringFilter(request, 'provider'),
        consumer: stringFilter(request, 'consumer'),
        beforeSeq: page.beforeSeq,
        limit: page.limit,
      });
      return pageOf(rows, page);
    });
  };
}
