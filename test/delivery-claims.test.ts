/**
 * When the delivery worker claims. A hub without a worker of its own takes the publishes, so every
 * delivery is left for the claims; a worker beside it, on the same store (its claims counted),
 * posts them to a real subscriber on 127.0.0.1. A claim that found less than it asked for took all
 * that was due: the attempts finishing after it free slots for nothing, and must not send the
 * worker back to the store to find nothing, once per attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryWorker } from '../src/delivery/worker.js';
import { Registry } from '../src/registry/registry.js';
import type { Store } from '../src/store/store.js';
import { publisherAndSubscriber, startHub, type TestHub } from './support/hub.js';
import { startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';
import { testWorker } from './support/worker.js';

const HAPPENED = '@test:Thing:happened';

describe('claims of the delivery worker', () => {
  let hub: TestHub;
  let subscriber: TestServer;
  let worker: DeliveryWorker;
  let publisher: string;
  let claims = 0;

  /** The hub's store, its claims counted. */
  const counted = (store: Store): Store =>
    new Proxy(store, {
      get(target, key) {
        if (key === 'claimDeliveries') {
          return (query: Parameters<Store['claimDeliveries']>[0]) => {
            claims++;
            return target.claimDeliveries(query);
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const publish = async (n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const answer = await hub.send('POST', `/v1/services/publish/${HAPPENED}`, {
        headers: { authorization: `Bearer ${publisher}`, 'x-community-id': 'school-a' },
        body: { n: i },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      ids.push(answer.body.id as string);
    }
    return ids;
  };
  const statusOf = async (eventId: string) => ((await hub.admin('GET', `/events/${eventId}`)).body.deliveries as Array<{ status: string }>)[0]?.status;

  beforeAll(async () => {
    subscriber = await startServer((_req, res) => {
      res.writeHead(204).end();
    });
    hub = await startHub({}, undefined, { deliver: false });
    const defined = await hub.admin('PUT', `/actions/${HAPPENED}/versions/1`, {
      kind: 'event',
      title: 'Something happened',
      dataSchema: { type: 'object', properties: { n: { type: 'integer' } } },
      coalesce: false,
    });
    expect(defined.status, JSON.stringify(defined.body)).toBeLessThan(300);
    publisher = await publisherAndSubscriber(hub, HAPPENED, subscriber.url);
    const registry = new Registry(hub.store);
    await registry.reload();
    worker = testWorker(counted(hub.store), registry);
  });
  afterAll(async () => {
    await worker.stop(1000);
    await hub.close();
    await subscriber.close();
  });

  it('claims a batch once, not again for each attempt that finishes, and claims what comes next', async () => {
    // More than a subscriber's limit of attempts at once (16): some wait for a slot in hand.
    const first = await publish(40);
    const started = Date.now();
    worker.start();
    for (const id of first) await until(async () => (await statusOf(id)) === 'delivered', 5000, `the delivery of ${id}`);
    // One claim took all 40; the 40 attempts finishing after it claimed nothing more. Only the
    // worker's poll, once a second, claims again (for other processes' work and lost leases).
    expect(claims).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / 1000));
    expect(subscriber.received).toHaveLength(40);

    // Work published later is claimed once woken, as a publish or another process wakes it.
    const before = claims;
    const [next] = await publish(1);
    worker.wake();
    await until(async () => (await statusOf(next!)) === 'delivered', 5000, 'the delivery published later');
    expect(claims).toBeGreaterThan(before);
    expect(subscriber.received).toHaveLength(41);
  });
});
