/**
 * POST /services/publish/:action — checks like a call, then stores the event and its deliveries
 * (one per active subscription in the community) in one transaction, and answers 201 only once
 * that is committed. An Idempotency-Key replays the first answer for 24 hours when it comes with
 * the same request (same action, version and body text); with another request it is a 409.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { conflict, invalidBody, invalidRequest } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import type { EventRecord } from '../delivery/types.js';
import { newEventId } from '../delivery/ids.js';
import { checkCallerAndAction, type CallerDeps, type PublicRequest } from './caller.js';
import { deprecationHeaders } from './deprecation.js';

export type PublishDeps = CallerDeps & Pick<HubDeps, 'metrics' | 'outbox'>;

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function idempotencyKeyOf(request: FastifyRequest): string | null {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return null;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw invalidRequest('Idempotency-Key must be given once, 1 to 200 visible ASCII characters', [
      { pointer: '/headers/idempotency-key', message: 'is not a valid key' },
    ]);
  }
  return value;
}

/**
 * Whether a publish repeating an Idempotency-Key is the request that first used it: the same
 * action, the same version (as resolved) and the same body, byte for byte as received. Exact text,
 * not a parse compared canonically: a retry resends the bytes it sent, and a parse would call
 * `{"n":9007199254740993}` and `{"n":9007199254740992}` the same and drop the second.
 */
function isSameRequest(earlier: EventRecord, event: EventRecord): boolean {
  return earlier.action === event.action && earlier.version === event.version && earlier.data === event.data;
}

export async function publish(deps: PublishDeps, request: PublicRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { app: publisher, communityId, action, versions, requestedVersion } = checkCallerAndAction(deps, request, 'event');
  const version = requestedVersion ?? versions[versions.length - 1]!;
  request.trail.version = version;
  const catalog = deps.catalog.current;
  const entry = catalog.get(action, version)!;
  const data = request.body === undefined ? null : request.body;
  const problems = entry.validateData(data);
  if (problems) throw invalidBody(request.body, `the schema of event "${action}" version ${version}`, problems);
  const idempotencyKey = idempotencyKeyOf(request);

  const now = Date.now();
  const event = {
    id: newEventId(now),
    communityId,
    action,
    version,
    publisher: publisher.id,
    data: request.rawBody ?? null,
    createdAt: now,
    idempotencyKey,
  };
  const outcome = await deps.outbox.publish(
    event,
    deps.registry.current.subscribers(communityId, action),
    entry.definition.coalesce === true,
    now - IDEMPOTENCY_WINDOW_MS,
  );
  if (outcome.duplicate && !isSameRequest(outcome.earlier!, event)) {
    throw conflict(
      `the Idempotency-Key "${idempotencyKey}" was already used by app "${publisher.id}" in community "${communityId}" for another request (event ${outcome.eventId}); send new data with a new key`,
      [{ pointer: '/headers/idempotency-key', message: 'was used with another action, version or body' }],
    );
  }
  request.outcome = outcome.duplicate ? 'duplicate' : 'ok';
  deps.metrics.publishes.inc({ action, outcome: request.outcome });
  if (outcome.duplicate) void reply.header('idempotent-replayed', 'true');
  return reply
    .code(201)
    .headers(deprecationHeaders(catalog, action, version))
    .send({ id: outcome.eventId });
}
