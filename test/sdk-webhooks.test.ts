/**
 * The SDK's provider and subscriber side: signatures checked against the `standardwebhooks`
 * package in both directions, rotation and tolerance, the envelope, and the handlers on real
 * node:http, Express and Fastify servers (401 on a bad signature, 400 on a bad envelope,
 * webhook-id de-duplication), then the real hub calling an SDK provider and delivering to an
 * SDK subscriber.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createClient,
  createProviderHandler,
  createSubscriberHandler,
  MemoryWebhookIdStore,
  reply,
  signWebhook,
  verifyAndParse,
  verifyWebhook,
  WebhookVerificationError,
  type EventContext,
  type HubRequestHandler,
  type RequestContext,
} from '../packages/sdk/src/index.js';
import { install, registerApp, startHub } from './support/hub.js';
import { until } from './support/wait.js';

const GRADES = '@layers:education:GradeBooks:getRelated';
const ENTRANCE = '@layers:education:Entrance:created';
const COMMUNITY = 'school';
const newSecret = () => 'whsec_' + randomBytes(32).toString('base64');

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

function caughtSync(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (error) {
    return error as WebhookVerificationError;
  }
  throw new Error('expected an error');
}

describe('verification against the standardwebhooks package', () => {
  const secret = newSecret();
  const body = JSON.stringify({ context: { action: GRADES }, secret: 'legacy', data: { é: 'ü' } });
  const now = Math.floor(Date.now() / 1000);

  it('verifies what standardwebhooks signs', () => {
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(now),
      'webhook-signature': new Webhook(secret).sign('msg_1', new Date(now * 1000), body),
    };
    expect(verifyWebhook(headers, body, { signingSecrets: [secret] })).toBe('msg_1');
    expect(verifyWebhook(headers, Buffer.from(body), { signingSecrets: [secret] })).toBe('msg_1');
  });

  it('signs what standardwebhooks verifies', () => {
    const headers = { 'webhook-id': 'msg_2', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook('msg_2', now, body, secret) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('accepts any of several secrets, and a signature list with several entries (rotation)', () => {
    const old = newSecret();
    const signature = `${signWebhook('msg_3', now, body, old)} ${signWebhook('msg_3', now, body, secret)}`;
    const headers = { 'webhook-id': 'msg_3', 'webhook-timestamp': String(now), 'webhook-signature': signature };
    expect(verifyWebhook(headers, body, { signingSecrets: [secret] })).toBe('msg_3');
    expect(verifyWebhook(headers, body, { signingSecrets: [old] })).toBe('msg_3');
    // The app already on the new secret still accepts what only the old one signed.
    const oldOnly = { ...headers, 'webhook-signature': signWebhook('msg_3', now, body, old) };
    expect(verifyWebhook(oldOnly, body, { signingSecrets: [secret, old] })).toBe('msg_3');
  });

  it('refuses a tampered body, another id, another secret, a missing header, a stale or future timestamp', () => {
    // A minute beyond the 300 s tolerance: the clock moves on between `now` and this test (under
    // load, seconds), and a timestamp 301 s ahead came within the tolerance once it had.
    const past = now - 360;
    const future = now + 360;
    const signature = signWebhook('msg_4', now, body, secret);
    const headers = { 'webhook-id': 'msg_4', 'webhook-timestamp': String(now), 'webhook-signature': signature };
    const cases: Array<[Record<string, string>, string, string]> = [
      [headers, body + ' ', 'no valid signature'],
      [{ ...headers, 'webhook-id': 'msg_5' }, body, 'no valid signature'],
      [{ ...headers, 'webhook-signature': signWebhook('msg_4', now, body, newSecret()) }, body, 'no valid signature'],
      [{ ...headers, 'webhook-signature': 'v1,' }, body, 'no valid signature'],
      [{ ...headers, 'webhook-signature': signature.replace('v1,', 'v1a,') }, body, 'no valid signature'],
      [{ 'webhook-id': 'msg_4', 'webhook-timestamp': String(now) }, body, 'missing webhook-id, webhook-timestamp or webhook-signature'],
      [
        { ...headers, 'webhook-timestamp': String(past), 'webhook-signature': signWebhook('msg_4', past, body, secret) },
        body,
        'webhook-timestamp is outside the tolerance',
      ],
      [
        { ...headers, 'webhook-timestamp': String(future), 'webhook-signature': signWebhook('msg_4', future, body, secret) },
        body,
        'webhook-timestamp is outside the tolerance',
      ],
      [{ ...headers, 'webhook-timestamp': `${now}.5` }, body, 'webhook-timestamp is not a number of seconds'],
    ];
    for (const [given, text, message] of cases) {
      const error = caughtSync(() => verifyWebhook(given, text, { signingSecrets: [secret] }));
      expect({ name: error.name, status: error.status, message: error.message }).toEqual({ name: 'WebhookVerificationError', status: 401, message });
    }
    // standardwebhooks refuses the same stale timestamp.
    const stale = { ...headers, 'webhook-timestamp': String(past), 'webhook-signature': signWebhook('msg_4', past, body, secret) };
    expect(() => new Webhook(secret).verify(body, stale)).toThrow();
  });

  it('parses the envelope after the signature, and checks the legacy secret when given', () => {
    const envelope = {
      context: { issuedAt: 'now', action: GRADES, community: COMMUNITY, version: 1, consumer: 'viewer', requestId: 'r' },
      secret: 'legacy',
      data: { user: null },
    };
    const text = JSON.stringify(envelope);
    const headers = { 'webhook-id': 'msg_6', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook('msg_6', now, text, secret) };
    expect(verifyAndParse<RequestContext>(headers, text, { signingSecrets: [secret], secrets: ['legacy', 'next'] })).toEqual({
      ...envelope,
      webhookId: 'msg_6',
    });
    const error = caughtSync(() => verifyAndParse(headers, text, { signingSecrets: [secret], secrets: ['another'] }));
    expect([error.status, error.message]).toEqual([401, "the envelope's secret is not this app's"]);
  });
});

/** A signed POST of `body` to `url`, as the hub sends it. */
async function post(url: string, body: string, secret: string, id = 'msg_' + randomBytes(8).toString('hex')): Promise<{ status: number; body: unknown }> {
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(id, ts, body, secret) },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function listen(listener: RequestListener | Server): Promise<string> {
  const server = typeof listener === 'function' ? createServer(listener) : listener;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const context = { issuedAt: new Date().toISOString(), action: GRADES, community: COMMUNITY, version: 1, consumer: 'viewer', requestId: 'req-1' };

function gradesProvider(signingSecret: string): HubRequestHandler {
  return createProviderHandler<typeof GRADES>(
    { action: GRADES, version: 1, signingSecrets: [signingSecret], secrets: ['legacy'] },
    ({ data, context: ctx }) => {
      if (data.user === undefined) return reply(404, { error: 'no user' });
      return { result: [{ student: data.user.name, course: ctx.community, status: 'current', terms: [] }] };
    },
  );
}

const servers: Record<string, (handler: HubRequestHandler) => Promise<string>> = {
  'node:http': (handler) => listen(handler.node),
  Express: async (handler) => {
    const app = express();
    app.post('/grades', handler.express);
    return (await listen(createServer(app))) + '/grades';
  },
  'Express after express.raw()': async (handler) => {
    const app = express();
    app.post('/grades', express.raw({ type: '*/*' }), handler.express);
    return (await listen(createServer(app))) + '/grades';
  },
  Fastify: async (handler) => {
    const app = Fastify();
    await app.register(handler.fastify('/grades'));
    closers.push(() => app.close());
    return (await app.listen({ port: 0, host: '127.0.0.1' })) + '/grades';
  },
};

describe.each(Object.entries(servers))('provider handler on %s', (_name, start) => {
  it("answers the function's value, 401 on a bad signature or secret, 400 on a bad envelope or action", async () => {
    const secret = newSecret();
    const url = await start(gradesProvider(secret));
    const user = { id: 'u', name: 'Ana', alias: 'ana' };
    const good = JSON.stringify({ context, secret: 'legacy', data: { user } });
    expect(await post(url, good, secret)).toEqual({ status: 200, body: { result: [{ student: 'Ana', course: COMMUNITY, status: 'current', terms: [] }] } });
    expect(await post(url, JSON.stringify({ context, secret: 'legacy', data: {} }), secret)).toEqual({ status: 404, body: { error: 'no user' } });
    expect(await post(url, good, newSecret())).toEqual({ status: 401, body: { error: 'no valid signature' } });
    expect(await post(url, JSON.stringify({ context, secret: 'stolen', data: { user } }), secret)).toEqual({
      status: 401,
      body: { error: "the envelope's secret is not this app's" },
    });
    expect(await post(url, '{"context":', secret)).toEqual({ status: 400, body: { error: 'the body is not JSON' } });
    expect(await post(url, JSON.stringify({ data: { user } }), secret)).toEqual({
      status: 400,
      body: { error: 'the body is not an envelope { context, secret, data }' },
    });
    expect(await post(url, JSON.stringify({ context: { ...context, version: '1' }, secret: 'legacy', data: {} }), secret)).toEqual({
      status: 400,
      body: { error: "the envelope's context lacks action, community, version or issuedAt" },
    });
    expect(await post(url, JSON.stringify({ context: { ...context, action: '@layers:Calendar:getRelated' }, secret: 'legacy', data: {} }), secret)).toEqual({
      status: 400,
      body: { error: `this endpoint serves ${GRADES}, not @layers:Calendar:getRelated` },
    });
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: good });
    expect([unsigned.status, await unsigned.json()]).toEqual([401, { error: 'missing webhook-id, webhook-timestamp or webhook-signature' }]);
  });

  it("answers 500 without the error's text when the function throws", async () => {
    const secret = newSecret();
    const errors: unknown[] = [];
    const handler = createProviderHandler<typeof GRADES>({ action: GRADES, version: 1, signingSecrets: [secret], onError: (e) => errors.push(e) }, () => {
      throw new Error('database password is hunter2');
    });
    const url = await start(handler);
    expect(await post(url, JSON.stringify({ context, secret: 'legacy', data: {} }), secret)).toEqual({
      status: 500,
      body: { error: 'the app failed to handle the request' },
    });
    expect(errors).toEqual([new Error('database password is hunter2')]);
  });
});

