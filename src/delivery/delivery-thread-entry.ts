/**
 * The delivery thread itself (see delivery-thread.ts): opens its own connection to the hub's
 * store, loads its own registry, and runs the local delivery engine — the outbox's writes and the
 * delivery worker — answering the hub's messages. Its metrics are relayed to the hub's in batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { HubConfig } from '../config.js';
import { Registry } from '../registry/registry.js';
import { OutboundClient } from '../relay/http-client.js';
import { OutboundPolicy } from '../relay/outbound-policy.js';
import { openStore } from '../store/open.js';
import type { FromThread, ToThread } from './delivery-thread.js';
import { LocalDeliveryEngine } from './local-delivery.js';
import type { EventRecord } from './types.js';
import { DeliveryWorker, type DeliveryMetrics } from './worker.js';

/** The worker runs one claim, one outcome commit and one publish commit at a time, a lease
 * extension or two beside them: a small pool serves it, so a process adds few connections. */
const PG_POOL_SIZE = 4;

const port = parentPort!;
const { config } = workerData as { config: HubConfig };
const tell = (message: FromThread) => port.postMessage(message);
const log = pino({ level: config.logLevel }).child({ thread: 'delivery' });

/** How long counts gather before they are sent: a message costs the two threads a wake-up each,
 * and a scrape does not need them sooner. */
const METRICS_RELAY_MS = 100;

/** Counts gathered over a short while, sent in one message. */
class RelayedMetrics implements DeliveryMetrics {
  private attempts: Record<string, number> = {};
  private delivered: number[] = [];
  private scheduled = false;
  readonly deliveryAttempts = { inc: ({ outcome }: { outcome: string }) => this.add(() => (this.attempts[outcome] = (this.attempts[outcome] ?? 0) + 1)) };
  readonly publishToDelivery = { observe: (seconds: number) => this.add(() => this.delivered.push(seconds)) };

  private add(count: () => void): void {
    count();
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.flush(), METRICS_RELAY_MS).unref();
  }

  flush(): void {
    this.scheduled = false;
    if (Object.keys(this.attempts).length === 0 && this.delivered.length === 0) return;
    tell({ type: 'metrics', attempts: this.attempts, delivered: this.delivered });
    this.attempts = {};
    this.delivered = [];
  }
}

async function start() {
  const store = await openStore(config.databaseUrl, {
    secretKey: config.secretKey,
    previousSecretKey: config.secretKeyPrevious,
    pgPoolSize: PG_POOL_SIZE,
  });
  const registry = new Registry(store);
  await registry.reload();
  const outbound = new OutboundClient({
    policy: OutboundPolicy.of(config),
    maxExchangeMs: config.deliveryTimeoutMs,
  });
  const metrics = new RelayedMetrics();
  const worker = new DeliveryWorker({
    store,
    registry,
    outbound,
    config,
    log,
    metrics,
    onSubscriptionDisabled: async () => {
      await registry.reload();
      tell({ type: 'subscriptionDisabled' });
    },
  });
  const engine = new LocalDeliveryEngine(store, worker, log);
  worker.start();
  return { store, registry, outbound, metrics, engine };
}

let parts: Awaited<ReturnType<typeof start>> | undefined;
const early: ToThread[] = [];

async function handle(message: ToThread): Promise<void> {
  if (parts === undefined) {
    early.push(message);
    return;
  }
  const { store, registry, outbound, metrics, engine } = parts;
  switch (message.type) {
    case 'write':
      engine.write(message.batch).then(
        // What the hub needs of the outcomes; the leased deliveries stay here.
        (outcomes) => {
          const duplicates: Array<[number, EventRecord]> = [];
          outcomes.forEach((outcome, i) => outcome.duplicate && duplicates.push([i, outcome.earlier!]));
          tell({ type: 'written', id: message.id, duplicates });
        },
        (err: unknown) => {
          log.error({ err }, 'writing published events failed');
          tell({ type: 'writeFailed', id: message.id, message: (err as Error).message });
        },
      );
      break;
    case 'wake':
      engine.deliveriesChanged();
      break;
    case 'registry':
      registry.reload().catch((err: unknown) => log.error({ err }, 'reloading the registry failed'));
      break;
    case 'stop':
      await engine.stop(message.graceMs);
      metrics.flush();
      tell({ type: 'stopped' });
      break;
    case 'close':
      await engine.close();
      await outbound.close();
      await store.close();
      tell({ type: 'closed' });
      port.close();
      break;
  }
}

port.on('message', (message: ToThread) => {
  handle(message).catch((err: unknown) => log.error({ err, message: message.type }, 'the delivery thread failed to handle a message'));
});

start().then(
  (started) => {
    parts = started;
    tell({ type: 'ready' });
    for (const message of early.splice(0)) void handle(message);
  },
  (err: unknown) => tell({ type: 'startFailed', message: (err as Error).message }),
);
