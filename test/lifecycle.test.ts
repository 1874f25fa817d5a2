/**
 * The lifecycle of what an operator adds, over HTTP on a real hub: deleting an app (installations
 * gone, pending deliveries cancelled, tokens revoked, audit kept), deleting a community (409 while
 * apps are installed, unless ?force=true), and the since/until filters of the admin logs. Runs on
 * SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL, where two hubs share one schema and
 * the one that did not delete must forget the app.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { expectError, expectExactError } from './support/errors.js';
import { startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
/** An event action of the test's own, not coalescing: one delivery per event. */
const CREATED = '@acme:test:Ticket:opened';
const GRADES = '@layers:education:GradeBooks:getRelated';

const BACKENDS = [
  { name: 'SQLite', databaseUrl: undefined as string | undefined },
  ...(databaseUrl === undefined || databaseUrl === '' ? [] : [{ name: 'PostgreSQL', databaseUrl }]),
];

describe.each(BACKENDS)('lifecycle on $name', ({ databaseUrl: url }) => {
  const schema = `test_ops_lifecycle_${randomUUID().replace(/-/g, '')}`;
  // A long retry: a delivery that failed once stays pending for the whole test.
  const config = { retrySchedule: [600_000], deliveryTimeoutMs: 2000, rateLimitPerSecond: 0 };
  let hub: TestHub;
  /** Another hub process on the same PostgreSQL schema (PostgreSQL only). */
  let other: TestHub | undefined;
  let subscriber: TestServer;
  let gate: string;

  const publish = (community: string) =>
    hub.send('POST', `/v1/services/publish/${CREATED}`, {
      headers: { authorization: `Bearer ${gate}`, 'x-community-id': community },
      body: { ids: ['ent-1'] },
    });
  /** Publishes and waits for the failed first attempt: the delivery is then pending, not leased. */
  const pendingDeliveryTo = async (community: string) => {
    const event = await publish(community);
    expect(event.status).toBe(201);
    return until(async () => {
      const [delivery] = (await hub.admin('GET', `/events/${event.body.id}`)).body.deliveries;
      return delivery?.status === 'pending' && delivery.attempts === 1 && delivery;
    }, 10_000);
  };
  const statusOf = async (deliveryId: string) =>
    (await hub.admin('GET', `/deliveries?limit=1000`)).body.items.find((d: { id: string }) => d.id === deliveryId)?.status;

  beforeAll(async () => {
    // The subscriber is down: every attempt gets a 503.
    subscriber = await startServer((_req, res) => void res.writeHead(503).end());
    const options = url === undefined ? {} : { databaseUrl: url, pgSchema: schema };
    hub = await startHub(config, undefined, options);
    if (url !== undefined) other = await startHub(config, undefined, options);
    const defined = await hub.admin('PUT', `/actions/${CREATED}/versions/1`, {
      kind: 'event',
      title: 'Ticket opened',
      dataSchema: { type: 'object' },
      coalesce: false,
    });
    expect(defined.status).toBe(201);
    gate = await registerApp(hub, 'gate', { services: { publishes: [{ action: CREATED, reason: 'x' }] } });
    for (const id of ['viewer', 'parents']) {
      await registerApp(hub, id, { services: { subscribes: [{ action: CREATED, reason: 'x', url: `${subscriber.url}/${id}` }] } });
    }
    for (const community of ['school-a', 'school-b']) {
      await install(hub, community, 'gate');
      await install(hub, community, 'viewer');
    }
  }, 60_000);

  afterAll(async () => {
    await other?.close();
    await hub?.close();
    await subscriber?.close();
    if (url !== undefined) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    }
  });

  it('deletes an app: installations gone, pending deliveries cancelled, tokens revoked, audit kept', async () => {
    const token = await registerApp(hub, 'doomed', {
      services: { requests: [{ action: GRADES, reason: 'x' }], subscribes: [{ action: CREATED, reason: 'x', url: `${subscriber.url}/doomed` }] },
    });
    await install(hub, 'school-a', 'doomed');
    const event = await publish('school-a');
    const doomedDelivery = await until(async () => {
      const list = (await hub.admin('GET', `/events/${event.body.id}`)).body.deliveries as Array<{
        appId: string;
        status: string;
        attempts: number;
        id: string;
      }>;
      return list.every((d) => d.status === 'pending' && d.attempts === 1) && list.find((d) => d.appId === 'doomed');
    }, 10_000);
    // The token works before: discover answers as the app.
    const discover = () =>
      (other ?? hub).send('GET', `/v1/services/discover/${GRADES}`, { headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a' } });
    expect((await discover()).status).toBe(200);

    const deleted = await hub.admin('DELETE', '/apps/doomed');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');

    expectExactError(await hub.admin('GET', '/apps/doomed'), 404, 'NotFound', 'no app "doomed"');
    expectExactError(await hub.admin('DELETE', '/apps/doomed'), 404, 'NotFound', 'no app "doomed"');
    expect((await hub.admin('GET', '/communities/school-a/installations')).body.map((i: { app: string }) => i.app)).toEqual(['gate', 'viewer']);
    expect(await statusOf(doomedDelivery.id)).toBe('cancelled');
    // The other subscriber's delivery of the same event is untouched.
    expect((await hub.admin('GET', `/events/${event.body.id}`)).body.deliveries.find((d: { appId: string }) => d.appId === 'viewer').status).toBe('pending');
    expectError(await discover(), 401, 'Unauthorized', { error: 'the token is unknown or revoked' });
    // Its history stays: the delivery and the event it received are still listed.
    expect((await hub.admin('GET', '/deliveries?app=doomed')).body.items.map((d: { id: string }) => d.id)).toEqual([doomedDelivery.id]);
  }, 60_000);

  it.runIf(url !== undefined)(
    'tells the other hub processes: they forget the app and its tokens at once',
    async () => {
      const token = await registerApp(hub, 'short-lived', { services: { requests: [{ action: GRADES, reason: 'x' }] } });
      await install(hub, 'school-a', 'short-lived');
      await until(async () => (await other!.admin('GET', '/apps/short-lived')).status === 200, 10_000, 'the other hub sees the app');
      expect((await hub.admin('DELETE', '/apps/short-lived')).status).toBe(204);
      // The notice is asynchronous: the other hub forgets it once it has it.
      await until(async () => (await other!.admin('GET', '/apps/short-lived')).status === 404, 10_000, 'the other hub forgets the app');
      const answer = await other!.send('GET', `/v1/services/discover/${GRADES}`, {
        headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a' },
      });
      expectError(answer, 401, 'Unauthorized');
    },
    60_000,
  );

  it('refuses to delete a community with apps installed (409, naming them), unless forced', async () => {
    await install(hub, 'school-c', 'gate');
    await install(hub, 'school-c', 'viewer');
    const refused = await hub.admin('DELETE', '/communities/school-c');
    expectExactError(refused, 409, 'Conflict', 'community "school-c" has apps installed: gate, viewer; uninstall them first, or delete with ?force=true', {
      details: [
        { app: 'gate', status: 'installed' },
        { app: 'viewer', status: 'installed' },
      ],
    });
    expectError(await hub.admin('DELETE', '/communities/school-c?force=maybe'), 400, 'InvalidRequest', {
      error: 'force must be true or false',
      details: [{ pointer: '/query/force', message: 'must be true or false' }],
    });

    const inC = await pendingDeliveryTo('school-c');
    const inB = await pendingDeliveryTo('school-b');
    expect((await hub.admin('DELETE', '/communities/school-c?force=true')).status).toBe(204);
    expect((await hub.admin('GET', '/communities')).body.map((c: { id: string }) => c.id)).not.toContain('school-c');
    expectExactError(await hub.admin('GET', '/communities/school-c/installations'), 404, 'NotFound', 'no community "school-c"');
    expectExactError(await hub.admin('DELETE', '/communities/school-c'), 404, 'NotFound', 'no community "school-c"');
    expect(await statusOf(inC.id)).toBe('cancelled');
    expect(await statusOf(inB.id)).toBe('pending');
    // Publishing there is now refused: the community is gone for the publisher too.
    expectError(await publish('school-c'), 403, 'Forbidden', { error: 'app "gate" is not installed in community "school-c"' });

    // An empty community goes without force.
    expect((await hub.admin('PUT', '/communities/empty-one')).status).toBe(201);
    expect((await hub.admin('DELETE', '/communities/empty-one')).status).toBe(204);
  }, 60_000);

  it('filters the calls, events and deliveries by since and until', async () => {
    const before = new Date(Date.now() - 1).toISOString();
    const first = await pendingDeliveryTo('school-b');
    const middle = new Date().toISOString();
    await until(() => Date.now() > Date.parse(middle) + 1, 1000);
    const second = await pendingDeliveryTo('school-b');
    const after = new Date(Date.now() + 1).toISOString();

    const ids = async (path: string) => (await hub.admin('GET', path)).body.items.map((row: { id: string }) => row.id);
    const q = (since?: string, until?: string) =>
      `community=school-b${since === undefined ? '' : `&since=${encodeURIComponent(since)}`}${until === undefined ? '' : `&until=${encodeURIComponent(until)}`}`;
    expect(await ids(`/deliveries?${q(before, after)}`)).toEqual([second.id, first.id]);
    expect(await ids(`/deliveries?${q(middle)}`)).toEqual([second.id]);
    expect(await ids(`/deliveries?${q(before, middle)}`)).toEqual([first.id]);
    expect(await ids(`/events?${q(before, after)}`)).toEqual([second.eventId, first.eventId]);
    expect(await ids(`/events?${q(middle, after)}`)).toEqual([second.eventId]);
    expect(await ids(`/events?${q(after)}`)).toEqual([]);
    // Milliseconds since the epoch name the same instants, in either bound, beside a date-time.
    expect(await ids(`/deliveries?${q(String(Date.parse(middle)))}`)).toEqual([second.id]);
    expect(await ids(`/events?${q(before, String(Date.parse(middle)))}`)).toEqual([first.eventId]);
    // Empty is no bound, as an empty filter is no filter.
    const unbounded = await ids(`/events?${q(undefined, after)}`);
    expect(unbounded.slice(0, 2)).toEqual([second.eventId, first.eventId]);
    expect(await ids(`/events?${q('', after)}`)).toEqual(unbounded);

    // Calls: two refused calls (to a provider that is not there) are audit lines too.
    const call = async () => {
      const answer = await hub.send('POST', `/v1/services/call/${GRADES}/nobody?version=1`, {
        headers: { authorization: `Bearer ${gate}`, 'x-community-id': 'school-b' },
        body: { user: { id: 'u-1' } },
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      return answer.headers['x-request-id'] as string;
    };
    // An audit line's time is taken as the answer is written: the bounds come from the lines.
    const atOf = async (id: string) =>
      until(async () => (await hub.admin('GET', '/calls?limit=1000')).body.items.find((c: { id: string }) => c.id === id)?.at as number | undefined);
    const iso = (millis: number) => new Date(millis).toISOString();
    const firstCall = await call();
    const firstAt = await atOf(firstCall);
    await until(() => Date.now() > firstAt + 1, 1000);
    const secondCall = await call();
    const secondAt = await atOf(secondCall);
    expect(await ids(`/calls?${q(iso(firstAt), iso(secondAt))}`)).toEqual([secondCall, firstCall]);
    expect(await ids(`/calls?${q(iso(secondAt))}`)).toEqual([secondCall]);
    expect(await ids(`/calls?${q(undefined, iso(firstAt))}`)).toEqual([firstCall]);
    expect(await ids(`/calls?${q(iso(secondAt + 1))}`)).toEqual([]);
    // A row's own `at` passed back as a bound: both bounds included.
    expect(await ids(`/calls?${q(String(secondAt))}`)).toEqual([secondCall]);
    expect(await ids(`/calls?${q(String(firstAt), String(firstAt))}`)).toEqual([firstCall]);
    expect(await ids(`/calls?${q(String(secondAt + 1))}`)).toEqual([]);
    // An offset other than Z names the same instant.
    const shifted = iso(secondAt + 3600_000).replace('Z', '+01:00');
    expect(await ids(`/calls?${q(shifted)}`)).toEqual([secondCall]);
  }, 60_000);

  it('refuses a bad since or until on every list, in the same words, with the pointer of the parameter', async () => {
    const form = (name: string, value: string) => ({
      error: `${name} must be an ISO 8601 date-time with a time zone, such as 2026-01-31T12:00:00Z, or milliseconds since the epoch, not "${value}"`,
      details: [{ pointer: `/query/${name}`, message: 'is not an ISO 8601 date-time with a time zone or milliseconds since the epoch' }],
    });
    const refusals: Array<[query: string, answer: { error: string; details: Array<{ pointer: string; message: string }> }]> = [
      ['since=yesterday', form('since', 'yesterday')],
      // No time zone: which instant is meant would be the hub's guess.
      ['until=2026-01-31T12:00:00', form('until', '2026-01-31T12:00:00')],
      // A day alone: "until" that day would end at its first millisecond.
      ['until=2026-01-31', form('until', '2026-01-31')],
      ['since=-1', form('since', '-1')],
      ['since=1.5', form('since', '1.5')],
      // 16 digits: beyond any time a date can hold.
      ['until=1234567890123456', form('until', '1234567890123456')],
      // Given twice: one bound or the other would be dropped unseen.
      ['since=1&since=2', form('since', '["1","2"]')],
      [
        'since=2026-02-30T00:00:00Z',
        {
          error: 'since is not a date-time that exists: "2026-02-30T00:00:00Z"',
          details: [{ pointer: '/query/since', message: 'is not a date-time that exists' }],
        },
      ],
      [
        'since=2026-02-02T00:00:00Z&until=2026-02-01T00:00:00Z',
        { error: 'since (2026-02-02T00:00:00Z) is after until (2026-02-01T00:00:00Z)', details: [{ pointer: '/query/since', message: 'is after until' }] },
      ],
      ['since=2&until=1', { error: 'since (2) is after until (1)', details: [{ pointer: '/query/since', message: 'is after until' }] }],
      [
        'since=1769860800001&until=2026-01-31T12:00:00Z',
        { error: 'since (1769860800001) is after until (2026-01-31T12:00:00Z)', details: [{ pointer: '/query/since', message: 'is after until' }] },
      ],
    ];
    for (const path of ['/calls', '/changes', '/events', '/deliveries']) {
      for (const [query, { error, details }] of refusals) {
        const answer = await hub.admin('GET', `${path}?${query}`);
        expect([path, query, answer.status]).toEqual([path, query, 400]);
        expectExactError(answer, 400, 'InvalidRequest', error, { details });
      }
    }
  });
});
