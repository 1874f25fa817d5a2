/** Liveness, readiness and Prometheus metrics (behind HUB_METRICS_TOKEN when it is set). */
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { bearerMatcher } from '../admin/auth.js';
import { HubError, unauthorized } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import type { HubConfig } from '../config.js';
import type { Store } from '../store/store.js';
import { answerSchema } from '../http/route-schemas.js';

type HealthDeps = Pick<HubDeps, 'audit' | 'metrics'> & {
  config: Pick<HubConfig, 'metricsToken'>;
  store: Pick<Store, 'kind' | 'ping' | 'countOpenDeliveries'>;
};

function metricsGuard(metricsToken: string | undefined): onRequestHookHandler | undefined {
  if (metricsToken === undefined) return undefined;
  const matches = bearerMatcher(metricsToken);
  return (request, _reply, done) => {
    const match = matches(request.headers.authorization);
    if (match === true) return done();
    done(unauthorized(match === undefined ? 'no metrics token: send Authorization: Bearer <HUB_METRICS_TOKEN>' : 'the metrics token is wrong'));
  };
}

export function healthRoutes(deps: HealthDeps) {
  return function routes(app: FastifyInstance): void {
    app.get(
      '/healthz',
      {
        config: { openapi: { summary: 'Liveness: the process answers.' } },
        // The pid tells apart the processes behind one port (HUB_WORKERS).
        schema: { response: { 200: answerSchema('Alive.', { status: { const: 'ok' }, pid: { type: 'integer' } }) } },
      },
      () => ({ status: 'ok', pid: process.pid }),
    );
    const ready = answerSchema('Ready: the storage answers.', { status: { const: 'ready' }, storage: { enum: ['sqlite', 'postgres'] } });
    app.get(
      '/readyz',
      { config: { openapi: { summary: 'Readiness: the storage answers.', errors: ['ServiceUnavailable'] } }, schema: { response: { 200: ready } } },
      async () => {
        try {
          await deps.store.ping();
        } catch (err) {
          throw new HubError('ServiceUnavailable', 'the storage cannot be reached', { cause: err });
        }
        return { status: 'ready', storage: deps.store.kind };
      },
    );
    const metricsDoc = {
      summary: 'Prometheus metrics.',
      success: { status: 200, description: 'The metrics, in the Prometheus text format.', schema: { type: 'string' }, contentType: 'text/plain' },
    };
    app.get('/metrics', { onRequest: metricsGuard(deps.config.metricsToken), config: { openapi: metricsDoc } }, async (request, reply) => {
      deps.metrics.auditDropped.set(deps.audit.dropped);
      try {
        const counts = await deps.store.countOpenDeliveries();
        for (const [status, n] of Object.entries(counts) as Array<[string, number]>) deps.metrics.deliveries.set({ status }, n);
      } catch (err) {
        request.log.warn({ err }, 'counting deliveries for metrics failed');
      }
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  };
}
