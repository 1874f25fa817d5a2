/**
 * The public routes (Layers-compatible). Each call of an authenticated app is written to the audit
 * log and measured once its answer is sent; requests failing before the caller is known are only
 * counted, so made-up ids cost neither audit rows nor metric series.
 */
import type { FastifyInstance, FastifyRequest, FastifyReply } from 'fastify';
import type { CallTrail } from '../http/call-trail.js';
import type { HubDeps } from '../hub-deps.js';
import type { CallDeps, CallRoute } from './call.js';
import type { PublicRoute } from './caller.js';
import type { PublishDeps } from './publish.js';
import type { HubConfig } from '../config.js';
import { UNKNOWN_LABEL } from '../observability/metrics.js';
import { call } from './call.js';
import { discover } from './discover.js';
import { publish } from './publish.js';
import { actionIdSchema, answerSchema, opaqueIdSchema, pathParams, positiveIntegerQuery, queryParams } from '../http/route-schemas.js';
import type { RouteDoc } from '../openapi/hub-openapi.js';

/** `_community`: read (with the headers) by the onRequest hook, before validation; documented
 * here, checked there. */
const communityQuery = { description: 'The community, when neither community-id nor X-Community-Id is sent.' };
const versionQuery = positiveIntegerQuery('version', 'The version of the action; by default the highest both sides support.');
const actionParams = pathParams({ action: actionIdSchema });

/** Route schemas of the public routes: path and query only. A body is validated by the hub against
 * the action's own schema (a Fastify body schema would validate it twice). */
const DISCOVER_SCHEMA = { params: actionParams, querystring: queryParams({ version: versionQuery, _community: communityQuery }) };
const PUBLISH_SCHEMA = DISCOVER_SCHEMA;
const CALL_SCHEMA = {
  params: pathParams({ action: actionIdSchema, provider: opaqueIdSchema('provider app') }),
  querystring: queryParams({
    version: versionQuery,
    timeout: positiveIntegerQuery('timeout', 'Milliseconds the hub waits for the provider, up to HUB_MAX_CALL_TIMEOUT.'),
    _community: communityQuery,
  }),
};

/** What the public routes use. */
export type ServicesDeps = CallDeps & PublishDeps & Pick<HubDeps, 'audit'> & { config: Pick<HubConfig, 'eventMaxBytes'> };

/** What the document says of the public routes (the answers are not serialized by Fastify: a
 * call passes the provider's answer through as text). */
const ANY_JSON = { description: "Any JSON value: validated by the hub against the action's schema of that version." };
/** The community of every public route, in a header (or `_community`). */
const COMMUNITY_HEADERS = [
  { name: 'X-Community-Id', description: 'The community the caller acts in (or `community-id`, or `?_community=`; they must agree).' },
  { name: 'community-id', description: 'The community, as some Layers clients send it.' },
];
const DISCOVER_DOC: RouteDoc = {
  summary: "The providers of a request action installed in the caller's community.",
  headers: COMMUNITY_HEADERS,
  errors: ['NotFound'],
  success: {
    status: 200,
    description: 'The providers, with the versions each answers.',
    schema: {
      type: 'array',
      items: answerSchema(
        'A provider.',
        {
          id: { type: 'string' },
          displayName: { type: 'string' },
          icon: { type: ['string', 'null'] },
          versions: { type: 'array', items: { type: 'integer', minimum: 1 }, description: 'The versions it answers, retired ones left out.' },
          deprecatedVersions: {
            type: 'array',
            items: { type: 'integer', minimum: 1 },
            description: 'Those of `versions` that are deprecated (still callable); present only when there are some.',
          },
        },
        ['id', 'displayName', 'icon', 'versions'],
      ),
      examples: [[{ id: 'erp-modelo', displayName: 'ERP Modelo', icon: null, versions: [1] }]],
    },
  },
};
const CALL_DOC: RouteDoc = {
  summary: "Calls a provider of a request action: the body is `data`, the answer the provider's, under `data`.",
  headers: COMMUNITY_HEADERS,
  body: { description: 'The request data, validated against the data schema of the action version (/v1/catalog/openapi.json).', schema: ANY_JSON },
  errors: ['NotFound', 'PayloadTooLarge', 'UnsupportedMediaType', 'ProviderError', 'ProviderTimeout'],
  success: {
    status: 200,
    description:
      'The provider\'s answer, validated against the response schema. Of a deprecated version, with `Deprecation: @<unix seconds>` (RFC 9745) and, when a newer version is active, `Link: <…>; rel="successor-version"`.',
    schema: answerSchema('The answer.', { data: ANY_JSON }),
  },
};
const PUBLISH_DOC: RouteDoc = {
  summary: 'Publishes an event, stored durably before the answer; `Idempotency-Key` makes a retry safe.',
  headers: [
    ...COMMUNITY_HEADERS,
    {
      name: 'Idempotency-Key',
      description: 'Publishing again with the same key within 24 hours answers the first event, stored once; 1 to 200 visible ASCII characters.',
      schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[!-~]+$' },
    },
  ],
  body: { description: 'The event data, validated against the data schema of the action version (/v1/catalog/asyncapi.json).', schema: ANY_JSON },
  errors: ['NotFound', 'PayloadTooLarge', 'UnsupportedMediaType'],
  success: {
    status: 201,
    description:
      "Stored: the event's id (also on a replay, with `idempotent-replayed: true`). Of a deprecated version, with the `Deprecation` and `Link` headers of a call.",
    schema: answerSchema('The event.', { id: { type: 'string' } }),
  },
};

