/**
 * Two hub processes sharing one PostgreSQL schema (two hubs in this process, each with its own
 * store, pool, listener and port): registry changes reach the other hub, calls and publishes work
 * through either, each delivery is attempted by one hub at a time, a hub that stops loses nothing,
 * and an Idempotency-Key holds across hubs. Runs only when TEST_DATABASE_URL is set, in a random
 * schema dropped at the end.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinCatalog } from '../src/catalog/builtin.js';
import type { HubConfig } from '../src/config.js';
import type { DeliveryRecord } from '../src/delivery/types.js';
import { startHub, type Answer, type TestHub } from './support/hub.js';
import { expectError } from './support/errors.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const databaseUrl = process.env.TEST_DATABASE_URL;

const GRADES = '@layers:education:GradeBooks:getRelated';
const GRADEBOOK = loadBuiltinCatalog().find((a) => a.id === GRADES)!.examples.response!.valid[0] as { result: unknown[] };
const USER = { user: { id: 'u-1', name: 'Ana Souza', alias: 'ana' } };
/** An event action defined for this test, explicitly not coalescing: one delivery per event. */
const OPENED = '@acme:test:Ticket:opened';
const COMMUNITY = 'school-a';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type DeliveryView = DeliveryRecord & { history: Array<{ statusCode: number | null; error: string | null }> };

