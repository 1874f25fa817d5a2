/**
 * The outbound policy (SSRF): what is refused at registration, at connect time on resolved
 * addresses and IP literals, what the consumer and the operator see when it refuses; consumer
 * errors that name no address; the connect wait bounded by the exchange's own deadline.
 */
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../src/config.js';
import { createHub } from '../src/hub.js';
import { RelayError } from '../src/relay/errors.js';
import { OutboundClient } from '../src/relay/http-client.js';
import { OutboundDeniedError, OutboundPolicy, parseCidrList, type LookupFunction } from '../src/relay/outbound-policy.js';
import { openStore } from '../src/store/open.js';
import { ADMIN_TOKEN, install, registerApp, sendTo, startHub, type Answer, type TestHub } from './support/hub.js';
import { json, startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const GRADES = '@layers:education:GradeBooks:getRelated';
const CREATED = '@layers:education:Entrance:created';
const USER = { user: { id: 'u-1', name: 'Ana Souza', alias: 'ana' } };

/** A resolver for names the test controls; every other name fails as unknown. */
function fakeDns(names: Record<string, string[]>, delayMs = 0): LookupFunction {
  return (hostname, options, callback) => {
    const answer = () => {
      const addresses = names[hostname];
      if (addresses === undefined) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
        return;
      }
      const all: LookupAddress[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      if (options.all === true) callback(null, all);
      else callback(null, all[0]!.address, all[0]!.family);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  };
}

function lookupWith(policy: OutboundPolicy, names: Record<string, string[]>, all: boolean): Promise<unknown> {
  return new Promise((resolve) => {
    policy.lookup(fakeDns(names))(Object.keys(names)[0]!, { all }, (err, address) => resolve(err ?? address));
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('the outbound policy', () => {
  it('denies by default link-local, unspecified, multicast, reserved and cloud metadata addresses', () => {
    const policy = new OutboundPolicy();
    for (const address of [
      '169.254.169.254',
      '169.254.170.2',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      'fe80::1',
      '::',
      '0.0.0.0',
      '0.1.2.3',
      '224.0.0.1',
      'ff02::1',
      '255.255.255.255',
      'fd00:ec2::254',
      '100.100.100.200',
      '168.63.129.16',
      'not an address',
    ]) {
      expect(policy.allows(address), address).toBe(false);
    }
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '192.168.1.1', '93.184.216.34', '2606:4700::1111']) {
      expect(policy.allows(address), address).toBe(true);
    }
  });

  it('denies loopback and private ranges when asked, and lets ALLOW win over every deny', () => {
    const strict = new OutboundPolicy({ denyPrivate: true, deny: parseCidrList('203.0.113.0/24') });
    for (const address of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:7f00:1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', 'fd12::1', '203.0.113.9']) {
      expect(strict.allows(address), address).toBe(false);
    }
    expect(strict.allows('93.184.216.34')).toBe(true);
    const opened = new OutboundPolicy({ denyPrivate: true, allow: parseCidrList('10.1.0.0/16, 169.254.169.254') });
    expect(opened.allows('10.1.2.3')).toBe(true);
    expect(opened.allows('::ffff:10.1.2.3')).toBe(true);
    expect(opened.allows('10.2.0.1')).toBe(false);
    expect(opened.allows('169.254.169.254')).toBe(true);
    expect(opened.allows('169.254.169.253')).toBe(false);
  });

  it('reads HUB_OUTBOUND_DENY, HUB_OUTBOUND_ALLOW and HUB_OUTBOUND_DENY_PRIVATE, refusing what is not a range', () => {
    const config = loadConfig([], { HUB_OUTBOUND_DENY: '10.0.0.0/8,fd00::/8', HUB_OUTBOUND_ALLOW: '10.1.2.3', HUB_OUTBOUND_DENY_PRIVATE: 'true' });
    expect(config.outboundDeny).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
    expect(config.outboundAllow).toEqual([{ address: '10.1.2.3', prefix: 32, family: 'ipv4' }]);
    expect(config.outboundDenyPrivate).toBe(true);
    expect(loadConfig([], {})).toMatchObject({ outboundDeny: [], outboundAllow: [], outboundDenyPrivate: false });
    expect(() => loadConfig([], { HUB_OUTBOUND_DENY: 'internal' })).toThrow(/HUB_OUTBOUND_DENY: "internal" is not an IP address/);
    expect(() => loadConfig([], { HUB_OUTBOUND_ALLOW: '10.0.0.0/33' })).toThrow(/HUB_OUTBOUND_ALLOW: "10.0.0.0\/33": the prefix must be 0 to 32/);
    expect(() => loadConfig([], { HUB_OUTBOUND_DENY: '10.0.0.0/8/1' })).toThrow(/HUB_OUTBOUND_DENY/);
    expect(() => loadConfig([], { HUB_OUTBOUND_DENY_PRIVATE: 'yes' })).toThrow(/HUB_OUTBOUND_DENY_PRIVATE: "yes" must be true or false/);
  });

  it('checks every address a name resolves to, one or all', async () => {
    const policy = new OutboundPolicy();
    expect(await lookupWith(policy, { 'app.test': ['93.184.216.34'] }, false)).toBe('93.184.216.34');
    const denied = await lookupWith(policy, { 'metadata.test': ['169.254.169.254'] }, false);
    expect(denied).toBeInstanceOf(OutboundDeniedError);
    expect((denied as Error).message).toBe('metadata.test resolves to 169.254.169.254, which the outbound policy denies');
    const mixed = await lookupWith(policy, { 'mixed.test': ['93.184.216.34', '::ffff:169.254.169.254'] }, true);
    expect((mixed as Error).message).toBe('mixed.test resolves to 169.254.169.254, which the outbound policy denies');
  });
});

describe('the outbound client under the policy', () => {
  let server: TestServer;
  let connections = 0;
  const clients: OutboundClient[] = [];
  const OPTS = { timeoutMs: 2000, maxResponseBytes: 1 << 16 };
  const portOf = () => new URL(server.url).port;

  beforeAll(async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    server.server.on('connection', () => connections++);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.destroy()));
  });
  afterAll(() => server.close());

  const client = (options: ConstructorParameters<typeof OutboundClient>[0]) => {
    const made = new OutboundClient(options);
    clients.push(made);
    return made;
  };

  it('connects to a name resolving to an allowed address, and refuses one resolving to a denied address before connecting', async () => {
    const outbound = client({ lookup: fakeDns({ 'provider.test': ['127.0.0.1'], 'rebound.test': ['169.254.169.254'] }) });
    const answer = await outbound.post(`http://provider.test:${portOf()}/hook`, '{}', {}, OPTS);
    expect(answer.status).toBe(200);
    const refused = await rejection(outbound.post(`http://rebound.test:${portOf()}/hook`, '{}', {}, OPTS));
    expect(refused).toBeInstanceOf(RelayError);
    expect(refused).toMatchObject({
      kind: 'denied',
      message: 'not connected: rebound.test resolves to 169.254.169.254, which the outbound policy denies',
      publicReason: 'its address is refused by the hub’s outbound policy',
    });
    // TLS connections resolve through the same lookup.
    const overTls = await rejection(outbound.post('https://rebound.test/hook', '{}', {}, OPTS));
    expect(overTls).toMatchObject({ kind: 'denied', message: 'not connected: rebound.test resolves to 169.254.169.254, which the outbound policy denies' });
  });

  it('with loopback denied, refuses localhost and every spelling of a loopback literal without connecting', async () => {
    const outbound = client({ policy: new OutboundPolicy({ denyPrivate: true }) });
    const before = connections;
    for (const host of ['localhost', '127.0.0.1', '[::ffff:127.0.0.1]', '0x7f.1', '2130706433', '[::1]']) {
      const refused = await rejection(outbound.post(`http://${host}:${portOf()}/hook`, '{}', {}, OPTS));
      expect(refused, host).toMatchObject({ kind: 'denied', message: expect.stringMatching(/^not connected: .*(127\.0\.0\.1|::1).*denie/) });
    }
    const mapped = await rejection(outbound.post(`http://[::ffff:127.0.0.1]:${portOf()}/hook`, '{}', {}, OPTS));
    expect(mapped).toMatchObject({ message: 'not connected: address ::ffff:7f00:1 (127.0.0.1) is denied by the outbound policy' });
    expect(connections).toBe(before);
    expect(server.received.filter((r) => r.url === '/hook')).toHaveLength(1);
  });

  it('waits for a slow connection as long as the exchange allows, not a fixed 5 s', async () => {
    const outbound = client({ lookup: fakeDns({ 'slow.test': ['127.0.0.1'] }, 5500) });
    const answer = await outbound.post(`http://slow.test:${portOf()}/slow`, '{}', {}, { ...OPTS, timeoutMs: 9000 });
    expect(answer.status).toBe(200);
    const cut = await rejection(outbound.post(`http://slow.test:${portOf()}/slow`, '{}', {}, { ...OPTS, timeoutMs: 200 }));
    expect(cut).toMatchObject({ kind: 'timeout', message: 'no complete answer within 200 ms (still waiting for a connection)' });
  }, 20_000);
});