/** `ok`, `duplicate` or an error type: a closed set. */
function outcomeOf(request: FastifyRequest, reply: FastifyReply): string {
  return request.outcome ?? (reply.statusCode < 400 ? 'ok' : 'error');
}

/** Metric labels of a call: the action only once the catalogue knows it, the provider only once
 * the registry knows it as a provider of that action installed in the community. */
function callLabels(deps: ServicesDeps, trail: CallTrail): { action: string; provider: string } {
  const { action, provider, community } = trail;
  if (action === undefined || deps.catalog.current.versions(action).length === 0) return { action: UNKNOWN_LABEL, provider: UNKNOWN_LABEL };
  const known = community !== undefined && provider !== undefined && deps.registry.current.provider(community, provider, action) !== undefined;
  return { action, provider: known ? provider : UNKNOWN_LABEL };
}

/** Audits and measures a call whose caller was authenticated; the caller chose nothing else here. */
function recordCall(deps: ServicesDeps, request: FastifyRequest, reply: FastifyReply): void {
  const trail = request.trail;
  if (trail.consumer === undefined) return;
  const latencyMs = reply.elapsedTime;
  const outcome = outcomeOf(request, reply);
  deps.audit.record({
    id: request.id,
    at: Date.now(),
    communityId: trail.community ?? null,
    consumer: trail.consumer ?? null,
    provider: trail.provider ?? null,
    action: trail.action ?? null,
    version: trail.version ?? null,
    status: reply.statusCode,
    outcome,
    latencyMs: Math.round(latencyMs),
    providerStatus: trail.providerStatus ?? null,
    error: trail.error ?? null,
  });
  deps.metrics.calls.observe({ ...callLabels(deps, trail), outcome }, latencyMs / 1000);
}

export function servicesRoutes(deps: ServicesDeps) {
  return function routes(app: FastifyInstance): void {
    app.addHook('onResponse', (request, reply, done) => {
      if (request.trail.consumer === undefined) deps.metrics.rejectedRequests.inc({ reason: outcomeOf(request, reply) });
      done();
    });
    app.get<PublicRoute>('/services/discover/:action', { schema: DISCOVER_SCHEMA, config: { openapi: DISCOVER_DOC } }, (request) => discover(deps, request));
    // Events get their own limit: each payload is stored and sent to every subscriber, retries included.
    app.post<PublicRoute>('/services/publish/:action', {
      schema: PUBLISH_SCHEMA,
      bodyLimit: deps.config.eventMaxBytes,
      config: { bodyLimitSetting: 'HUB_EVENT_MAX_BYTES', openapi: PUBLISH_DOC },
      handler: (request, reply) => publish(deps, request, reply),
    });
    app.post<CallRoute>('/services/call/:action/:provider', {
      schema: CALL_SCHEMA,
      config: { openapi: CALL_DOC },
      handler: (request, reply) => call(deps, request, reply),
      onResponse: (request, reply, done) => {
        recordCall(deps, request, reply);
        done();
      },
    });
  };
}