describe.skipIf(databaseUrl === undefined || databaseUrl === '')('two hubs sharing PostgreSQL', () => {
  const schema = `test_hubs_${randomUUID().replace(/-/g, '')}`;
  const config: Partial<HubConfig> = { retrySchedule: [50, 100, 200], deliveryTimeoutMs: 2000, shutdownGraceMs: 5000, rateLimitPerSecond: 0 };
  let a: TestHub;
  let b: TestHub;
  let aRunning = false;
  let provider: TestServer;
  let subscriber: TestServer;
  let viewer: string;
  let gate: string;

  // What the subscriber saw, by webhook-id: attempts made, attempts under way, 2xx answers given.
  const attempts = new Map<string, number>();
  const inFlight = new Set<string>();
  const overlaps: string[] = [];
  const acknowledged = new Map<string, number>();
  /** Event id → webhook-id, from every request the subscriber received. */
  const messageOf = new Map<string, string>();
  let subscriberDelayMs = () => Math.floor(Math.random() * 10);
  let distinct = 0;
  /** Some deliveries fail once or twice with 500 (fewer than the three retries), so they retry. */
  const failuresFor = new Map<string, number>();

  async function onDelivery(req: Received, res: ServerResponse): Promise<void> {
    const id = req.headers['webhook-id'] as string;
    const eventId = (JSON.parse(req.body) as { context: { eventId: string } }).context.eventId;
    messageOf.set(eventId, id);
    if (inFlight.has(id)) overlaps.push(id);
    inFlight.add(id);
    if (!failuresFor.has(id)) {
      distinct++;
      failuresFor.set(id, distinct % 7 === 0 ? 2 : distinct % 4 === 0 ? 1 : 0);
    }
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    await sleep(subscriberDelayMs());
    const fail = attempt <= failuresFor.get(id)!;
    if (!fail) acknowledged.set(id, (acknowledged.get(id) ?? 0) + 1);
    // Done before the answer leaves: the hub cannot start another attempt before it has it.
    inFlight.delete(id);
    if (fail) json(res, 500, { error: 'try again' });
    else res.writeHead(200).end();
  }

  const call = (hub: TestHub, options: { token?: string; requestId?: string } = {}) =>
    hub.send('POST', `/v1/services/call/${GRADES}/erp?version=1`, {
      headers: {
        authorization: `Bearer ${options.token ?? viewer}`,
        'x-community-id': COMMUNITY,
        ...(options.requestId !== undefined && { 'x-request-id': options.requestId }),
      },
      body: USER,
    });

  const publish = (hub: TestHub, n: number, headers: Record<string, string> = {}) =>
    hub.send('POST', `/v1/services/publish/${OPENED}`, {
      headers: { authorization: `Bearer ${gate}`, 'x-community-id': COMMUNITY, ...headers },
      body: { n },
    });

  const deliveriesOf = async (eventIds: Set<string>): Promise<DeliveryView[]> => {
    const answer = await b.admin('GET', `/deliveries?action=${encodeURIComponent(OPENED)}&limit=1000`);
    expect(answer.status).toBe(200);
    return (answer.body.items as DeliveryView[]).filter((d) => eventIds.has(d.eventId));
  };

  /** Waits until every event has its one delivery delivered, then checks how it went. */
  async function expectAllDelivered(eventIds: Set<string>, timeoutMs: number): Promise<DeliveryView[]> {
    const deliveries = await until(
      async () => {
        const list = await deliveriesOf(eventIds);
        return list.length === eventIds.size && list.every((d) => d.status !== 'pending') && list;
      },
      timeoutMs,
      'every delivery settled',
    );
    expect(deliveries.filter((d) => d.status !== 'delivered')).toEqual([]);
    expect(new Set(deliveries.map((d) => d.eventId))).toEqual(eventIds);
    for (const delivery of deliveries) {
      // The subscriber got this event under this delivery's webhook-id and acknowledged it once;
      // every attempt it saw is in the history, failures first.
      expect(messageOf.get(delivery.eventId)).toBe(delivery.messageId);
      expect(acknowledged.get(delivery.messageId)).toBe(1);
      const failures = failuresFor.get(delivery.messageId)!;
      expect(delivery.history.map((h) => h.statusCode)).toEqual([...Array<number>(failures).fill(500), 200]);
      expect(delivery.attempts).toBe(failures + 1);
      expect(delivery.leaseOwner).toBeNull();
    }
    expect(overlaps).toEqual([]);
    return deliveries;
  }

  /** Delivery attempts the hub counted, read from its /metrics as Prometheus scrapes it. */
  const attemptsMadeBy = async (hub: TestHub): Promise<number> =>
    (await hub.send('GET', '/metrics')).text
      .split('\n')
      .filter((line) => line.startsWith('hub_delivery_attempts_total{'))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, GRADEBOOK));
    subscriber = await startServer(onDelivery);
    a = await startHub(config, undefined, { databaseUrl, pgSchema: schema });
    aRunning = true;
    b = await startHub(config, undefined, { databaseUrl, pgSchema: schema });
  });

  afterAll(async () => {
    if (aRunning) await a?.close();
    await b?.close();
    await provider?.close();
    await subscriber?.close();
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  });

  describe('registry changes on one hub reach the other', () => {
    it('apps, installations and a token made through A work through B', async () => {
      const put = async (hub: TestHub, path: string, body?: unknown) => {
        const answer = await hub.admin('PUT', path, body);
        expect([200, 201]).toContain(answer.status);
      };
      await put(a, '/apps/viewer', { displayName: 'viewer', services: { requests: [{ action: GRADES, reason: 'show grades' }] } });
      await put(a, '/apps/erp', { displayName: 'erp', services: { responds: [{ action: GRADES, reason: 'grades', url: `${provider.url}/grades` }] } });
      await put(a, `/communities/${COMMUNITY}`);
      await put(a, `/communities/${COMMUNITY}/installations/viewer`);
      await put(a, `/communities/${COMMUNITY}/installations/erp`);
      viewer = (await a.admin('POST', '/apps/viewer/tokens')).body.token as string;
      expect((await call(a)).status).toBe(200);

      const answer = await until(
        async () => {
          const tried = await call(b);
          return tried.status === 200 && tried;
        },
        3000,
        'B accepting the token issued on A',
      );
      expect(answer.body.data).toEqual(GRADEBOOK);
    });

    it('a token revoked on A is refused by B shortly after', async () => {
      const issued = (await a.admin('POST', '/apps/viewer/tokens', { label: 'to revoke' })).body as { id: string; token: string };
      await until(async () => (await call(b, { token: issued.token })).status === 200, 3000, 'B accepting the new token');
      expect((await a.admin('DELETE', `/apps/viewer/tokens/${issued.id}`)).status).toBe(204);
      // A reloaded before it answered; B hears of it.
      expectError(await call(a, { token: issued.token }), 401, 'Unauthorized');
      const refused = await until(
        async () => {
          const tried = await call(b, { token: issued.token });
          return tried.status === 401 && tried;
        },
        3000,
        'B refusing the revoked token',
      );
      expectError(refused, 401, 'Unauthorized');
      // The other token is untouched.
      expect((await call(b)).status).toBe(200);
    });

    it('an app uninstalled through B is refused by A shortly after, and back once reinstalled', async () => {
      expect((await b.admin('DELETE', `/communities/${COMMUNITY}/installations/viewer`)).status).toBe(204);
      expectError(await call(b), 403, 'Forbidden');
      const refused = await until(
        async () => {
          const tried = await call(a);
          return tried.status === 403 && tried;
        },
        3000,
        'A refusing the uninstalled app',
      );
      expectError(refused, 403, 'Forbidden');

      expect((await b.admin('PUT', `/communities/${COMMUNITY}/installations/viewer`)).status).toBe(200);
      await until(async () => (await call(a)).status === 200, 3000, 'A accepting the reinstalled app');
    });
  });

  describe('request & respond', () => {
    it('discovers and calls through each hub, and the audit log holds the calls of both', async () => {
      for (const hub of [a, b]) {
        const found = await hub.send('GET', `/v1/services/discover/${GRADES}`, { headers: { authorization: `Bearer ${viewer}`, 'x-community-id': COMMUNITY } });
        expect(found.status).toBe(200);
        expect(found.body.map((p: { id: string }) => p.id)).toEqual(['erp']);
      }
      const ids = { a: `hub-a-${randomUUID()}`, b: `hub-b-${randomUUID()}` };
      provider.received.length = 0;
      const answers: Answer[] = [await call(a, { requestId: ids.a }), await call(b, { requestId: ids.b })];
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.data).toEqual(GRADEBOOK);
      }
      expect(provider.received.map((r) => JSON.parse(r.body).context.requestId)).toEqual([ids.a, ids.b]);

      // Each hub flushes its own buffer when asked; then either one sees both calls.
      expect((await b.admin('GET', '/calls?consumer=viewer&limit=1000')).status).toBe(200);
      for (const hub of [a, b]) {
        const calls = (await hub.admin('GET', '/calls?consumer=viewer&limit=1000')).body.items as Array<Record<string, unknown>>;
        for (const id of [ids.a, ids.b]) {
          expect(calls.find((c) => c.id === id)).toMatchObject({
            id,
            status: 200,
            provider: 'erp',
            consumer: 'viewer',
            action: GRADES,
            communityId: COMMUNITY,
          });
        }
      }
    });
  });

  describe('publish & subscribe', () => {
    beforeAll(async () => {
      const defined = await a.admin('PUT', `/actions/${OPENED}/versions/1`, {
        kind: 'event',
        title: 'Ticket opened',
        dataSchema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
        coalesce: false,
      });
      expect(defined.status).toBe(201);
      expect((await b.admin('PUT', '/apps/gate', { displayName: 'gate', services: { publishes: [{ action: OPENED, reason: 'x' }] } })).status).toBe(201);
      expect(
        (
          await b.admin('PUT', '/apps/listener', {
            displayName: 'listener',
            services: { subscribes: [{ action: OPENED, reason: 'x', url: `${subscriber.url}/listener` }] },
          })
        ).status,
      ).toBe(201);
      gate = (await b.admin('POST', '/apps/gate/tokens')).body.token as string;
      await b.admin('PUT', `/communities/${COMMUNITY}/installations/gate`);
      await b.admin('PUT', `/communities/${COMMUNITY}/installations/listener`);
      // Both hubs know the action (defined on A) and the installations (made on B).
      for (const hub of [a, b]) {
        await until(
          async () => {
            const action = await hub.admin('GET', `/actions/${OPENED}`);
            const installed = (await hub.admin('GET', `/communities/${COMMUNITY}/installations`)).body as Array<{ app: string; status: string }>;
            return action.status === 200 && ['gate', 'listener'].every((app) => installed.some((i) => i.app === app && i.status === 'installed'));
          },
          3000,
          'both hubs knowing the event action and its apps',
        );
      }
    });

    it('delivers every event published through either hub, one hub at a time per delivery', async () => {
      const before = { a: await attemptsMadeBy(a), b: await attemptsMadeBy(b) };
      const eventIds = new Set<string>();
      const total = 200;
      for (let start = 0; start < total; start += 20) {
        const batch = await Promise.all(Array.from({ length: 20 }, (_, i) => publish((start + i) % 2 === 0 ? a : b, start + i)));
        for (const answer of batch) {
          expect(answer.status).toBe(201);
          eventIds.add(answer.body.id as string);
        }
      }
      expect(eventIds.size).toBe(total);

      const deliveries = await expectAllDelivered(eventIds, 20_000);
      expect(deliveries.some((d) => d.attempts > 1)).toBe(true);
      // Both hubs took part in delivering.
      expect(await attemptsMadeBy(a)).toBeGreaterThan(before.a);
      expect(await attemptsMadeBy(b)).toBeGreaterThan(before.b);
    });

    it('honours an Idempotency-Key across hubs', async () => {
      const key = `run-${randomUUID()}`;
      const first = await publish(a, 1, { 'idempotency-key': key });
      const again = await publish(b, 1, { 'idempotency-key': key });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers['idempotent-replayed']).toBe('true');

      // At the same moment through both hubs: still one event.
      const raced = `race-${randomUUID()}`;
      const [x, y] = await Promise.all([publish(a, 2, { 'idempotency-key': raced }), publish(b, 2, { 'idempotency-key': raced })]);
      expect(x.status).toBe(201);
      expect(y.status).toBe(201);
      expect(y.body.id).toBe(x.body.id);

      const events = (await a.admin('GET', `/events?action=${encodeURIComponent(OPENED)}&limit=1000`)).body.items as Array<{
        id: string;
        idempotencyKey: string | null;
      }>;
      expect(events.filter((e) => e.idempotencyKey === key).map((e) => e.id)).toEqual([first.body.id]);
      expect(events.filter((e) => e.idempotencyKey === raced).map((e) => e.id)).toEqual([x.body.id]);
      await expectAllDelivered(new Set([first.body.id as string, x.body.id as string]), 5000);
    });

    it('loses nothing when one hub stops mid-stream: the other delivers the rest', async () => {
      // A slower subscriber, so deliveries are still pending (and some in flight at A) when A stops.
      subscriberDelayMs = () => 20 + Math.floor(Math.random() * 20);
      const eventIds = new Set<string>();
      const first = await Promise.all(Array.from({ length: 60 }, (_, i) => publish(i % 2 === 0 ? a : b, 1000 + i)));
      for (const answer of first) {
        expect(answer.status).toBe(201);
        eventIds.add(answer.body.id as string);
      }
      const counts = await b.store.countOpenDeliveries();
      expect(counts.pending).toBeGreaterThan(0);

      const owner = a.hub.worker!.owner;
      aRunning = false;
      await a.close();
      // A released what it held; nothing stays leased to a hub that is gone.
      const pending = (await b.store.listDeliveries({ status: 'pending', limit: 1000 })).filter((d) => d.leaseOwner === owner);
      expect(pending).toEqual([]);

      for (let i = 0; i < 40; i++) {
        const answer = await publish(b, 2000 + i);
        expect(answer.status).toBe(201);
        eventIds.add(answer.body.id as string);
      }
      await expectAllDelivered(eventIds, 20_000);
    });
  });
});
