/**
 * POST /communities/:community/installations/:appId/subscriptions/:action/test: sends one test
 * event to one subscriber now, as Svix's "send example" does, so an operator can check a
 * subscriber's endpoint without publishing to everyone. The data is the body's `data`, or the
 * action's fullest valid example, or a sample generated from its data schema; it must pass the data
 * schema. The envelope and signature are exactly those of a real delivery, but nothing is stored:
 * the answer carries the subscriber's status, time and (the first 2,000 characters of) its answer.
 * A subscription disabled by a 410 can be tested too, before it is enabled again.
 */
import type { FastifyInstance } from 'fastify';
import { examplesOf } from '../catalog-docs/routes.js';
import { sampleFromSchema, seededRandom } from '../cli/schema-sample.js';
import { eventEnvelope } from '../delivery/envelope.js';
import { newEventId } from '../delivery/ids.js';
import { MAX_SUBSCRIBER_ANSWER_BYTES } from '../delivery/worker.js';
import { invalidRequest, notFound } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import { actionIdSchema, answerSchema, idSchema, pathParams } from '../http/route-schemas.js';
import { signedHeaders } from '../relay/envelope.js';
import { RelayError } from '../relay/errors.js';

export type TestEventRoutesDeps = Pick<HubDeps, 'catalog' | 'registry' | 'outbound' | 'config'>;

/** What the publisher of a test event is called in its context. */
export const TEST_PUBLISHER = 'api-hub-test';
const ANSWER_PREVIEW_CHARS = 2000;

const BODY = {
  type: ['object', 'null'],
  additionalProperties: false,
  description: 'Optional: the version of the action (its latest by default) and the data (an example of the action by default).',
  properties: {
    version: { type: 'integer', minimum: 1, description: 'The action version; the latest by default.' },
    data: { description: "The event data; the action's example by default. Checked against its data schema." },
  },
  examples: [{ version: 1 }],
};

const RESULT = answerSchema('What the subscriber answered to the test event (nothing is stored).', {
  eventId: { type: 'string' },
  url: { type: 'string', description: 'Where it was sent.' },
  version: { type: 'integer' },
  data: { description: 'The data sent.' },
  delivered: { type: 'boolean', description: 'Whether the subscriber answered 2xx.' },
  status: { type: ['integer', 'null'], description: 'The HTTP status, null when there was no answer.' },
  error: { type: ['string', 'null'], description: 'Why there was no answer.' },
  durationMs: { type: 'integer' },
  answer: { type: ['string', 'null'], description: "The first 2,000 characters of the subscriber's answer." },
});

export function testEventRoutes(deps: TestEventRoutesDeps) {
  return function routes(app: FastifyInstance): void {
    type Route = { Params: { community: string; appId: string; action: string }; Body: { version?: number; data?: unknown } | null | undefined };
    app.post<Route>(
      '/communities/:community/installations/:appId/subscriptions/:action/test',
      {
        schema: { params: pathParams({ community: idSchema('community'), appId: idSchema('app'), action: actionIdSchema }), body: BODY },
        config: {
          // Like a replay: an operator's check of a subscriber, nothing stored.
          adminScope: 'operate',
          changeKind: 'subscription.test',
          openapi: {
            summary: "Sends a test event (the action's example) to one subscriber now; nothing is stored.",
            errors: ['NotFound', 'InvalidRequest'],
            success: { status: 200, description: "The subscriber's answer.", schema: RESULT },
          },
        },
      },
      async (request) => {
        const { community: communityId, appId, action } = request.params;
        const snapshot = deps.registry.current;
        const subscriber = snapshot.apps.get(appId);
        const subscription = subscriber?.manifest.services.subscribes.find((s) => s.action === action);
        if (subscriber === undefined || subscription === undefined || !snapshot.isActive(communityId, appId)) {
          throw notFound(`app "${appId}" is not an active subscriber of "${action}" in community "${communityId}"`);
        }
        const catalog = deps.catalog.current;
        const versions = catalog.versions(action);
        const version = request.body?.version ?? versions[versions.length - 1];
        const entry = version === undefined ? undefined : catalog.get(action, version);
        if (entry === undefined || version === undefined) throw notFound(`unknown action "${action}" version ${version ?? ''}`.trim());
        const examples = examplesOf(action, version)?.data.valid ?? [];
        // The fullest example shows the subscriber the most; only no example at all asks for a sample.
        const data =
          request.body?.data !== undefined
            ? request.body.data
            : examples.length > 0
              ? examples.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a))
              : sampleFromSchema(entry.definition.dataSchema, seededRandom(1));
        const problems = entry.validateData(data);
        if (problems)
          throw invalidRequest(
            `the data does not match the data schema of "${action}" version ${version}`,
            problems.map((p) => ({ ...p, pointer: `/data${p.pointer}` })),
          );

        const at = Date.now();
        const eventId = newEventId(at);
        const text = JSON.stringify(data);
        const event = { id: eventId, communityId, action, version, publisher: TEST_PUBLISHER, data: text, createdAt: at, idempotencyKey: null };
        const body = eventEnvelope(event, subscriber, at);
        try {
          const answer = await deps.outbound.post(subscription.url, body, signedHeaders(subscriber, body, at, undefined), {
            timeoutMs: deps.config.deliveryTimeoutMs,
            maxResponseBytes: MAX_SUBSCRIBER_ANSWER_BYTES,
          });
          return {
            eventId,
            url: subscription.url,
            version,
            data,
            delivered: answer.status >= 200 && answer.status < 300,
            status: answer.status,
            error: null,
            durationMs: Math.round(answer.durationMs),
            answer: answer.body.toString('utf8').slice(0, ANSWER_PREVIEW_CHARS),
          };
        } catch (err) {
          if (!(err instanceof RelayError)) throw err;
          return {
            eventId,
            url: subscription.url,
            version,
            data,
            delivered: false,
            status: null,
            error: `${err.kind}: ${err.message}`,
            durationMs: Math.round(err.durationMs ?? Date.now() - at),
            answer: null,
          };
        }
      },
    );
  };
}