describe('the hub under the outbound policy', () => {
  let provider: TestServer;
  let open: TestHub;
  let strict: TestHub;
  let viewerOpen: string;
  let viewerStrict: string;

  const expectError = (answer: Answer, status: number, type: string, error: string) => {
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({
      status,
      type,
      name: status === 400 ? 'Bad Request' : status === 404 ? 'Not Found' : 'Bad Gateway',
      error,
      requestId: answer.headers['x-request-id'],
      ...(answer.body.details !== undefined && { details: answer.body.details }),
    });
  };
  const callOn = (hub: TestHub, token: string, providerId: string) =>
    hub.send('POST', `/v1/services/call/${GRADES}/${providerId}?version=1`, {
      headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a' },
      body: USER,
    });
  const auditLineOf = async (hub: TestHub, answer: Answer) =>
    (await hub.admin('GET', '/calls?limit=50')).body.items.find((c: { id: string }) => c.id === answer.headers['x-request-id']);

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, { result: [] }));
    open = await startHub();
    strict = await startHub({ outboundDenyPrivate: true, retrySchedule: [] });
    viewerOpen = await registerApp(open, 'viewer', { services: { requests: [{ action: GRADES, reason: 'x' }] } });
    viewerStrict = await registerApp(strict, 'viewer', { services: { requests: [{ action: GRADES, reason: 'x' }] } });
    await install(open, 'school-a', 'viewer');
    await install(strict, 'school-a', 'viewer');
  });
  afterAll(async () => {
    await Promise.all([open.close(), strict.close()]);
    await provider.close();
  });

  it.each([
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/', '169.254.169.254 is an address the outbound policy denies'],
    [
      'the metadata address as IPv4-mapped IPv6',
      'http://[::ffff:169.254.169.254]/',
      '::ffff:a9fe:a9fe (169.254.169.254) is an address the outbound policy denies',
    ],
    ['the metadata address in hexadecimal', 'http://0xa9fea9fe/', '169.254.169.254 is an address the outbound policy denies'],
    ['AWS metadata over IPv6', 'http://[fd00:ec2::254]/', 'fd00:ec2::254 is an address the outbound policy denies'],
    ['Alibaba metadata', 'http://100.100.100.200/', '100.100.100.200 is an address the outbound policy denies'],
    ['a link-local IPv6 address', 'http://[fe80::1]:8080/', 'fe80::1 is an address the outbound policy denies'],
    ['the unspecified address', 'http://0.0.0.0:8080/', '0.0.0.0 is an address the outbound policy denies'],
    ['the IPv6 unspecified address', 'http://[::]:8080/', ':: is an address the outbound policy denies'],
    ['a multicast address', 'http://224.0.0.1/', '224.0.0.1 is an address the outbound policy denies'],
    ['credentials', 'http://user:pass@erp.example/grades', 'must not carry credentials (user:password@): the hub does not send them'],
  ])('refuses at registration %s, with the JSON pointer of the URL', async (_name, url, message) => {
    for (const list of ['responds', 'subscribes'] as const) {
      const entry = list === 'responds' ? { action: GRADES, reason: 'x', url } : { action: CREATED, reason: 'x', url };
      const answer = await open.admin('PUT', '/apps/ssrf', { displayName: 'ssrf', services: { [list]: [entry] } });
      expectError(answer, 400, 'InvalidRequest', 'the manifest is not valid');
      expect(answer.body.details).toEqual([{ pointer: `/services/${list}/0/url`, message }]);
    }
    expect((await open.admin('GET', '/apps/ssrf')).status).toBe(404);
  });

  it('refuses loopback literals at registration when loopback is denied, and accepts them by default', async () => {
    for (const url of ['http://0x7f.1/', 'http://127.0.0.1:9/', 'http://[::ffff:7f00:1]/', 'http://[::1]/']) {
      const answer = await strict.admin('PUT', '/apps/local', { displayName: 'local', services: { responds: [{ action: GRADES, reason: 'x', url }] } });
      expectError(answer, 400, 'InvalidRequest', 'the manifest is not valid');
      expect(answer.body.details).toEqual([
        { pointer: '/services/responds/0/url', message: expect.stringMatching(/ is an address the outbound policy denies$/) },
      ]);
    }
    await registerApp(open, 'erp', { services: { responds: [{ action: GRADES, reason: 'x', url: `${provider.url}/grades` }] } });
    await install(open, 'school-a', 'erp');
    const answer = await callOn(open, viewerOpen, 'erp');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { result: [] } });
  });

  it('refuses at connect time a host name that resolves to a denied address: 502 to the consumer without it, the address in the audit log', async () => {
    const port = new URL(provider.url).port;
    const before = provider.received.length;
    await registerApp(strict, 'erp', { services: { responds: [{ action: GRADES, reason: 'x', url: `http://localhost:${port}/grades` }] } });
    await install(strict, 'school-a', 'erp');
    const answer = await callOn(strict, viewerStrict, 'erp');
    expectError(answer, 502, 'ProviderUnavailable', 'could not reach app "erp": its address is refused by the hub’s outbound policy');
    expect(answer.text).not.toMatch(/localhost|127\.0\.0\.1|::1|:\d{4,5}/);
    expect(provider.received.length).toBe(before);
    const line = await auditLineOf(strict, answer);
    expect(line).toMatchObject({ provider: 'erp', status: 502, outcome: 'ProviderUnavailable', providerStatus: null });
    expect(line.error).toMatch(/^denied: not connected: localhost resolves to (127\.0\.0\.1|::1), which the outbound policy denies$/);
  });

  it('records a delivery the policy refused as a failed attempt with the reason', async () => {
    const port = new URL(provider.url).port;
    const publisher = await registerApp(strict, 'gate', { services: { publishes: [{ action: CREATED, reason: 'x' }] } });
    await registerApp(strict, 'listener', { services: { subscribes: [{ action: CREATED, reason: 'x', url: `http://localhost:${port}/events` }] } });
    for (const app of ['gate', 'listener']) await install(strict, 'school-a', app);
    const published = await strict.send('POST', `/v1/services/publish/${CREATED}`, {
      headers: { authorization: `Bearer ${publisher}`, 'x-community-id': 'school-a' },
      body: { ids: ['ent-1'], updatedAfter: '2026-11-20T08:00:00Z' },
    });
    expect(published.status).toBe(201);
    const delivery = await until(async () => {
      const [found] = (await strict.admin('GET', `/events/${published.body.id}`)).body.deliveries;
      return found?.status === 'dead' && found;
    });
    const detail = (await strict.admin('GET', `/deliveries/${delivery.id}`)).body;
    expect(detail.history).toHaveLength(1);
    expect(detail.history[0]).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/^denied: not connected: localhost resolves to (127\.0\.0\.1|::1), which the outbound policy denies$/),
    });
    expect(provider.received.filter((r) => r.url === '/events')).toHaveLength(0);
  });

  it('lets HUB_OUTBOUND_ALLOW open one range again', async () => {
    const allowing = await startHub({ outboundDenyPrivate: true, outboundAllow: parseCidrList('127.0.0.1/32') });
    try {
      const viewer = await registerApp(allowing, 'viewer', { services: { requests: [{ action: GRADES, reason: 'x' }] } });
      await registerApp(allowing, 'erp', { services: { responds: [{ action: GRADES, reason: 'x', url: `${provider.url}/grades` }] } });
      for (const app of ['viewer', 'erp']) await install(allowing, 'school-a', app);
      expect((await callOn(allowing, viewer, 'erp')).body).toEqual({ data: { result: [] } });
      const other = await allowing.admin('PUT', '/apps/other', {
        displayName: 'other',
        services: { responds: [{ action: GRADES, reason: 'x', url: 'http://127.0.0.2/' }] },
      });
      expect(other.status).toBe(400);
    } finally {
      await allowing.close();
    }
  });

  it('tells the consumer the kind of failure and the operator the address', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    await registerApp(open, 'gone', { services: { responds: [{ action: GRADES, reason: 'x', url: `http://127.0.0.1:${port}/grades` }] } });
    await install(open, 'school-a', 'gone');
    const answer = await callOn(open, viewerOpen, 'gone');
    expectError(answer, 502, 'ProviderUnavailable', 'could not reach app "gone": connection refused');
    expect(answer.text).not.toContain(String(port));
    const line = await auditLineOf(open, answer);
    expect(line).toMatchObject({
      provider: 'gone',
      status: 502,
      outcome: 'ProviderUnavailable',
      error: `unavailable: connection refused by 127.0.0.1:${port}`,
    });
  });

  it('answers the same 404 whether the provider does not exist, is not installed, or does not respond to the action', async () => {
    await registerApp(open, 'stranger', { services: { responds: [{ action: GRADES, reason: 'x', url: `${provider.url}/grades` }] } });
    await registerApp(open, 'other-action', {
      services: { responds: [{ action: '@layers:Calendar:getRelated', reason: 'x', url: `${provider.url}/calendar` }] },
    });
    await install(open, 'school-a', 'other-action');
    const reasons: Record<string, RegExp> = {
      nobody: /^no app "nobody"$/,
      stranger: /^app "stranger" is not installed \(or not enabled\) in community "school-a"$/,
      'other-action': /^app "other-action" does not respond to "@layers:education:GradeBooks:getRelated"$/,
    };
    for (const [providerId, reason] of Object.entries(reasons)) {
      const answer = await callOn(open, viewerOpen, providerId);
      expectError(answer, 404, 'NotFound', `no provider "${providerId}" of "${GRADES}" in this community`);
      expect((await auditLineOf(open, answer)).error).toMatch(reason);
    }
  });

  it('writes the address the consumer does not see to the log line of the call', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line));
        done();
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'hub-log-'));
    const store = await openStore(`file:${join(dir, 'hub.db')}`);
    const hub = await createHub({
      config: defaultConfig({ adminToken: ADMIN_TOKEN, outboundDenyPrivate: true }),
      store,
      logger: pino({ level: 'info' }, sink),
    });
    try {
      const url = await hub.app.listen({ port: 0, host: '127.0.0.1' });
      const admin = (method: string, path: string, body?: unknown) =>
        sendTo(url, method, `/v1/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });
      await admin('PUT', '/apps/viewer', { displayName: 'viewer', services: { requests: [{ action: GRADES, reason: 'x' }] } });
      await admin('PUT', '/apps/erp', {
        displayName: 'erp',
        services: { responds: [{ action: GRADES, reason: 'x', url: `http://localhost:${new URL(provider.url).port}/grades` }] },
      });
      await admin('PUT', '/communities/school-a');
      for (const app of ['viewer', 'erp']) await admin('PUT', `/communities/school-a/installations/${app}`);
      const token = (await admin('POST', '/apps/viewer/tokens')).body.token as string;
      const answer = await sendTo(url, 'POST', `/v1/services/call/${GRADES}/erp?version=1`, {
        headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a' },
        body: USER,
      });
      expect(answer.status).toBe(502);
      const line = await until(() => lines.find((l) => l.requestId === answer.headers['x-request-id'] && l.msg === 'request'));
      expect(line).toMatchObject({
        level: 40,
        status: 502,
        provider: 'erp',
        outcome: 'ProviderUnavailable',
        error: expect.stringMatching(/^denied: not connected: localhost resolves to (127\.0\.0\.1|::1), which the outbound policy denies$/),
      });
    } finally {
      await hub.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
