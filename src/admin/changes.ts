/** The change trail of the admin API, newest first, filtered and paginated as the other logs. */
import type { FastifyInstance } from 'fastify';
import { invalidRequest } from '../errors.js';
import type { AdminStore } from '../store/store.js';
import { MILLIS, answerSchema, filterSchema, pageAnswer, pageQuery, queryParams, type ParamSchema } from '../http/route-schemas.js';
import { filter, pageOf, pageParams, type PageQuery } from './params.js';

export type ChangeRoutesDeps = { store: Pick<AdminStore, 'queryChanges'> };

/** A time bound: milliseconds since the epoch, or an ISO 8601 date or date-time. */
const timeSchema = (name: string, description: string): ParamSchema => ({
  type: 'string',
  maxLength: 40,
  pattern: '^([0-9]{1,16}|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?)?$',
  description,
  'x-hub-error': {
    error: `${name} must be milliseconds since the epoch or an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z`,
    message: 'is not a time',
  },
});

/** The time a bound names; undefined for none. */
function timeOf(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const at = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(at)) throw invalidRequest(`${name} is not a valid date`, [{ pointer: `/query/${name}`, message: 'is not a time' }]);
  return at;
}

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
  return async function routes(app: FastifyInstance): Promise<void> {
    const querystring = queryParams({
      ...pageQuery,
      key: filterSchema('key', 'Changes made with this admin key id (`bootstrap` for HUB_ADMIN_TOKEN).'),
      app: filterSchema('app', 'Changes of this app (its manifest, tokens, secrets, installations).'),
      community: filterSchema('community', 'Changes in this community.'),
      target: filterSchema('target', 'Changes of this thing: an app, action, community, token, delivery or key id.'),
      kind: filterSchema('kind', 'Changes of this kind, e.g. `app.put`, `installation.approve`.'),
      route: filterSchema('route', 'Changes through this route, e.g. `/v1/admin/apps/:appId`.'),
      since: timeSchema('since', 'Changes at or after this time.'),
      until: timeSchema('until', 'Changes at or before this time.'),
    });
    type Query = PageQuery & Partial<Record<'key' | 'app' | 'community' | 'target' | 'kind' | 'route' | 'since' | 'until', string>>;
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
          since: timeOf('since', query.since),
          until: timeOf('until', query.until),
          beforeSeq: page.beforeSeq,
          limit: page.limit,
        });
        return pageOf(rows, page);
      },
    );
  };
}
