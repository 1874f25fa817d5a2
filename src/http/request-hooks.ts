/**
 * What every request goes through, whatever its route: its id echoed in `x-request-id`, the
 * security headers, a 503 in the hub's format once the hub is closing (and `connection: close` on
 * the answers then in flight), and once answered one access-log line and one latency observation.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { HubError } from '../errors.js';
import type { HubMetrics } from '../observability/metrics.js';
import './call-trail.js';
import { SECURITY_HEADERS } from './error-handler.js';

export interface RequestHooks {
  /** From now on new requests are answered 503, and answers in flight close their connection. */
  startClosing(): void;
}

export function registerRequestHooks(app: FastifyInstance, log: Logger, httpRequests: HubMetrics['httpRequests']): RequestHooks {
  let closing = false;
  const shuttingDown = new HubError('ServiceUnavailable', 'the hub is shutting down; send the request again, to another instance or later');
  app.decorateRequest('trail', null as never);
  // Hooks in callback style: they run on every request, and an async hook costs a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    request.trail = {};
    void reply.headers(SECURITY_HEADERS).header('x-request-id', request.id);
    done(closing ? shuttingDown : undefined);
  });
  // Keep-alive connections that were busy when the close began would otherwise hold it open until
  // their idle timeout: the answer in flight tells the client to go.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequests.observe({ route, method: request.method, status: reply.statusCode }, reply.elapsedTime / 1000);
    const level = reply.statusCode >= 500 ? 'warn' : 'info';
    if (log.isLevelEnabled(level)) {
      request.log[level](
        {
          method: request.method,
          url: request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          ...request.trail,
          outcome: request.outcome,
        },
        'request',
      );
    }
    done();
  });
  return {
    startClosing() {
      closing = true;
    },
  };
}
