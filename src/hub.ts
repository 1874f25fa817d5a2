/**
 * Assembles a hub: storage-backed catalogue and registry held in memory, the outbound client, the
 * audit log, metrics, and the Fastify app with its routes. `main.ts` runs it; tests embed it.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { adminRoutes } from './admin/routes.js';
import { AuditLog } from './audit/audit-log.js';
import { MAX_ACTION_ID_LENGTH } from './catalog/action-id.js';
import type { ActionDefinition } from './catalog/definition.js';
import { CatalogService } from './catalog/service.js';
import type { HubConfig } from './config.js';
import { Outbox } from './delivery/outbox.js';
import { DeliveryWorker } from './delivery/worker.js';
import { HubError } from './errors.js';
import type { HubDeps } from './hub-deps.js';
import { SECURITY_HEADERS, clientError, frameworkError, methodNotAllowed, registerErrorHandling } from './http/error-handler.js';
import { registerJsonBody } from './http/json-body.js';
import './http/call-trail.js';
import { HubMetrics } from './observability/metrics.js';
import { healthRoutes } from './observability/health.js';
import { Registry } from './registry/registry.js';
import { OutboundClient } from './relay/http-client.js';
import { OutboundPolicy } from './relay/outbound-policy.js';
import { authenticateCaller } from './services/caller.js';
import { RateLimiter } from './services/rate-limit.js';
import { servicesRoutes } from './services/routes.js';
import type { Store } from './store/store.js';

export interface Hub {
  worker: DeliveryWorker | undefined;
  app: FastifyInstance;
  deps: HubDeps;
  adminToken: string;
  /** Stops accepting and claiming, lets in-flight calls and deliveries finish, releases leases,
   * flushes the audit log. Does not close the store. */
  close(): Promise<void>;
}

export interface HubOptions {
  config: HubConfig;
  store: Store;
  logger?: Logger;
  /** Built-in definitions; the files under `catalog/` by default. */
  builtins?: ActionDefinition[];
  /** Run the delivery worker in this process (default true). */
  deliver?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** Slack of the socket timeout over the longest call, for the body upload and the answer. */
const SOCKET_TIMEOUT_MARGIN_MS = 30_000;

export async function createHub(options: HubOptions): Promise<Hub> {
  const { config, store } = options;
  const log = options.logger ?? pino({ level: config.logLevel });
  const adminToken = config.adminToken ?? `hub_admin_${randomUUID().replaceAll('-', '')}`;
  const registry = new Registry(store);
  const catalog = new CatalogService(store, options.builtins, log);
  const metrics = new HubMetrics();
  const audit = new AuditLog(store, log, { retentionMs: config.auditRetentionMs });
  const outbound = new OutboundClient({
    policy: new OutboundPolicy({ deny: config.outboundDeny, allow: config.outboundAllow, denyPrivate: config.outboundDenyPrivate }),
    maxExchangeMs: Math.max(config.maxCallTimeoutMs, config.deliveryTimeoutMs),
  });
  const worker =
    options.deliver === false
      ? undefined
      : new DeliveryWorker({ store, registry, outbound, config, log, metrics, onSubscriptionDisabled: () => deps.reloadEverywhere() });
  const reload = () => Promise.all([catalog.reload(), registry.reload()]).then(() => undefined);
  const deps: HubDeps = {
    config,
    store,
    log,
    catalog,
    registry,
    outbound,
    audit,
    metrics,
    rateLimiter: new RateLimiter(config.rateLimitPerSecond),
    outbox: new Outbox(store, worker, log),
    reloadHere: reload,
    async reloadEverywhere() {
      await reload();
      await store.notify('registry');
    },
  };
  await reload();
  const unlistenRegistry = store.listen('registry', () => {
    reload().catch((err: unknown) => log.error({ err }, 'reloading the registry failed'));
  });
  worker?.start();

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One access line per request, written by the onResponse hook below with what the route learned.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: config.bodyLimit,
    // A caller's X-Request-Id is kept when it is sane, so its logs and ours line up.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // An action id may be percent-encoded whole: three characters for each of its own.
    routerOptions: { maxParamLength: 3 * MAX_ACTION_ID_LENGTH },
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    // Slow clients cannot hold sockets: headers, then the whole request, within these times (Node
    // checks them every `connectionsCheckingInterval`); a silent socket is closed after the
    // longest call plus a margin; idle keep-alive connections after keepAliveTimeout.
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionTimeout: config.socketTimeoutMs ?? config.maxCallTimeoutMs + SOCKET_TIMEOUT_MARGIN_MS,
    // The 503 while closing is answered by the onRequest hook below, in the hub's format.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });
  app.server.maxConnections = config.maxConnections;
  let closing = false;
  const shuttingDown = new HubError('ServiceUnavailable', 'the hub is shutting down; send the request again, to another instance or later');
  app.decorateRequest('trail', null as never);
  app.decorateRequest('caller', undefined);
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
    metrics.httpRequests.observe({ route, method: request.method, status: reply.statusCode }, reply.elapsedTime / 1000);
    const level = reply.statusCode >= 500 ? 'warn' : 'info';
    if (log.isLevelEnabled(level)) {
      request.log[level](
        { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ...request.trail, outcome: request.outcome },
        'request',
      );
    }
    done();
  });
  registerJsonBody(app);
  registerErrorHandling(app, config.bodyLimit);
  const addMethodNotAllowed = methodNotAllowed(app);
  await app.register(healthRoutes(deps));
  for (const prefix of ['/v1', '']) {
    // The caller is authenticated before its body is read: without a token, a request costs
    // almost nothing whatever it carries.
    await app.register(
      async (publicRoutes) => {
        publicRoutes.addHook('onRequest', authenticateCaller(deps));
        await publicRoutes.register(servicesRoutes(deps));
      },
      { prefix },
    );
    await app.register(adminRoutes(deps, adminToken), { prefix: `${prefix}/admin` });
  }
  addMethodNotAllowed();

  return {
    app,
    deps,
    worker,
    adminToken,
    async close() {
      closing = true;
      unlistenRegistry();
      deps.outbox.close();
      // In-flight calls and delivery attempts finish; nothing new is accepted or claimed.
      await Promise.all([app.close(), worker?.stop(config.shutdownGraceMs)]);
      await audit.close();
      await outbound.close();
    },
  };
}
