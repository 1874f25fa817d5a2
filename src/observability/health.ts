/** Liveness, readiness and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { HubError } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';

export function healthRoutes(deps: HubDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async () => {
      try {
        await deps.store.ping();
      } catch (err) {
        throw new HubError('ServiceUnavailable', 'the storage cannot be reached', { cause: err });
      }
      return { status: 'ready', storage: deps.store.kind };
    });
    app.get('/metrics', async (request, reply) => {
      deps.metrics.auditDropped.set(deps.audit.dropped);
      try {
        const counts = await deps.store.countOpenDeliveries();
        for (const [status, n] of Object.entries(counts)) deps.metrics.deliveries.set({ status }, n);
      } catch (err) {
        request.log.warn({ err }, 'counting deliveries for metrics failed');
      }
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  };
}