describe('subscriber handler', () => {
  const eventContext: EventContext = {
    issuedAt: new Date().toISOString(),
    action: ENTRANCE,
    community: COMMUNITY,
    version: 1,
    publisher: 'erp',
    eventId: 'evt_1',
  };

  it('runs once per webhook-id with a store, and again after a failure', async () => {
    const secret = newSecret();
    const seen: unknown[] = [];
    let fail = true;
    const handler = createSubscriberHandler({ action: ENTRANCE, signingSecrets: [secret], dedupe: new MemoryWebhookIdStore() }, ({ data }) => {
      seen.push(data);
      if (fail) {
        fail = false;
        throw new Error('not now');
      }
    });
    const url = await listen(handler.node);
    const body = JSON.stringify({ context: eventContext, secret: 'legacy', data: { ids: ['ent-1'] } });
    expect((await post(url, body, secret, 'msg_a')).status).toBe(500);
    expect((await post(url, body, secret, 'msg_a')).status).toBe(204);
    expect((await post(url, body, secret, 'msg_a')).status).toBe(204);
    expect(seen).toEqual([{ ids: ['ent-1'] }, { ids: ['ent-1'] }]);
    // A bad signature is refused before the store is touched: the id stays free for the real one.
    expect((await post(url, body, newSecret(), 'msg_b')).status).toBe(401);
    expect((await post(url, body, secret, 'msg_b')).status).toBe(204);
    expect(seen).toHaveLength(3);
  });

  it('the memory store forgets after its TTL and keeps at most maxEntries', async () => {
    let now = 0;
    const store = new MemoryWebhookIdStore({ ttlMs: 1000, maxEntries: 2, now: () => now });
    expect([await store.claim('a'), await store.claim('a'), await store.claim('b'), await store.claim('c')]).toEqual([true, false, true, true]);
    expect(store.size).toBe(2);
    expect(await store.claim('a')).toBe(true); // the oldest was forgotten to make room
    now = 1001;
    expect(await store.claim('b')).toBe(true);
    expect(store.size).toBe(1);
  });
});

