/** The audit log of calls, newest first, filtered and paginated. */
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../hub-deps.js';
import type { AuditStore } from '../store/store.js';
import { MILLIS, answerSchema, filterSchema, pageAnswer, pageQuery, queryParams, timeRangeQuery } from '../http/route-schemas.js';
import { filter, pageOf, pageParams, timeRange, type PageQuery, type TimeRangeQuery } from './params.js';

export type CallRoutesDeps = Pick<HubDeps, 'audit'> & { store: AuditStore };

/** An audit row, documented only: rows keep their own order of fields, which a serializer with
 * declared properties would change (declared ones first). */
const CALL = answerSchema('A call.', { id: { type: 'string' }, at: MILLIS, status: { type: 'integer' }, outcome: { type: 'string' } });

export function callRoutes(deps: CallRoutesDeps) {
  return function routes(app: FastifyInstance): void {
    const querystring = queryParams({
      ...pageQuery,
      community: filterSchema('community', 'Calls in this community.'),
      action: filterSchema('action', 'Calls of this action.'),
      provider: filterSchema('provider', 'Calls answered by this app.'),
      consumer: filterSchema('consumer', 'Calls made by this app.'),
      outcome: filterSchema('outcome', 'Calls that ended so: `ok`, or the type of the error answered (e.g. `Timeout`).'),
      requestId: filterSchema('requestId', 'The call of this requestId.'),
      ...timeRangeQuery,
    });
    type Query = PageQuery &
      TimeRangeQuery & { community?: string; action?: string; provider?: string; consumer?: string; outcome?: string; requestId?: string };
    app.get<{ Querystring: Query }>(
      '/calls',
      {
        schema: { querystring },
        config: {
          adminScope: 'read',
          openapi: {
            summary: 'The audit log of calls, newest first.',
            success: { status: 200, description: 'A page.', schema: pageAnswer('Calls, newest first.', CALL) },
          },
        },
      },
      async (request) => {
        const { query } = request;
        const page = pageParams(query);
        const range = timeRange(query);
        // What was answered a moment ago may still be in the write buffer.
        await deps.audit.flush();
        const rows = await deps.store.queryCalls({
          communityId: filter(query.community),
          action: filter(query.action),
          provider: filter(query.provider),
          consumer: filter(query.consumer),
          outcome: filter(query.outcome),
          id: filter(query.requestId),
          ...range,
          beforeSeq: page.beforeSeq,
          limit: page.limit,
        });
        return pageOf(rows, page);
      },
    );
  };
}
