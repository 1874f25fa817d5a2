/** What the routes of the hub work with; built once by `createHub`. */
import type { Logger } from 'pino';
import type { ChangeTrail } from './admin/change-trail.js';
import type { AuditLog } from './audit/audit-log.js';
import type { CatalogService } from './catalog/service.js';
import type { HubConfig } from './config.js';
import type { Outbox } from './delivery/outbox.js';
import type { HubMetrics } from './observability/metrics.js';
import type { Registry } from './registry/registry.js';
import type { OutboundClient } from './relay/http-client.js';
import type { RateLimiter } from './services/rate-limit.js';
import type { Store } from './store/store.js';

export interface HubDeps {
  config: HubConfig;
  store: Store;
  log: Logger;
  catalog: CatalogService;
  registry: Registry;
  outbound: OutboundClient;
  audit: AuditLog;
  /** The change trail of the admin API. */
  changes: ChangeTrail;
  metrics: HubMetrics;
  rateLimiter: RateLimiter;
  /** Where publishes go: group commit, hand-over to this process's worker, notifications. */
  outbox: Outbox;
  /** Rebuilds catalogue and registry from the store (this process only). */
  reloadHere(): Promise<void>;
  /** Rebuilds catalogue and registry from the store and tells the other hub processes to do so. */
  reloadEverywhere(): Promise<void>;
}
