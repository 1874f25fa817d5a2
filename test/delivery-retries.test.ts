/**
 * The retry schedule on a fake clock. The delivery worker reads every time from the clock it is
 * given, so the default schedule (5 s, 5 min, … 10 h) runs in the time its attempts take, and each
 * wait can be checked exactly. A hub without a worker of its own takes the publishes and answers
 * the admin API over HTTP; a worker beside it, on the same store and with the test's clock, posts
 * the deliveries to a real subscriber on 127.0.0.1.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryWorker } from '../src/delivery/worker.js';
import { Registry } from '../src/registry/registry.js';
import { publisherAndSubscriber, startHub, type TestHub } from './support/hub.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';
import { quiet, until } from './support/wait.js';
import { testWorker, WORKER_CONFIG } from './support/worker.js';

const CREATED = '@layers:education:Entrance:created';
const HINT = { ids: ['ent-1'], updatedAfter: '2026-11-20T08:00:00Z' };

type Mode = (req: Received, res: ServerResponse) => void;
interface Attempt {
  at: number;
  statusCode: number | null;
}
interface Delivery {
  id: string;
  status: string;
  attempts: number;
  nextAttemptAt: number;
  messageId: string;
  history: Attempt[];
}

describe('retries on a fake clock', () => {
  let hub: TestHub;
  let subscriber: TestServer;
  let worker: DeliveryWorker;
  let mode: Mode;
  let publisher: string;
  // Frozen, and an hour ahead of the wall clock, so the deliveries the hub writes at publish (due
  // at the wall clock's time) are due for the worker at once.
  let clock = Date.now() + 3_600_000;

  const publish = async (): Promise<string> => {
    const answer = await hub.send('POST', `/v1/services/publish/${CREATED}`, {
      headers: { authorization: `Bearer ${publisher}`, 'x-community-id': 'school-a' },
      body: HINT,
    });
    expect(answer.status).toBe(201);
    worker.wake();
    return answer.body.id as string;
  };
  const deliveryOf = async (eventId: string): Promise<Delivery> => {
    const deliveries = (await hub.admin('GET', `/events/${eventId}`)).body.deliveries as Delivery[];
    expect(deliveries).toHaveLength(1);
    return deliveries[0]!;
  };
  /** The delivery once its attempt number `count` is recorded with its outcome. */
  const afterAttempt = (eventId: string, count: number) =>
    until(
      async () => {
        const delivery = await deliveryOf(eventId);
        return delivery.history.length === count && delivery.attempts === count && delivery;
      },
      5000,
      `attempt ${count} of the delivery of ${eventId}`,
    );
  /** Moves the clock to when the delivery is due, and wakes the worker as the passing time would. */
  const reachNextAttempt = (delivery: Delivery) => {
    clock = delivery.nextAttemptAt;
    worker.wake();
  };
  const gaps = (delivery: Delivery) => delivery.history.slice(1).map((attempt, i) => attempt.at - delivery.history[i]!.at);

  beforeAll(async () => {
    subscriber = await startServer((req, res) => mode(req, res));
    hub = await startHub({}, undefined, { deliver: false });
    publisher = await publisherAndSubscriber(hub, CREATED, subscriber.url);
    const registry = new Registry(hub.store);
    await registry.reload();
    worker = testWorker(hub.store, registry, () => clock);
    worker.start();
  });
  afterAll(async () => {
    await worker.stop(1000);
    await hub.close();
    await subscriber.close();
  });
  beforeEach(() => {
    subscriber.received.length = 0;
  });

  it('waits each step of the default schedule, ±20 %, and not a moment less', async () => {
    expect(WORKER_CONFIG.retrySchedule).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    let calls = 0;
    mode = (_req, res) => (++calls < 3 ? json(res, 500, { error: 'busy' }) : res.writeHead(200).end());
    const eventId = await publish();

    const first = await afterAttempt(eventId, 1);
    expect(first.history[0]!.at).toBe(clock);
    expect(first.nextAttemptAt - clock).toBeGreaterThanOrEqual(5_000 * 0.8);
    expect(first.nextAttemptAt - clock).toBeLessThanOrEqual(5_000 * 1.2);
    // Not due yet on the worker's clock: woken, it attempts nothing more.
    worker.wake();
    expect(await quiet(() => subscriber.received.length)).toBe(1);

    reachNextAttempt(first);
    const second = await afterAttempt(eventId, 2);
    reachNextAttempt(second);
    const delivered = await afterAttempt(eventId, 3);

    expect(delivered.status).toBe('delivered');
    expect(delivered.history.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    // Each attempt ran when it fell due on the worker's clock, after the schedule's wait.
    expect(delivered.history.map((a) => a.at)).toEqual([first.history[0]!.at, first.nextAttemptAt, second.nextAttemptAt]);
    const [wait1, wait2] = gaps(delivered);
    expect(wait1).toBeGreaterThanOrEqual(5_000 * 0.8);
    expect(wait2).toBeGreaterThanOrEqual(300_000 * 0.8);
    expect(wait2).toBeLessThanOrEqual(300_000 * 1.2);
    expect(new Set(subscriber.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('dead-letters after the last step, some 27 hours of retries later', async () => {
    mode = (_req, res) => json(res, 503, { error: 'down' });
    const eventId = await publish();
    let delivery = await afterAttempt(eventId, 1);
    for (let count = 2; count <= WORKER_CONFIG.retrySchedule.length + 1; count++) {
      reachNextAttempt(delivery);
      delivery = await afterAttempt(eventId, count);
    }
    expect(delivery.status).toBe('dead');
    expect(delivery.history).toHaveLength(8);
    gaps(delivery).forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(WORKER_CONFIG.retrySchedule[i]! * 0.8);
      expect(wait).toBeLessThanOrEqual(WORKER_CONFIG.retrySchedule[i]! * 1.2);
    });
    const dead = await hub.admin('GET', '/deliveries?status=dead&app=viewer');
    expect(dead.body.items.map((d: { id: string }) => d.id)).toEqual([delivery.id]);
    // Dead is final: woken, even a day later, the worker sends nothing more.
    clock += 86_400_000;
    worker.wake();
    expect(await quiet(() => subscriber.received.length)).toBe(8);
  });

  it('honours Retry-After instead of the schedule', async () => {
    let calls = 0;
    mode = (_req, res) => (++calls === 1 ? res.writeHead(503, { 'retry-after': '120' }).end() : res.writeHead(200).end());
    const eventId = await publish();
    const first = await afterAttempt(eventId, 1);
    expect(first.nextAttemptAt - first.history[0]!.at).toBe(120_000);
    reachNextAttempt(first);
    const delivered = await afterAttempt(eventId, 2);
    expect(delivered.status).toBe('delivered');
    expect(gaps(delivered)).toEqual([120_000]);
  });

  it('waits at least a second when a subscriber answers Retry-After: 0', async () => {
    let calls = 0;
    mode = (_req, res) => (++calls < 3 ? res.writeHead(503, { 'retry-after': '0' }).end() : res.writeHead(200).end());
    const eventId = await publish();
    let delivery = await afterAttempt(eventId, 1);
    for (const count of [2, 3]) {
      reachNextAttempt(delivery);
      delivery = await afterAttempt(eventId, count);
    }
    // The schedule's 5 s and 5 min replaced by the subscriber's 0, floored at 1 s.
    expect(delivery.history.map((a) => a.statusCode)).toEqual([503, 503, 200]);
    expect(gaps(delivery)).toEqual([1000, 1000]);
  });
});
