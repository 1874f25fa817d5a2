/**
 * What a caller chooses must not grow the hub: made-up action, provider and community ids and
 * paths add no metric series, and requests failing before the caller is authenticated add no
 * audit rows (they are counted by reason instead); an event payload has its own size limit,
 * apart from a call's. Over HTTP against a real hub and provider.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../src/config.js';
import { install, registerApp, startHub, type Answer, type TestHub } from './support/hub.js';
import { json, startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const GRADES = '@layers:education:GradeBooks:getRelated';
const CREATED = '@layers:education:Entrance:created';
const USER = { user: { id: 'u-1', name: 'Ana Souza', alias: 'ana' } };

/** The hub's own series in a /metrics text (the process metrics of prom-client vary by themselves). */
function hubSeries(metrics: string): string[] {
  return metrics.split('\n').filter((line) => line.startsWith('hub_'));
}

describe('growth a caller controls', () => {
  let hub: TestHub;
  let provider: TestServer;
  let viewer: string;
  let gate: string;

  const call = (action: string, providerId: string, options: { token?: string; community?: string } = {}) =>
    hub.send('POST', `/v1/services/call/${action}/${providerId}?version=1`, {
      headers: {
        ...(options.token !== '' && { authorization: `Bearer ${options.token ?? viewer}` }),
        'x-community-id': options.community ?? 'school-a',
      },
      body: USER,
    });

  /** Every kind of request whose ids the caller makes up, with `n` in each id. */
  const madeUp = (n: number): Promise<Answer>[] => [
    call(GRADES, `no-such-erp-${n}`),
    call(`@made:Up${n}:get`, `erp-${n}`),
    call(GRADES, 'erp', { community: `nowhere-${n}` }),
    call(`@made:Up${n}:get`, `erp-${n}`, { token: '' }),
    call(GRADES, `erp-${n}`, { token: `hub_forged_${n}` }),
    hub.send('POST', `/v1/services/publish/@made:Up${n}:happened`, { headers: { authorization: `Bearer ${gate}`, 'x-community-id': 'school-a' }, body: {} }),
    hub.send('POST', `/v1/services/publish/@made:Up${n}:happened`, { headers: { 'x-community-id': `c-${n}` }, body: {} }),
    hub.send('GET', `/v1/services/discover/@made:Up${n}:get`, { headers: { authorization: `Bearer ${viewer}`, 'x-community-id': 'school-a' } }),
    hub.send('GET', `/v1/no/such/path/${n}`),
  ];

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, { result: [] }));
    hub = await startHub();
    viewer = await registerApp(hub, 'viewer', { services: { requests: [{ action: GRADES, reason: 'grades' }] } });
    gate = await registerApp(hub, 'gate', { services: { publishes: [{ action: CREATED, reason: 'x' }] } });
    await registerApp(hub, 'erp', { services: { responds: [{ action: GRADES, reason: 'grades', url: `${provider.url}/grades` }] } });
    for (const app of ['viewer', 'gate', 'erp']) await install(hub, 'school-a', app);
  });
  afterAll(async () => {
    await hub.close();
    await provider.close();
  });

  it('keeps the number of metric series whatever ids callers make up', async () => {
    expect((await call(GRADES, 'erp')).status).toBe(200);
    // Once each kind has been seen, its series exist; thousands more made-up ids add none.
    await Promise.all(madeUp(0));
    await hub.send('GET', '/metrics'); // the scrape is itself measured
    const before = hubSeries((await hub.send('GET', '/metrics')).text);
    for (let n = 1; n <= 300; n += 20) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => madeUp(n + i)).flat());
      expect(answers.every((a) => a.status >= 400 && a.status < 500)).toBe(true);
    }
    const metrics = (await hub.send('GET', '/metrics')).text;
    const after = hubSeries(metrics);
    expect(after.map((line) => line.replace(/ \S+$/, ''))).toEqual(before.map((line) => line.replace(/ \S+$/, '')));
    expect(metrics).not.toMatch(/no-such-erp|@made:|nowhere-|no\/such/);
    // Known ids keep their own labels; the others are counted under `unknown`.
    expect(metrics).toContain(`hub_call_duration_seconds_count{action="${GRADES}",provider="erp",outcome="ok"} 1`);
    expect(metrics).toContain(`hub_call_duration_seconds_count{action="${GRADES}",provider="unknown",outcome="NotFound"} 301`);
    expect(metrics).toContain(`hub_call_duration_seconds_count{action="unknown",provider="unknown",outcome="NotFound"} 301`);
    expect(metrics).toContain(`hub_call_duration_seconds_count{action="unknown",provider="unknown",outcome="Forbidden"} 301`);
    expect(metrics).toMatch(/^hub_http_request_duration_seconds_count\{route="unmatched",method="GET",status="404"\} 301$/m);
  });

  it('audits only calls of authenticated apps, and counts the others by reason', async () => {
    const counted = async () => {
      const text = (await hub.send('GET', '/metrics')).text;
      return Object.fromEntries([...text.matchAll(/^hub_rejected_requests_total\{reason="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    };
    const before = await counted();
    const anonymous = await call('@made:Spam:get', 'spam-provider', { token: '' });
    expect(anonymous.body).toEqual({
      status: 401,
      type: 'Unauthorized',
      name: 'Unauthorized',
      error: 'no token: send Authorization: Bearer <app token>',
      requestId: anonymous.headers['x-request-id'],
    });
    const forged = await call(GRADES, 'spam-provider', { token: 'hub_forged', community: 'spam-community' });
    expect(forged.body).toEqual({
      status: 401,
      type: 'Unauthorized',
      name: 'Unauthorized',
      error: 'the token is unknown or revoked',
      requestId: forged.headers['x-request-id'],
    });
    const publishAnonymous = await hub.send('POST', `/v1/services/publish/${CREATED}`, { headers: { 'x-community-id': 'school-a' }, body: {} });
    expect(publishAnonymous.status).toBe(401);
    // An authenticated app's failed call is audited, with what it asked for.
    const authenticated = await call(GRADES, 'no-such-erp');
    expect(authenticated.status).toBe(404);

    // The audit log is written in order: once the authenticated call is there, the others would be too.
    const lines = await until(async () => {
      const items = (await hub.admin('GET', '/calls?limit=1000')).body.items as Array<Record<string, unknown>>;
      return items.some((c) => c.id === authenticated.headers['x-request-id']) && items;
    });
    expect(lines.find((c) => c.id === authenticated.headers['x-request-id'])).toMatchObject({
      consumer: 'viewer',
      communityId: 'school-a',
      provider: 'no-such-erp',
      action: GRADES,
      status: 404,
      outcome: 'NotFound',
    });
    expect(lines.filter((c) => c.consumer === null)).toEqual([]);
    for (const answer of [anonymous, forged]) expect(lines.find((c) => c.id === answer.headers['x-request-id'])).toBeUndefined();
    expect((await counted()).Unauthorized).toBe((before.Unauthorized ?? 0) + 3);
  });
});

describe('size limits of calls and events', () => {
  const BULK = '@acme:school:Bulk:uploaded';
  let hub: TestHub;
  let viewer: string;
  let gate: string;
  const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'x-community-id': 'school-a' });
  /** A JSON body of exactly `bytes` bytes. */
  const bodyOf = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes - 10) });
  const publish = (body: string) => hub.send('POST', `/v1/services/publish/${BULK}`, { headers: headers(gate), body });
  const call = (body: string) => hub.send('POST', `/v1/services/call/${GRADES}/erp?version=1`, { headers: headers(viewer), body });
  const tooLarge = (answer: Answer, limit: number, setting: string) =>
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 413,
      body: {
        status: 413,
        type: 'PayloadTooLarge',
        name: 'Payload Too Large',
        error: `the body is larger than the limit of ${limit} bytes (${setting})`,
        requestId: answer.headers['x-request-id'],
      },
    });

  beforeAll(async () => {
    // An event limit above the call limit, to show each route keeps its own.
    hub = await startHub({ bodyLimit: 2048, eventMaxBytes: 8192 });
    await hub.admin('PUT', `/actions/${BULK}/versions/1`, { kind: 'event', title: 'Bulk uploaded', dataSchema: { type: 'object' } });
    viewer = await registerApp(hub, 'viewer', { services: { requests: [{ action: GRADES, reason: 'grades' }] } });
    gate = await registerApp(hub, 'gate', { services: { publishes: [{ action: BULK, reason: 'x' }] } });
    for (const app of ['viewer', 'gate']) await install(hub, 'school-a', app);
  });
  afterAll(async () => {
    await hub.close();
  });

  it('defaults to 256 KiB for events and 1 MiB for calls', () => {
    expect(defaultConfig()).toMatchObject({ eventMaxBytes: 256 * 1024, bodyLimit: 1024 * 1024 });
  });

  it('refuses a publish over HUB_EVENT_MAX_BYTES and a call over HUB_BODY_LIMIT, naming each limit', async () => {
    expect((await publish(bodyOf(8192))).status).toBe(201);
    tooLarge(await publish(bodyOf(8193)), 8192, 'HUB_EVENT_MAX_BYTES');
    // A body the event route takes is too large for a call.
    tooLarge(await call(bodyOf(4096)), 2048, 'HUB_BODY_LIMIT');
  });

  it('counts a chunked body without content-length against the same limit', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.from(' '.repeat(1024)));
    const res = await request(`${hub.url}/v1/services/publish/${BULK}`, {
      method: 'POST',
      headers: { ...headers(gate), 'content-type': 'application/json' },
      body: Readable.from([Buffer.from('{"pad":"'), ...chunks, Buffer.from('"}')]),
    });
    const body = (await res.body.json()) as Record<string, unknown>;
    tooLarge({ status: res.statusCode, headers: res.headers, body, text: '' }, 8192, 'HUB_EVENT_MAX_BYTES');
  });

  it('refuses an event limit of 0 at start', () => {
    expect(() => loadConfig([], { HUB_EVENT_MAX_BYTES: '0' })).toThrow(/HUB_EVENT_MAX_BYTES: "0" must be at least 1 byte/);
  });
});
