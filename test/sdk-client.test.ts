/**
 * The SDK's client against the real hub of this repository: discover, call (version, timeout),
 * publish (an Idempotency-Key made for the caller, retried when the answer is lost), typed errors
 * carrying the hub's type, details and requestId, and retries only where they are safe.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, HubApiError, HubConnectionError, type HubClient } from '../packages/sdk/src/index.js';
import { freePort } from './support/port.js';
import { CHANGED, COMMUNITY, ECHO, startEchoSetup, type EchoSetup } from './support/echo-setup.js';
import { install, registerApp, startHub } from './support/hub.js';
import { json, startServer } from './support/servers.js';

/** The echo setup's own actions, as `generateActionTypes` declares a hub's custom actions. */
type EchoActions = {
  [ECHO]: { 1: { kind: 'request'; data: { name: string }; response: { echo: { name: string } } } };
  [CHANGED]: { 1: { kind: 'event'; data: { name: string }; response: never } };
};

const GRADES = '@layers:education:GradeBooks:getRelated';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function echoSetup(overrides: Parameters<typeof startEchoSetup>[0] = {}): Promise<{ setup: EchoSetup; client: HubClient<EchoActions> }> {
  const setup = await startEchoSetup(overrides);
  closers.push(() => setup.close());
  return { setup, client: createClient<EchoActions>({ hubUrl: setup.hub.url, token: setup.token, community: COMMUNITY }) };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('client: discover and call', () => {
  it('discovers the providers and calls one, typed by the action map', async () => {
    const { setup, client } = await echoSetup();
    expect(await client.discover(ECHO)).toEqual([{ id: 'echo', displayName: 'echo', icon: null, versions: [1] }]);
    const answer = await client.call(ECHO, 'echo', { name: 'Ana' }, { version: 1, timeoutMs: 5000, requestId: 'req-sdk-1' });
    expect(answer.echo.name).toBe('Ana');
    const forwarded = setup.provider.received[0]!;
    expect(forwarded.url).toBe('/echo');
    expect(forwarded.headers['x-request-id']).toBe('req-sdk-1');
    expect(JSON.parse(forwarded.body).context).toMatchObject({ action: ECHO, version: 1, community: COMMUNITY, consumer: 'client', requestId: 'req-sdk-1' });
  });

  it('calls a built-in action with its generated types', async () => {
    const hub = await startHub();
    closers.push(() => hub.close());
    const erp = await startServer((_req, res) => json(res, 200, { result: [] }));
    closers.push(() => erp.close());
    await registerApp(hub, 'erp', { services: { responds: [{ action: GRADES, reason: 'x', url: `${erp.url}/grades` }] } });
    const token = await registerApp(hub, 'viewer', { services: { requests: [{ action: GRADES, reason: 'x' }] } });
    for (const app of ['erp', 'viewer']) await install(hub, COMMUNITY, app);
    const client = createClient({ hubUrl: hub.url, token, community: COMMUNITY });
    const grades = await client.call(GRADES, 'erp', { user: { id: 'u-1', name: 'Carla', alias: 'carla' } });
    expect(grades.result).toEqual([]);
  });

  it("throws the hub's error with its type, details and requestId, for a body against the schema", async () => {
    const { setup, client } = await echoSetup();
    // A careless caller: the types say name is a string; JavaScript callers can send anything.
    const error = await caught(client.call(ECHO, 'echo', { name: 42 } as unknown as { name: string }, { requestId: 'req-bad-body' }));
    expect(error).toBeInstanceOf(HubApiError);
    expect({ ...(error as HubApiError).body }).toEqual({
      status: 400,
      type: 'InvalidRequest',
      name: 'Bad Request',
      error: expect.stringMatching(/\S/),
      details: [{ pointer: '/name', message: 'must be string', keyword: 'type' }],
      requestId: 'req-bad-body',
    });
    expect((error as HubApiError).details).toEqual([{ pointer: '/name', message: 'must be string', keyword: 'type' }]);
    expect((error as HubApiError).requestId).toBe('req-bad-body');
    expect(setup.provider.received).toHaveLength(0);
  });

  it('passes the timeout: a slow provider gives ProviderTimeout, tried once', async () => {
    const { setup } = await echoSetup();
    const slow = await startServer(() => undefined); // never answers
    closers.push(() => slow.close());
    await setup.hub.admin('PUT', '/apps/echo', { displayName: 'echo', services: { responds: [{ action: ECHO, reason: 'x', url: `${slow.url}/echo` }] } });
    const client = createClient<EchoActions>({ hubUrl: setup.hub.url, token: setup.token, community: COMMUNITY });
    const error = (await caught(client.call(ECHO, 'echo', { name: 'Ana' }, { timeoutMs: 200 }))) as HubApiError;
    expect(error).toBeInstanceOf(HubApiError);
    expect(error.body).toEqual({
      status: 504,
      type: 'ProviderTimeout',
      name: 'Gateway Timeout',
      error: expect.stringMatching(/\S/),
      requestId: expect.stringMatching(/\S/),
    });
    expect(slow.received).toHaveLength(1);
  });

  it('never retries a call that reached the provider (ProviderError)', async () => {
    const { setup } = await echoSetup();
    const failing = await startServer((_req, res) => json(res, 503, { error: 'down' }));
    closers.push(() => failing.close());
    await setup.hub.admin('PUT', '/apps/echo', { displayName: 'echo', services: { responds: [{ action: ECHO, reason: 'x', url: `${failing.url}/echo` }] } });
    const client = createClient<EchoActions>({ hubUrl: setup.hub.url, token: setup.token, community: COMMUNITY, retries: 3 });
    const error = (await caught(client.call(ECHO, 'echo', { name: 'Ana' }))) as HubApiError;
    expect(error.type).toBe('ProviderError');
    expect(error.provider).toEqual({ status: 503, body: { error: 'down' } });
    expect(failing.received).toHaveLength(1);
  });

  it('retries a 429 after its Retry-After, and gives the error when retries are off', async () => {
    const { setup } = await echoSetup({ rateLimitPerSecond: 1 });
    const noRetry = createClient<EchoActions>({ hubUrl: setup.hub.url, token: setup.token, community: COMMUNITY, retries: 0 });
    // Burst of 2: the third request in the same second is refused before forwarding.
    await noRetry.call(ECHO, 'echo', { name: 'a' });
    await noRetry.call(ECHO, 'echo', { name: 'b' });
    const refused = (await caught(noRetry.call(ECHO, 'echo', { name: 'c' }))) as HubApiError;
    expect(refused.body).toEqual({
      status: 429,
      type: 'TooManyRequests',
      name: 'Too Many Requests',
      error: expect.stringMatching(/\S/),
      requestId: expect.stringMatching(/\S/),
    });
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    const retrying = createClient<EchoActions>({ hubUrl: setup.hub.url, token: setup.token, community: COMMUNITY, retries: 3 });
    expect(await retrying.call(ECHO, 'echo', { name: 'd' })).toEqual({ echo: { name: 'd' } });
    // Each forwarded call reached the provider once: the refused ones never did.
    expect(setup.provider.received.map((r) => JSON.parse(r.body).data.name)).toEqual(['a', 'b', 'd']);
  });

  it('a hub that does not answer gives a HubConnectionError with the request id sent', async () => {
    // A port nothing listens on: connections to it are refused.
    const port = await freePort();
    const client = createClient<EchoActions>({ hubUrl: `http://127.0.0.1:${port}`, token: 'hub_x', community: COMMUNITY, retries: 0 });
    const error = (await caught(client.call(ECHO, 'echo', { name: 'Ana' }, { requestId: 'req-nowhere' }))) as HubConnectionError;
    expect(error).toBeInstanceOf(HubConnectionError);
    // The hub's URL and the system's reason, not fetch's bare "fetch failed".
    expect(error.message).toBe(
      `POST http://127.0.0.1:${port}/v1/services/call/${encodeURIComponent(ECHO)}/echo: no answer: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(error.requestId).toBe('req-nowhere');
    expect(error.timedOut).toBe(false);
  });

  it('an unknown token is a typed Unauthorized', async () => {
    const { setup } = await echoSetup();
    const client = createClient<EchoActions>({ hubUrl: setup.hub.url, token: 'hub_not-a-token', community: COMMUNITY });
    const error = (await caught(client.discover(ECHO))) as HubApiError;
    expect(error.body).toEqual({
      status: 401,
      type: 'Unauthorized',
      name: 'Unauthorized',
      error: expect.stringMatching(/\S/),
      requestId: expect.stringMatching(/\S/),
    });
  });
});

describe('client: publish', () => {
  it("publishes with an Idempotency-Key made for the caller, or the caller's own", async () => {
    const { setup, client } = await echoSetup();
    const first = await client.publish(CHANGED, { name: 'Ana' });
    expect(first.id).toMatch(/^evt_/);
    expect(first.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    const again = await client.publish(CHANGED, { name: 'Ana' }, { idempotencyKey: first.idempotencyKey });
    expect(again.id).toBe(first.id);
    const conflict = (await caught(client.publish(CHANGED, { name: 'Bia' }, { idempotencyKey: first.idempotencyKey }))) as HubApiError;
    expect(conflict.body).toEqual({
      status: 409,
      type: 'Conflict',
      name: 'Conflict',
      error: expect.stringContaining(first.idempotencyKey),
      details: [{ pointer: '/headers/idempotency-key', message: 'was used with another action, version or body' }],
      requestId: expect.stringMatching(/\S/),
    });
    const events = await setup.hub.admin('GET', '/events');
    expect(events.body.items).toHaveLength(1);
  });

  it('retries a publish whose answer was lost, with the same key: the event is stored once', async () => {
    const { setup } = await echoSetup();
    // A proxy that forwards the first request to the hub and then cuts the connection before
    // answering, as a network failure after the hub stored the event would.
    let requests = 0;
    const proxy = await startProxy(setup.hub.url, () => ++requests === 1);
    closers.push(() => proxy.close());
    const client = createClient<EchoActions>({ hubUrl: proxy.url, token: setup.token, community: COMMUNITY, retries: 2 });
    const published = await client.publish(CHANGED, { name: 'Ana' });
    expect(requests).toBe(2);
    const events = await setup.hub.admin('GET', '/events');
    expect(events.body.items.map((e: { id: string }) => e.id)).toEqual([published.id]);
  });

  it('never retries a call whose answer was lost', async () => {
    const { setup } = await echoSetup();
    let requests = 0;
    const proxy = await startProxy(setup.hub.url, () => ++requests === 1);
    closers.push(() => proxy.close());
    const client = createClient<EchoActions>({ hubUrl: proxy.url, token: setup.token, community: COMMUNITY, retries: 2 });
    expect(await caught(client.call(ECHO, 'echo', { name: 'Ana' }))).toBeInstanceOf(HubConnectionError);
    expect(requests).toBe(1);
    expect(setup.provider.received).toHaveLength(1);
  });
});

/** An HTTP proxy to `target`; when `dropAnswer()` is true for a request, it forwards it, waits for
 * the hub's answer, and destroys the client's connection instead of answering. */
async function startProxy(target: string, dropAnswer: () => boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const drop = dropAnswer();
    const upstream = httpRequest(target + req.url, { method: req.method, headers: req.headers }, (answer) => {
      if (drop) {
        answer.resume();
        answer.on('end', () => res.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
