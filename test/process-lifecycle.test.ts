/**
 * The hub as a real child process around deliveries: stopped with SIGTERM while a delivery is in
 * flight, it waits for the subscriber's answer, records the attempt and exits 0; on PostgreSQL,
 * a hub killed with SIGKILL mid-delivery loses nothing, because another hub on the same schema
 * keeps delivering and takes over the dead one's deliveries once their leases expire.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TEST_SECRET_KEY_TEXT } from './support/hub.js';
import { spawnHub, stopAll, type HubProcess } from './support/process.js';
import { startServer, type Received, type TestServer } from './support/servers.js';
import { freshRequest } from './support/fresh-request.js';
import { until } from './support/wait.js';

const ADMIN_TOKEN = 'lifecycle-admin-token-0123456789';
const HAPPENED = '@test:lifecycle:Thing:happened';
const COMMUNITY = 'lifecycle-school';

const dirs: string[] = [];
const servers: TestServer[] = [];

afterEach(async () => {
  await stopAll();
});

afterAll(async () => {
  await stopAll();
  await Promise.all(servers.map((s) => s.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-lifecycle-'));
  dirs.push(dir);
  return dir;
}

/** A subscriber that holds every request until `release()`, then acknowledges them all. */
async function holdingSubscriber(): Promise<{ server: TestServer; release(): void }> {
  const held: ServerResponse[] = [];
  let holding = true;
  const server = await startServer((_req: Received, res) => {
    if (holding) held.push(res);
    else res.writeHead(204).end();
  });
  servers.push(server);
  return {
    server,
    release() {
      holding = false;
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(204).end();
    },
  };
}

function ok<T extends { status: number; text: string }>(answer: T, what: string): T {
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer;
}

/** The event action, a publisher and a subscriber installed in the community; the publisher's token. */
async function setUp(hub: HubProcess, subscriberUrl: string): Promise<string> {
  ok(await hub.admin('PUT', `/actions/${HAPPENED}/versions/1`, { kind: 'event', title: 'A thing happened', dataSchema: true }), 'defining the action');
  ok(await hub.admin('PUT', '/apps/gate', { displayName: 'Gate', services: { publishes: [{ action: HAPPENED, reason: 'x' }] } }), 'registering gate');
  ok(
    await hub.admin('PUT', '/apps/viewer', {
      displayName: 'Viewer',
      services: { subscribes: [{ action: HAPPENED, reason: 'x', url: `${subscriberUrl}/events` }] },
    }),
    'registering viewer',
  );
  ok(await hub.admin('PUT', `/communities/${COMMUNITY}`), 'creating the community');
  for (const app of ['gate', 'viewer']) ok(await hub.admin('PUT', `/communities/${COMMUNITY}/installations/${app}`), `installing ${app}`);
  return ok(await hub.admin('POST', '/apps/gate/tokens'), 'a token of gate').body.token as string;
}

const publish = (hub: HubProcess, token: string, n: number) =>
  hub.send('POST', `/v1/services/publish/${HAPPENED}`, { headers: { authorization: `Bearer ${token}`, 'x-community-id': COMMUNITY }, body: { n } });

