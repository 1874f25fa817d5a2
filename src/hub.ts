/**
 * Assembles a hub: storage-backed catalogue and registry held in memory, the outbound client, the
 * audit log, metrics, and the Fastify app with its routes. `main.ts` runs it; tests embed it.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { ChangeTrail } from './admin/change-trail.js';
import { adminRoutes } from './admin/routes.js';
import { AuditLog } from './audit/audit-log.js';
import type { ActionDefinition } from './catalog/definition.js';
import { CatalogService } from './catalog/service.js';
import { catalogDocsRoutes } from './catalog-docs/routes.js';
import type { HubConfig } from './config.js';
import { createDeliveryEngine } from './delivery/engine.js';
import { Outbox } from './delivery/outbox.js';
import type { DeliveryWorker } from './delivery/worker.js';
import type { HubDeps } from './hub-deps.js';
import { methodNotAllowed, registerErrorHandling } from './http/error-handler.js';
import { registerJsonBody } from './http/json-body.js';
import { registerRequestHooks } from './http/request-hooks.js';
import { registerRouteValidation } from './http/route-validation.js';
import { serverOptions } from './http/server-options.js';
import { HubMetrics } from './observability/metrics.js';
import { registerHubOpenApi } from './openapi/hub-openapi.js';
import { healthRoutes } from './observability/health.js';
import { Registry } from './registry/registry.js';
import { OutboundClient } from './relay/http-client.js';
import { OutboundPolicy } from './relay/outbound-policy.js';
import { authenticateCaller } from './services/caller.js';
import { RateLimiter } from './services/rate-limit.js';
import { servicesRoutes } from './services/routes.js';
import type { Store } from './store/store.js';
import { webRoutes } from './web/routes.js';

export interface Hub {
  /** The delivery worker, when it runs in this thread. */
  worker: DeliveryWorker | undefined;
  app: FastifyInstance;
  /** The catalogue in effect, for tests that look at what it compiled. */
  catalog: CatalogService;
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
  /** Run the delivery worker in this process (default true; never with `config.role` api). */
  deliver?: boolean;
  /** Write publishes and attempt deliveries on a thread of the process's own, with its own
   * connection to the store `config.databaseUrl` names (docs/adr/0022): the hub's binary does.
   * Default false: in this thread, through `store`. */
  deliveryThread?: boolean;
  /** Hub processes sharing the rate limit: this one enforces 1/n of it (default 1). */
  rateLimitShares?: number;
  /** The web build served under /reference/ and /console/; the project's web/dist by default. */
  webDir?: string;
}

export const newAdminToken = () => `hub_admin_${randomUUID().replaceAll('-', '')}`;

export async function createHub(options: HubOptions): Promise<Hub> {
  const { config, store } = options;
  const log = options.logger ?? pino({ level: config.logLevel });
  const adminToken = config.adminToken ?? newAdminToken();
  const registry = new Registry(store);
  const catalog = new CatalogService(store, options.builtins, log);
  const metrics = new HubMetrics();
  const audit = new AuditLog(store, log, { retentionMs: config.auditRetentionMs });
  const changes = new ChangeTrail(store, log, { retentionMs: config.changeRetentionMs });
  const outbound = new OutboundClient({
    policy: OutboundPolicy.of(config),
    maxExchangeMs: Math.max(config.maxCallTimeoutMs, config.deliveryTimeoutMs),
  });
  const { engine, worker } = createDeliveryEngine({
    store,
    registry,
    outbound,
    config,
    log,
    metrics,
    delivers: options.deliver !== false && config.role !== 'api',
    onThread: options.deliveryThread === true,
    onSubscriptionDisabled: () => deps.reloadEverywhere(),
  });
  const reload = async () => {
    await Promise.all([catalog.reload(), registry.reload()]);
    engine.registryChanged();
  };
  const deps: HubDeps = {
    config,
    store,
    log,
    catalog,
    registry,
    outbound,
    audit,
    changes,
    metrics,
    rateLimiter: new RateLimiter(config.rateLimitPerSecond, Date.now, options.rateLimitShares),
    outbox: new Outbox(engine),
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

  const app = Fastify(serverOptions(config, log));
  app.server.maxConnections = config.maxConnections;
  const requests = registerRequestHooks(app, log, metrics.httpRequests);
  app.decorateRequest('caller', undefined);
  registerJsonBody(app);
  registerErrorHandling(
    app,
    config.bodyLimit,
    config.role === 'deliver'
      ? 'this process has HUB_ROLE=deliver: it delivers events and serves only /healthz, /readyz, /metrics and /openapi.json'
      : undefined,
  );
  registerRouteValidation(app);
  const addMethodNotAllowed = methodNotAllowed(app);
  registerHubOpenApi(app);
  await app.register(healthRoutes(deps));
  // A deliver process serves only the health routes: everything else is a 404.
  for (const prefix of config.role === 'deliver' ? [] : ['/v1', '']) {
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
    await app.register(catalogDocsRoutes(deps), { prefix });
  }
  await app.register(webRoutes(options.webDir));
  addMethodNotAllowed();

  return {
    app,
    catalog,
    worker,
    adminToken,
    async close() {
      requests.startClosing();
      unlistenRegistry();
      // In-flight calls, publishes and delivery attempts finish; nothing new is accepted or claimed.
      await Promise.all([app.close(), engine.stop(config.shutdownGraceMs)]);
      await engine.close();
      await audit.close();
      changes.close();
      await outbound.close();
    },
  };
}
