/** The change trail of the admin API, newest first, filtered and paginated as the other logs. */
import type { FastifyInstance } from 'fastify';
import type { AdminStore } from '../store/store.js';
import { MILLIS, answerSchema, filterSchema, pageAnswer, pageQuery, queryParams, timeRangeQuery } from '../http/route-schemas.js';
import { filter, pageOf, pageParams, timeRange, type PageQuery, type TimeRangeQuery } from './params.js';

export type ChangeRoutesDeps = { store: Pick<AdminStore, 'queryChanges'> };

const CHANGE = answerSchema('An admin write: who, what, the change, and whether it was made.', {
  at: MILLIS,
  keyId: { type: 'string', description: 'The admin key that made it; `bootstrap` for HUB_ADMIN_TOKEN.' },
  keyName: { type: 'string' },
  method: { type: 'string' },
  route: { type: 'string' },
  kind: { type: 'string' },
  targets: { type: 'object', additionalProperties: { type: 'string' } },
  before: { description: 'Manifests, action definitions and installations: the value before (null when new), secrets redacted.' },
  after: { description: 'The value after; null when the write failed.' },
  status: { type: 'integer' },
  outcome: { type: 'string', description: '`ok`, or the error type answered (the change was not made).' },
  requestId: { type: 'string' },
});

export function changeRoutes(deps: ChangeRoutesDeps) {
  return function routes(app: FastifyInstance): void {
    const querystring = queryParams({
      ...pageQuery,
      key: filterSchema('key', 'Changes made with this admin key id (`bootstrap` for HUB_ADMIN_TOKEN).'),
      app: filterSchema('app', 'Changes of this app (its manifest, tokens, secrets, installations).'),
      community: filterSchema('community', 'Changes in this community.'),
      target: filterSchema('target', 'Changes of this thing: an app, action, community, token, delivery or key id.'),
      kind: filterSchema('kind', 'Changes of this kind, e.g. `app.put`, `installation.approve`.'),
      route: filterSchema('route', 'Changes through this route, e.g. `/v1/admin/apps/:appId`.'),
      ...timeRangeQuery,
    });
    type Query = PageQuery & TimeRangeQuery & Partial<Record<'key' | 'app' | 'community' | 'target' | 'kind' | 'route', string>>;
    app.get<{ Querystring: Query }>(
      '/changes',
      {
        schema: { querystring },
        config: {
          adminScope: 'read',
          openapi: {
            summary: 'The change trail of the admin API, newest first.',
            success: { status: 200, description: 'A page.', schema: pageAnswer('Changes, newest first.', CHANGE) },
          },
        },
      },
      async (request) => {
        const { query } = request;
        const page = pageParams(query);
        const rows = await deps.store.queryChanges({
          keyId: filter(query.key),
          appId: filter(query.app),
          communityId: filter(query.community),
          target: filter(query.target),
          kind: filter(query.kind),
          route: filter(query.route),
          ...timeRange(query),
          beforeSeq: page.beforeSeq,
          limit: page.limit,
        });
        return pageOf(rows, page);
      },
    );
  };
}
