/**
 * Publish & subscribe end to end on real loopback subscribers: durable publish, fan-out, signed
 * delivery, timeouts, 410, dead letters, replay, idempotency, coalescing, and who gets nothing.
 * The retry schedule and Retry-After run on a fake clock in delivery-retries.test.ts.
 */
import type { ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { defaultConfig } from '../src/config.js';
import { DeliveryWorker } from '../src/delivery/worker.js';
import { HubMetrics } from '../src/observability/metrics.js';
import { Registry } from '../src/registry/registry.js';
import { OutboundClient } from '../src/relay/http-client.js';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { expectError, expectIdempotencyConflict } from './support/errors.js';
import { startServer, type Received, type TestServer } from './support/servers.js';
import { quiet, until } from './support/wait.js';

const CREATED = '@layers:education:Entrance:created';
const STRICT = '@acme:school:Grades:published';
const HINT = { ids: ['ent-1'], updatedAfter: '2026-11-20T08:00:00Z' };

type Mode = (req: Received, res: ServerResponse) => void;

describe('publish and subscribe', () => {
  let hub: TestHub;
  let subscriber: TestServer;
  let mode: Mode;
  let publisher: string;
  const ok: Mode = (_req, res) => res.writeHead(204).end();

  const publish = (body: unknown, options: { action?: string; token?: string; community?: string; headers?: Record<string, string> } = {}) =>
    hub.send('POST', `/v1/services/publish/${options.action ?? CREATED}`, {
      headers: { authorization: `Bearer ${options.token ?? publisher}`, 'x-community-id': options.community ?? 'school-a', ...options.headers },
      body,
    });
  const deliveriesOf = async (eventId: string) => (await hub.admin('GET', `/events/${eventId}`)).body.deliveries as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const receivedFor = (eventId: string) => subscriber.received.filter((r) => JSON.parse(r.body).context.eventId === eventId);

  beforeAll(async () => {
    subscriber = await startServer((req, res) => mode(req, res));
    hub = await startHub({ retrySchedule: [150, 300], deliveryTimeoutMs: 400 });
    await hub.admin('PUT', `/actions/${STRICT}/versions/1`, {
      kind: 'event',
      title: 'Grades published',
      dataSchema: { type: 'object', required: ['term'], properties: { term: { type: 'string' } } },
    });
    publisher = await registerApp(hub, 'gate', {
      services: {
        publishes: [
          { action: CREATED, reason: 'x' },
          { action: STRICT, reason: 'x' },
        ],
      },
    });
    await registerApp(hub, 'viewer', {
      services: {
        subscribes: [
          { action: CREATED, reason: 'x', url: `${subscriber.url}/viewer` },
          { action: STRICT, reason: 'x', url: `${subscriber.url}/viewer` },
        ],
      },
    });
    await registerApp(hub, 'parents', { approval: 'manual', services: { subscribes: [{ action: CREATED, reason: 'x', url: `${subscriber.url}/parents` }] } });
    await install(hub, 'school-a', 'gate');
    await install(hub, 'school-a', 'viewer');
    await install(hub, 'school-a', 'parents'); // pending approval: gets nothing
    await install(hub, 'school-b', 'gate');
    await install(hub, 'school-b', 'viewer');
  });
  afterAll(async () => {
    await hub.close();
    await subscriber.close();
  });
  beforeEach(() => {
    mode = ok;
    subscriber.received.length = 0;
  });

  it('stores, answers 201, and delivers the signed envelope to each subscriber of the community', async () => {
    const raw = '{"ids": ["ent-1"],  "updatedAfter":"2026-11-20T08:00:00Z"}';
    const answer = await publish(raw);
    expect(answer.status).toBe(201);
    expect(answer.body.id).toMatch(/^evt_/);
    const [received] = await until(() => receivedFor(answer.body.id).length === 1 && receivedFor(answer.body.id));
    expect(received!.url).toBe('/viewer');
    const envelope = JSON.parse(received!.body);
    const secrets = (await hub.admin('GET', '/apps/viewer/secrets')).body;
    expect(envelope).toMatchObject({
      context: { action: CREATED, community: 'school-a', publisher: 'gate', eventId: answer.body.id },
      secret: secrets.secret,
      data: HINT,
    });
    expect(received!.body.endsWith(`"data":${raw}}`)).toBe(true);
    expect(new Webhook(secrets.signingSecret).verify(received!.body, received!.headers as Record<string, string>)).toEqual(envelope);

    const deliveries = await until(async () => {
      const list = await deliveriesOf(answer.body.id);
      return list.every((d) => d.status === 'delivered') && list;
    });
    expect(deliveries.map((d) => d.appId)).toEqual(['viewer']);
    expect(deliveries[0]!.messageId).toBe(received!.headers['webhook-id']);
    expect(deliveries[0]!.history).toEqual([expect.objectContaining({ statusCode: 204, error: null })]);
  });

  it('takes an empty body as null data, valid only where the schema allows it', async () => {
    const answer = await publish(undefined);
    expect(answer.status).toBe(201);
    const [received] = await until(() => receivedFor(answer.body.id).length === 1 && receivedFor(answer.body.id));
    expect(JSON.parse(received!.body).data).toBeNull();
    const strict = await publish(undefined, { action: STRICT });
    expectError(strict, 400, 'InvalidRequest', { error: `the body is empty (read as null) and does not match the schema of event "${STRICT}" version 1` });
  });

  it('refuses bad publishes, and stores nothing for them', async () => {
    const before = (await hub.admin('GET', '/events?limit=1000')).body.items.length;
    expect((await publish({ term: 3 }, { action: STRICT })).body.details[0].pointer).toBe('/term');
    expectError(await publish(HINT, { action: '@acme:Nothing:happened' }), 404, 'NotFound', { error: 'unknown action "@acme:Nothing:happened"' });
    // Publishing to a request action says so, rather than calling it unknown.
    expectError(await publish(HINT, { action: '@layers:education:GradeBooks:getRelated' }), 404, 'NotFound', {
      error: '"@layers:education:GradeBooks:getRelated" is a request action, not an event action: call it with POST /v1/services/call/:action/:provider',
    });
    const viewerToken = (await hub.admin('POST', '/apps/viewer/tokens')).body.token;
    expectError(await publish(HINT, { token: viewerToken }), 403, 'Forbidden');
    expectError(await publish(HINT, { community: 'school-z' }), 403, 'Forbidden');
    expectError(await publish({ ids: ['x'.repeat(1024 * 1024)] }), 413, 'PayloadTooLarge');
    expectError(await publish('{"ids": [', {}), 400, 'InvalidRequest');
    expect((await hub.admin('GET', '/events?limit=1000')).body.items.length).toBe(before);
  });

  it('answers a repeated Idempotency-Key with the first event, without a second one', async () => {
    const first = await publish(HINT, { headers: { 'idempotency-key': 'gate-run-42' } });
    const again = await publish(HINT, { headers: { 'idempotency-key': 'gate-run-42' } });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    const elsewhere = await publish(HINT, { community: 'school-b', headers: { 'idempotency-key': 'gate-run-42' } });
    expect(elsewhere.body.id).not.toBe(first.body.id);
    await until(() => receivedFor(first.body.id).length === 1);
    expect(await quiet(() => receivedFor(first.body.id).length)).toBe(1);
  });

  it('answers 409 to an Idempotency-Key reused for another body, action or version, and stores nothing', async () => {
    const key = { 'idempotency-key': 'gate-run-43' };
    const raw = '{"ids":["ent-1"],"updatedAfter":"2026-11-20T08:00:00Z"}';
    const first = await publish(raw, { headers: key });
    expect(first.status).toBe(201);
    const before = (await hub.admin('GET', '/events?limit=1000')).body.items.length;

    // Other data, the same data written differently, null data, another action: each is another request.
    for (const [body, action] of [
      [{ ids: ['ent-2'], updatedAfter: '2026-11-20T08:00:00Z' }, CREATED],
      ['{"ids": ["ent-1"], "updatedAfter": "2026-11-20T08:00:00Z"}', CREATED],
      [undefined, CREATED],
      [{ term: '2026-1' }, STRICT],
    ] as const) {
      const reused = await publish(body, { action, headers: key });
      expect(reused.status).toBe(409);
      expect(reused.headers['idempotent-replayed']).toBeUndefined();
      expectIdempotencyConflict(reused, 'gate-run-43', first.body.id as string);
    }
    // The same bytes still replay the first answer.
    const replayed = await publish(raw, { headers: key });
    expect(replayed.status).toBe(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual({ id: first.body.id });
    expect((await hub.admin('GET', '/events?limit=1000')).body.items.length).toBe(before);
    expect((await hub.admin('GET', `/events/${first.body.id}`)).body.data).toEqual(HINT);
  });

  it('records timeouts, dead-letters once the schedule is exhausted, and replays with the same webhook-id', async () => {
    mode = () => undefined; // never answers: every attempt times out
    const answer = await publish(HINT);
    const [dead] = await until(async () => {
      const list = await deliveriesOf(answer.body.id);
      return list[0]?.status === 'dead' && list;
    }, 6000);
    expect(dead!.history).toHaveLength(3);
    expect(dead!.history[0].error).toMatch(/^timeout/);
    expect((await hub.admin('GET', '/deliveries?status=dead&app=viewer')).body.items.map((d: { id: string }) => d.id)).toContain(dead!.id);
    const deadMetrics = (await hub.send('GET', '/metrics')).text;
    expect(deadMetrics).toMatch(/^hub_deliveries\{status="dead"\} 1$/m);
    expect(deadMetrics).toMatch(/^hub_delivery_attempts_total\{outcome="dead"\} 1$/m);

    mode = ok;
    subscriber.received.length = 0;
    const replayed = await hub.admin('POST', `/deliveries/${dead!.id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ status: 'pending', attempts: 0, messageId: dead!.messageId });
    const [again] = await until(() => receivedFor(answer.body.id).length === 1 && receivedFor(answer.body.id));
    expect(again!.headers['webhook-id']).toBe(dead!.messageId);
    await until(async () => (await deliveriesOf(answer.body.id))[0]?.status === 'delivered');
    expectError(await hub.admin('POST', '/deliveries/dlv_nothing/replay'), 404, 'NotFound');
    const metrics = (await hub.send('GET', '/metrics')).text;
    expect(metrics).toMatch(/^hub_deliveries\{status="dead"\} 0$/m);
    expect(metrics).toMatch(/^hub_deliveries\{status="pending"\} \d+$/m);
    expect(metrics).toMatch(/^hub_publish_to_delivery_seconds_count \d*[1-9]\d*$/m);
  });

  it('disables a subscription answered 410, and re-enables it on request', async () => {
    mode = (_req, res) => res.writeHead(410).end();
    const answer = await publish(HINT, { community: 'school-b' });
    await until(async () => (await deliveriesOf(answer.body.id))[0]?.status === 'cancelled');
    const later = await publish(HINT, { community: 'school-b' });
    expect(await deliveriesOf(later.body.id)).toEqual([]);
    // Other communities are not affected.
    mode = ok;
    const elsewhere = await publish(HINT);
    await until(() => receivedFor(elsewhere.body.id).length === 1);

    const enable = await hub.admin('POST', `/communities/school-b/installations/viewer/subscriptions/${CREATED}/enable`);
    expect(enable.status).toBe(200);
    const after = await publish(HINT, { community: 'school-b' });
    await until(() => receivedFor(after.body.id).length === 1);
    expectError(await hub.admin('POST', `/communities/school-b/installations/viewer/subscriptions/${CREATED}/enable`), 404, 'NotFound');
  });

  it('lists events and deliveries with filters and pages', async () => {
    const events = await hub.admin('GET', `/events?community=school-a&action=${encodeURIComponent(CREATED)}&publisher=gate&limit=2`);
    expect(events.status).toBe(200);
    expect(events.body.items).toHaveLength(2);
    expect(events.body.items.every((e: { communityId: string }) => e.communityId === 'school-a')).toBe(true);
    const next = await hub.admin('GET', `/events?community=school-a&limit=2&cursor=${events.body.nextCursor}`);
    expect(next.body.items[0].id).not.toBe(events.body.items[0].id);
    expectError(await hub.admin('GET', '/deliveries?status=sideways'), 400, 'InvalidRequest');
    const delivered = await hub.admin('GET', '/deliveries?status=delivered&community=school-a');
    expect(delivered.body.items.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
  });
});

describe('deliveries while no worker runs', () => {
  let hub: TestHub;
  let subscriber: TestServer;
  let token: string;

  beforeAll(async () => {
    subscriber = await startServer((_req, res) => {
      res.writeHead(200).end();
    });
    hub = await startHub({ retrySchedule: [100] }, undefined, { deliver: false });
    token = await registerApp(hub, 'gate', { services: { publishes: [{ action: CREATED, reason: 'x' }] } });
    await registerApp(hub, 'viewer', { services: { subscribes: [{ action: CREATED, reason: 'x', url: `${subscriber.url}/` }] } });
    await install(hub, 'school-a', 'gate');
    await install(hub, 'school-a', 'viewer');
  });
  afterAll(async () => {
    await hub.close();
    await subscriber.close();
  });

  const publish = () =>
    hub.send('POST', `/v1/services/publish/${CREATED}`, { headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a' }, body: HINT });

  it('coalesces pending deliveries of a coalescing action into one carrying the newest event', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await publish()).body.id);
    const pending = (await hub.admin('GET', '/deliveries?status=pending&app=viewer')).body.items;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ eventId: ids[4], coalesced: 4 });

    // A worker of its own on the hub's storage, as another process's would be.
    const registry = new Registry(hub.store);
    await registry.reload();
    const outbound = new OutboundClient();
    const config = defaultConfig({ retrySchedule: [100] });
    const worker = new DeliveryWorker({
      store: hub.store,
      registry,
      outbound,
      config,
      log: pino({ level: 'silent' }),
      metrics: new HubMetrics(),
      onSubscriptionDisabled: () => Promise.resolve(),
    });
    worker.start();
    try {
      await until(() => subscriber.received.length === 1);
      expect(await quiet(() => subscriber.received.length)).toBe(1);
      expect(JSON.parse(subscriber.received[0]!.body).context.eventId).toBe(ids[4]);
    } finally {
      await worker.stop(1000);
      await outbound.close();
    }
  });

  it('cancels pending deliveries at once when the subscriber is uninstalled', async () => {
    const { body } = await publish();
    expect((await hub.admin('DELETE', '/communities/school-a/installations/viewer')).status).toBe(204);
    const [delivery] = (await hub.admin('GET', `/events/${body.id}`)).body.deliveries;
    expect(delivery.status).toBe('cancelled');
    // Uninstalled apps get no new deliveries either.
    const after = await publish();
    expect((await hub.admin('GET', `/events/${after.body.id}`)).body.deliveries).toEqual([]);
  });
});
