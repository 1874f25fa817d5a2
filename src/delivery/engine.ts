/**
 * Chooses where a hub's publishes are written and its deliveries attempted: nowhere but the
 * store (a process that does not deliver), a worker in this thread, or the delivery thread
 * started with the first subscription (docs/adr/0022).
 */
import type { Logger } from 'pino';
import type { HubConfig } from '../config.js';
import type { HubMetrics } from '../observability/metrics.js';
import type { Registry } from '../registry/registry.js';
import type { OutboundClient } from '../relay/http-client.js';
import type { Store } from '../store/store.js';
import { DeliveryThread } from './delivery-thread.js';
import { LocalDeliveryEngine } from './local-delivery.js';
import { OnDemandDeliveryThread } from './on-demand-thread.js';
import type { DeliveryEngine } from './outbox.js';
import { DeliveryWorker } from './worker.js';

export interface DeliveryEngineOptions {
  store: Store;
  registry: Registry;
  outbound: OutboundClient;
  config: HubConfig;
  log: Logger;
  metrics: HubMetrics;
  /** Attempt deliveries in this process at all. */
  delivers: boolean;
  /** On a thread of their own, which opens its own connection to `config.databaseUrl`. */
  onThread: boolean;
  /** Called after a subscription was disabled by a 410, so every process reloads. */
  onSubscriptionDisabled: () => Promise<void>;
}

export function createDeliveryEngine(options: DeliveryEngineOptions): { engine: DeliveryEngine; worker: DeliveryWorker | undefined } {
  const { store, registry, outbound, config, log, metrics, onSubscriptionDisabled } = options;
  if (options.delivers && options.onThread) {
    const engine = new OnDemandDeliveryThread(
      new LocalDeliveryEngine(store, undefined, log),
      () => DeliveryThread.start(config, metrics, log, onSubscriptionDisabled),
      () => registry.current.hasSubscriptions(),
      log,
    );
    return { engine, worker: undefined };
  }
  const worker = options.delivers ? new DeliveryWorker({ store, registry, outbound, config, log, metrics, onSubscriptionDisabled }) : undefined;
  return { engine: new LocalDeliveryEngine(store, worker, log), worker };
}
