/**
 * The public routes (Layers-compatible). Each call is written to the audit log and measured once
 * its answer is sent.
 */
import type { FastifyInstance, FastifyRequest, FastifyReply } from 'fastify';
import type { HubDeps } from '../hub-deps.js';
import { call } from './call.js';
import { discover } from './discover.js';
import { publish } from './publish.js';

function recordCall(deps: HubDeps, request: FastifyRequest, reply: FastifyReply): void {
  const trail = request.trail;
  const latencyMs = reply.elapsedTime;
  const outcome = request.outcome ?? (reply.statusCode < 400 ? 'ok' : 'error');
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
  deps.metrics.calls.observe({ action: trail.action ?? '', provider: trail.provider ?? '', outcome }, latencyMs / 1000);
}

export function servicesRoutes(deps: HubDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/services/discover/:action', (request) => discover(deps, request));
    app.post('/services/publish/:action', (request, reply) => publish(deps, request, reply));
    app.post('/services/call/:action/:provider', {
      handler: (request, reply) => call(deps, request, reply),
      onResponse: (request, reply, done) => {
        recordCall(deps, request, reply);
        done();
      },
    });
  };
}
