/**
 * A delivery worker of the test's own beside a hub that runs none (`startHub(…, { deliver:
 * false })`): same store, a registry it loads when the test says, optionally a fake clock.
 */
import { pino } from 'pino';
import { defaultConfig } from '../../src/config.js';
import { DeliveryWorker } from '../../src/delivery/worker.js';
import { HubMetrics } from '../../src/observability/metrics.js';
import type { Registry } from '../../src/registry/registry.js';
import { OutboundClient } from '../../src/relay/http-client.js';
import type { Store } from '../../src/store/store.js';

export const WORKER_CONFIG = defaultConfig({ logLevel: 'silent' });

export function testWorker(store: Store, registry: Registry, now?: () => number): DeliveryWorker {
  return new DeliveryWorker({
    store,
    registry,
    outbound: new OutboundClient({ maxExchangeMs: WORKER_CONFIG.deliveryTimeoutMs }),
    config: WORKER_CONFIG,
    log: pino({ level: 'silent' }),
    metrics: new HubMetrics(),
    onSubscriptionDisabled: () => registry.reload(),
    now,
  });
}
