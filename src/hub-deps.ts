/** What the routes of the hub work with; built once by `createHub`. */
import type { Logger } from 'pino';
import type { AuditLog } from './audit/audit-log.js';
import type { CatalogService } from './catalog/service.js';
import type { HubConfig } from './config.js';
import type { GroupCommit } from './delivery/group-commit.js';
import type { DeliveryWorker } from './delivery/worker.js';
import type { HubMetrics } from './observability/metrics.js';
import type { Registry } from './registry/registry.js';
import type { OutboundClient } from './relay/http-client.js';
import type { RateLimiter } from './services/rate-limit.js';
import type { NewEvent, PublishOutcome } from './delivery/types.js';
import type { Store } from './store/store.js';

export interface HubDeps {
  config: HubConfig;
  store: Store;
  log: Logger;
  catalog: CatalogService;
  registry: Registry;
  outbound: OutboundClient;
  audit: AuditLog;
  metrics: HubMetrics;
  rateLimiter: RateLimiter;
  /** Publishes are group-committed: one transaction for the events arriving together. */
  publisher: GroupCommit<NewEvent, PublishOutcome>;
  /** This process's delivery worker, when it runs one. */
  worker: DeliveryWorker | undefined;
  /** New deliveries are due: wakes this process's worker and tells the other processes. */
  deliveriesChanged(): void;
  /** Rebuilds catalogue and registry from the store (this process only). */
  reloadFromStore(): Promise<void>;
  /** Rebuilds catalogue and registry from the store and tells the other hub processes to do so. */
  registryChanged(): Promise<void>;
}