describe('with the real hub', () => {
  it('the hub calls an SDK provider and delivers to an SDK subscriber, both verifying', async () => {
    const hub = await startHub();
    closers.push(() => hub.close());
    const received: Array<{ data: unknown; context: EventContext; webhookId: string }> = [];
    // The handlers are made once the hub has issued the secrets; the servers listen before, as the
    // manifests need their URLs.
    const handlers: { grades?: HubRequestHandler; events?: HubRequestHandler } = {};
    const erpUrl = await listen((req, res) => handlers.grades!.node(req, res));
    const monitorUrl = await listen((req, res) => handlers.events!.node(req, res));
    await registerApp(hub, 'erp', {
      services: { responds: [{ action: GRADES, reason: 'x', url: `${erpUrl}/grades` }], publishes: [{ action: ENTRANCE, reason: 'x' }] },
    });
    const viewerToken = await registerApp(hub, 'viewer', { services: { requests: [{ action: GRADES, reason: 'x' }] } });
    await registerApp(hub, 'monitor', { services: { subscribes: [{ action: ENTRANCE, reason: 'x', url: `${monitorUrl}/events` }] } });
    for (const app of ['erp', 'viewer', 'monitor']) await install(hub, COMMUNITY, app);
    const erpSecrets: { signingSecret: string; secret: string } = (await hub.admin('GET', '/apps/erp/secrets')).body;
    const monitorSecrets: { signingSecret: string; secret: string } = (await hub.admin('GET', '/apps/monitor/secrets')).body;
    handlers.grades = createProviderHandler<typeof GRADES>(
      { action: GRADES, version: 1, signingSecrets: [erpSecrets.signingSecret], secrets: [erpSecrets.secret] },
      ({ data, context: ctx }) => ({
        result: [{ student: `${data.user?.name} (${ctx.consumer})`, course: '1A', status: 'current', terms: [] }],
      }),
    );
    handlers.events = createSubscriberHandler(
      { action: ENTRANCE, signingSecrets: [monitorSecrets.signingSecret], secrets: [monitorSecrets.secret], dedupe: new MemoryWebhookIdStore() },
      ({ data, context: ctx, webhookId }) => {
        received.push({ data, context: ctx, webhookId });
      },
    );

    const viewer = createClient({ hubUrl: hub.url, token: viewerToken, community: COMMUNITY });
    const answer = await viewer.call(GRADES, 'erp', { user: { id: 'u', name: 'Ana', alias: 'ana' } });
    expect(answer.result[0]?.student).toBe('Ana (viewer)');

    const erpToken = (await hub.admin('POST', '/apps/erp/tokens')).body.token as string;
    const erp = createClient({ hubUrl: hub.url, token: erpToken, community: COMMUNITY });
    const published = await erp.publish(ENTRANCE, { ids: ['ent-1'] });
    await until(() => received.length === 1, 10_000, 'the delivery');
    expect(received[0]).toMatchObject({
      data: { ids: ['ent-1'] },
      context: { action: ENTRANCE, publisher: 'erp', eventId: published.id, community: COMMUNITY, version: 1 },
    });
    await until(async () => (await hub.admin('GET', `/events/${published.id}`)).text.includes('"status":"delivered"'), 10_000, 'the delivery acknowledged');
  });
});