describe('SIGTERM with a delivery in flight', () => {
  it('waits for the attempt, records it, and exits 0', async () => {
    const subscriber = await holdingSubscriber();
    const dir = tempDir();
    let hub = await spawnHub(dir, ADMIN_TOKEN, { HUB_SHUTDOWN_GRACE: '10s', HUB_RETRY_SCHEDULE: '1h' });
    const token = await setUp(hub, subscriber.server.url);
    const published = ok(await publish(hub, token, 1), 'publishing');
    expect(published.status).toBe(201);
    await until(() => subscriber.server.received.length === 1, 5000, 'the delivery reaching the subscriber');

    hub.child.kill('SIGTERM');
    // The hub stops taking new work while the attempt is still held by the subscriber.
    await until(async () => ['refused', 503].includes(await freshRequest(hub.url, '/healthz')), 5000, 'refusing new connections after SIGTERM');
    expect(hub.child.exitCode).toBeNull();
    subscriber.release();
    expect(await hub.exited, hub.output()).toEqual({ code: 0, signal: null });

    // The attempt was recorded before the exit: delivered, once, and not attempted again.
    hub = await spawnHub(dir, ADMIN_TOKEN, { HUB_RETRY_SCHEDULE: '1h' });
    const event = ok(await hub.admin('GET', `/events/${published.body.id}`), 'reading the event');
    expect(event.body.deliveries).toEqual([
      expect.objectContaining({ eventId: published.body.id, appId: 'viewer', status: 'delivered', attempts: 1, leaseOwner: null }),
    ]);
    const delivery = ok(await hub.admin('GET', `/deliveries/${event.body.deliveries[0].id}`), 'reading the delivery');
    expect(delivery.body.history).toEqual([expect.objectContaining({ statusCode: 204, error: null })]);
    expect(subscriber.server.received).toHaveLength(1);
  }, 60_000);
});

const databaseUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(databaseUrl === undefined || databaseUrl === '')('a hub on PostgreSQL killed with SIGKILL', () => {
  const schema = `test_sigkill_${randomUUID().replace(/-/g, '')}`;

  afterAll(async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('loses nothing: the other hub keeps delivering and takes over its deliveries', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.end();
    // Both processes work in the test's schema, through the connection's startup options.
    const url = new URL(databaseUrl!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    // A 1 s attempt timeout makes the killed hub's leases expire about 16 s later.
    const env = {
      DATABASE_URL: url.toString(),
      HUB_SECRET_KEY: TEST_SECRET_KEY_TEXT,
      HUB_DELIVERY_TIMEOUT: '1s',
      HUB_RETRY_SCHEDULE: '200ms,200ms,200ms',
      HUB_RATE_LIMIT: '0',
    };
    const subscriber = await holdingSubscriber();
    const doomed = await spawnHub(tempDir(), ADMIN_TOKEN, env);
    const survivor = await spawnHub(tempDir(), ADMIN_TOKEN, env);
    const token = await setUp(doomed, subscriber.server.url);
    // The survivor hears of the registrations through LISTEN/NOTIFY.
    await until(async () => (await publish(survivor, token, 0)).status === 201, 10_000, 'the survivor knowing the apps');
    await until(() => subscriber.server.received.length === 1, 10_000, 'the first delivery');

    // Five events published through the doomed hub, their attempts held by the subscriber.
    const before = subscriber.server.received.length;
    const doomedEvents: string[] = [];
    for (let n = 1; n <= 5; n++) doomedEvents.push(ok(await publish(doomed, token, n), `publishing ${n}`).body.id as string);
    await until(() => subscriber.server.received.length >= before + 5, 10_000, 'the doomed hub attempting its deliveries');
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    subscriber.release();

    // The survivor keeps delivering what is published through it…
    const survivorEvent = ok(await publish(survivor, token, 6), 'publishing through the survivor').body.id as string;
    const deliveryOf = async (eventId: string) => (await survivor.admin('GET', `/events/${eventId}`)).body.deliveries[0];
    await until(async () => (await deliveryOf(survivorEvent))?.status === 'delivered', 10_000, 'the survivor delivering its event');
    // …and delivers the dead hub's once their leases have expired.
    for (const eventId of doomedEvents) {
      const delivery = await until(
        async () => {
          const d = await deliveryOf(eventId);
          return d?.status === 'delivered' && d;
        },
        40_000,
        `delivering ${eventId} after the kill`,
      );
      expect(delivery).toMatchObject({ eventId, appId: 'viewer', status: 'delivered', leaseOwner: null });
      const { history } = (await survivor.admin('GET', `/deliveries/${delivery.id}`)).body;
      expect(history.at(-1)).toMatchObject({ statusCode: 204, error: null });
    }
    expect(survivor.child.exitCode).toBeNull();
  }, 90_000);
});
