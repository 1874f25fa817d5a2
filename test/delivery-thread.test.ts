/**
 * The delivery engine on its own thread (docs/adr/0022), in the hub's real process: publishes
 * written and deliveries attempted there, its metrics counted in the hub's `/metrics`, a 410 that
 * disables a subscription seen by the main loop's registry, registry changes reaching the thread.
 * And the race the thread made common: a worker whose registry was read before the subscriber
 * was installed reads it again instead of cancelling the delivery.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryWorker } from '../src/delivery/worker.js';
import { Registry } from '../src/registry/registry.js';
import { publisherAndSubscriber, startHub, type TestHub } from './support/hub.js';
import { expectIdempotencyConflict } from './support/errors.js';
import { spawnHub, stopAll, type HubProcess } from './support/process.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';
import { testWorker } from './support/worker.js';

const CREATED = '@layers:education:Entrance:created';
const HINT = { ids: ['ent-1'], updatedAfter: '2026-11-20T08:00:00Z' };
const ADMIN = 'thread-test-admin-token';

type Mode = (req: Received, res: ServerResponse) => void;

describe('the delivery thread of the hub process', () => {
  let dir: string;
  let hub: HubProcess;
  let subscriber: TestServer;
  let mode: Mode = (_req, res) => res.writeHead(204).end();
  let token: string;

  const register = async (id: string, manifest: Record<string, unknown>): Promise<void> => {
    expect((await hub.admin('PUT', `/apps/${id}`, { displayName: id, ...manifest })).status).toBeLessThan(300);
    expect((await hub.admin('PUT', `/communities/school-a/installations/${id}`)).status).toBeLessThan(300);
  };
  const publish = async (): Promise<string> => {
    const answer = await hub.send('POST', `/v1/services/publish/${CREATED}`, {
      headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a' },
      body: HINT,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.id as string;
  };
  const deliveriesOf = async (eventId: string) => (await hub.admin('GET', `/events/${eventId}`)).body.deliveries as Array<{ appId: string; status: string }>;
  const metric = async (line: RegExp): Promise<number> => {
    const text = (await hub.send('GET', '/metrics')).text;
    const match = line.exec(text);
    return match === null ? 0 : Number(match[1]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-thread-'));
    subscriber = await startServer((req, res) => mode(req, res));
    hub = await spawnHub(dir, ADMIN);
    expect((await hub.admin('PUT', '/communities/school-a')).status).toBeLessThan(300);
    await register('gate', { services: { publishes: [{ action: CREATED, reason: 'x' }] } });
    token = (await hub.admin('POST', '/apps/gate/tokens', { label: 'test' })).body.token as string;
  });
  afterAll(async () => {
    await stopAll();
    await subscriber.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    subscriber.received.length = 0;
    mode = (_req, res) => res.writeHead(204).end();
  });

  it('starts the thread with the first subscription, delivers, and counts the attempt in /metrics', async () => {
    await register('viewer', { services: { subscribes: [{ action: CREATED, reason: 'x', url: `${subscriber.url}/viewer` }] } });
    const before = await metric(/^hub_delivery_attempts_total\{outcome="delivered"\} (\d+)$/m);
    const eventId = await publish();

    await until(() => subscriber.received.length === 1, 5000, 'the delivery');
    expect(subscriber.received[0]!.url).toBe('/viewer');
    expect(JSON.parse(subscriber.received[0]!.body)).toMatchObject({ context: { eventId, action: CREATED, community: 'school-a' }, data: HINT });
    await until(async () => (await deliveriesOf(eventId))[0]?.status === 'delivered', 5000, 'the delivery recorded');
    // Relayed from the thread to the main loop's registry of metrics.
    await until(async () => (await metric(/^hub_delivery_attempts_total\{outcome="delivered"\} (\d+)$/m)) === before + 1, 5000, 'the attempt counted');
    expect(await metric(/^hub_publish_to_delivery_seconds_count (\d+)$/m)).toBeGreaterThanOrEqual(1);
  });

  it('disables a subscription answered 410 in every part of the process', async () => {
    await register('leaver', { services: { subscribes: [{ action: CREATED, reason: 'x', url: `${subscriber.url}/leaver` }] } });
    mode = (req, res) => (req.url === '/leaver' ? json(res, 410, { error: 'gone' }) : res.writeHead(204).end());
    const first = await publish();
    await until(async () => (await deliveriesOf(first)).find((d) => d.appId === 'leaver')?.status === 'cancelled', 5000, 'the 410 recorded');
    // The main loop's registry knows: the next publish writes no delivery to it.
    await until(
      async () => {
        const second = await publish();
        return (await deliveriesOf(second)).every((d) => d.appId !== 'leaver');
      },
      5000,
      'no delivery to the app that answered 410',
    );
  });

  it('answers replays of an Idempotency-Key written in the same batch as new events', async () => {
    const send = (key: string, body: unknown = HINT) =>
      hub.send('POST', `/v1/services/publish/${CREATED}`, {
        headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a', 'idempotency-key': key },
        body,
      });
    const first = await send('thread-key-1');
    expect(first.status).toBe(201);
    // Sent together, so they share a commit: two replays of the first key between new keys, and
    // one reuse of the key for another body.
    const answers = await Promise.all([
      send('thread-key-2'),
      send('thread-key-1'),
      send('thread-key-3'),
      send('thread-key-1'),
      send('thread-key-1', { ids: ['ent-2'] }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 409]);
    const [second, replay, third, replayAgain, reused] = answers;
    expect(replay.body).toEqual({ id: first.body.id });
    expect(replayAgain.body).toEqual({ id: first.body.id });
    expect([replay.headers['idempotent-replayed'], replayAgain.headers['idempotent-replayed']]).toEqual(['true', 'true']);
    expect(new Set([first.body.id, second.body.id, third.body.id]).size).toBe(3);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expectIdempotencyConflict(reused, 'thread-key-1', first.body.id as string);
    for (const answer of [second, third]) expect((await hub.admin('GET', `/events/${answer.body.id as string}`)).status).toBe(200);
  });

  it('stops cleanly on SIGTERM: exit 0, "stopped" after the thread is done', async () => {
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toEqual({ code: 0, signal: null });
    expect(hub.output()).not.toMatch(/"level":(50|60)/);
  });
});

describe('a worker whose registry is older than the event', () => {
  let hub: TestHub;
  let subscriber: TestServer;
  let worker: DeliveryWorker | undefined;

  beforeAll(async () => {
    subscriber = await startServer((_req, res) => void res.writeHead(204).end());
    hub = await startHub({}, undefined, { deliver: false });
  });
  afterAll(async () => {
    await worker?.stop(1000);
    await hub.close();
    await subscriber.close();
  });

  it('reads the registry again and delivers, instead of cancelling as if the subscriber had left', async () => {
    // Read before the subscriber exists, as a thread or another process may still hold it when
    // the change's notice has not reached it yet.
    const registry = new Registry(hub.store);
    await registry.reload();
    const publisher = await publisherAndSubscriber(hub, CREATED, subscriber.url);
    const answer = await hub.send('POST', `/v1/services/publish/${CREATED}`, {
      headers: { authorization: `Bearer ${publisher}`, 'x-community-id': 'school-a' },
      body: HINT,
    });
    expect(answer.status).toBe(201);
    expect(registry.current.apps.has('viewer')).toBe(false);

    worker = testWorker(hub.store, registry);
    worker.start();
    await until(() => subscriber.received.length === 1, 5000, 'the delivery');
    expect(subscriber.received[0]!.url).toBe('/viewer');
    const statusOf = async () => ((await hub.admin('GET', `/events/${answer.body.id as string}`)).body.deliveries as Array<{ status: string }>)[0]!.status;
    await until(async () => (await statusOf()) === 'delivered', 5000, 'the delivery recorded as delivered');
  });
});
