/**
 * Request & respond end to end: a real hub on a SQLite file, a real provider on loopback, the
 * consumer speaking exactly as Layers' apps do. Every check, error and authorization rule.
 */
import { createServer as createTcpServer } from 'node:net';
import type { ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { loadBuiltinCatalog } from '../src/catalog/builtin.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { expectError, expectExactError } from './support/errors.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';

const GRADES = '@layers:education:GradeBooks:getRelated';
const CALENDAR = '@layers:Calendar:getRelated';
const VIEWED = '@layers:education:AcademicRecords:markRecordsAsViewed';
const USER = { user: { id: 'u-1', name: 'Ana Souza', alias: 'ana' } };
// A realistic answer, taken from the catalogue's own examples.
const GRADEBOOK = loadBuiltinCatalog().find((a) => a.id === GRADES)!.examples.response!.valid[0] as { result: unknown[] };

type Mode = (req: Received, res: ServerResponse) => void;
let mode: Mode;
const modes = {
  ok: ((_req, res) => json(res, 200, GRADEBOOK)) as Mode,
};

describe('call and discover', () => {
  let hub: TestHub;
  let provider: TestServer;
  let redirectTarget: TestServer;
  let viewer: string;
  let erpToken: string;

  const call = (
    options: { token?: string; community?: string; action?: string; provider?: string; query?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    hub.send('POST', `/v1/services/call/${options.action ?? GRADES}/${options.provider ?? 'erp'}${options.query ?? '?version=1&timeout=10000'}`, {
      headers: {
        ...(options.token !== '' && { authorization: `Bearer ${options.token ?? viewer}` }),
        ...(options.community !== '' && { 'x-community-id': options.community ?? 'school-a' }),
        ...options.headers,
      },
      body: options.body === undefined ? USER : options.body,
    });

  beforeAll(async () => {
    redirectTarget = await startServer((_req, res) => json(res, 200, GRADEBOOK));
    provider = await startServer((req, res) => mode(req, res));
    hub = await startHub({ maxCallTimeoutMs: 2000, maxProviderResponseBytes: 64 * 1024 });
    viewer = await registerApp(hub, 'viewer', {
      services: {
        requests: [
          { action: GRADES, reason: 'show grades' },
          { action: CALENDAR, reason: 'show the calendar' },
          { action: VIEWED, reason: 'mark as read' },
        ],
      },
    });
    erpToken = await registerApp(hub, 'erp', {
      icon: 'https://erp.example/icon.png',
      services: {
        responds: [
          { action: GRADES, reason: 'grades', url: `${provider.url}/grades` },
          { action: VIEWED, reason: 'viewed', url: `${provider.url}/viewed` },
        ],
      },
    });
    await registerApp(hub, 'calendar-only', { services: { responds: [{ action: CALENDAR, reason: 'calendar', url: `${provider.url}/calendar` }] } });
    for (const app of ['viewer', 'erp', 'calendar-only']) await install(hub, 'school-a', app);
    await install(hub, 'school-b', 'viewer');
  });

  afterAll(async () => {
    await hub.close();
    await provider.close();
    await redirectTarget.close();
  });

  beforeEach(() => {
    mode = modes.ok;
    provider.received.length = 0;
  });

  describe('as Layers consumer apps call it', () => {
    it('forwards the exact body with context and secret, signed, and wraps the answer in data', async () => {
      const raw = '{ "user": {"id":"u-1","name":"Ana Souza","alias":"ana"} }';
      const answer = await call({ body: raw });
      expect(answer.status).toBe(200);
      expect(answer.body.data.result).toEqual(GRADEBOOK.result);

      expect(provider.received).toHaveLength(1);
      const sent = provider.received[0]!;
      expect(sent.url).toBe('/grades');
      expect(sent.headers['content-type']).toBe('application/json');
      const envelope = JSON.parse(sent.body);
      const secrets = (await hub.admin('GET', '/apps/erp/secrets')).body;
      expect(envelope.secret).toBe(secrets.secret);
      expect(envelope.context).toMatchObject({
        action: GRADES,
        community: 'school-a',
        version: 1,
        consumer: 'viewer',
        requestId: answer.headers['x-request-id'],
      });
      // Made by the hub (the client sent none): a UUID of version 7, time first (ADR 0003).
      expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(new Date(envelope.context.issuedAt).getTime()).toBeGreaterThan(Date.now() - 10_000);
      // The data is the body as received, byte for byte.
      expect(sent.body.endsWith(`"data":${raw}}`)).toBe(true);
      // Verified by an independent Standard Webhooks implementation, over the exact bytes sent.
      const verified = new Webhook(secrets.signingSecret).verify(sent.body, sent.headers as Record<string, string>);
      expect(verified).toEqual(envelope);
      expect(sent.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
    });

    it('accepts the community from every documented place, and the token with a repeated Bearer prefix', async () => {
      const viaHeader = await call({ community: '', headers: { 'community-id': 'school-a' } });
      expect(viaHeader.status).toBe(200);
      const viaQuery = await call({ community: '', query: '?_community=school-a' });
      expect(viaQuery.status).toBe(200);
      const repeated = await call({ headers: { authorization: `Bearer Bearer ${viewer}` } });
      expect(repeated.status).toBe(200);
    });

    it('accepts percent-encoded action ids and routes without /v1', async () => {
      const encoded = await call({ action: encodeURIComponent(GRADES) });
      expect(encoded.status).toBe(200);
      const alias = await hub.send('POST', `/services/call/${GRADES}/erp`, {
        headers: { authorization: `Bearer ${viewer}`, 'x-community-id': 'school-a' },
        body: USER,
      });
      expect(alias.status).toBe(200);
      expect(alias.body.data).toEqual(GRADEBOOK);
    });

    it('propagates the caller trace id', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      await call({ headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      expect(provider.received[0]!.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(provider.received[0]!.headers.traceparent).not.toContain('00f067aa0ba902b7');
    });

    it('turns an empty provider answer into null', async () => {
      mode = (_req, res) => res.writeHead(200).end();
      const answer = await call({ action: VIEWED, body: { ...USER, groupId: 'RA-1', recordsIds: ['r1'] } });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ data: null });
    });
  });

  describe('discover', () => {
    const discover = (action: string, query = '', token = viewer, community = 'school-a') =>
      hub.send('GET', `/v1/services/discover/${action}${query}`, { headers: { authorization: `Bearer ${token}`, 'x-community-id': community } });

    it('lists the providers installed in the community', async () => {
      const answer = await discover(GRADES, '?version=1');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([{ id: 'erp', displayName: 'erp', icon: 'https://erp.example/icon.png', versions: [1] }]);
      // An app without an icon is listed with `icon: null`, as Layers sends it.
      expect((await discover(encodeURIComponent(CALENDAR))).body).toEqual([{ id: 'calendar-only', displayName: 'calendar-only', icon: null, versions: [1] }]);
    });

    it('gives an empty list where no provider is installed', async () => {
      const answer = await discover(GRADES, '', viewer, 'school-b');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([]);
    });

    it('refuses an unknown version, an action the caller does not request, and a stranger', async () => {
      expectError(await discover(GRADES, '?version=7'), 404, 'NotFound');
      expectError(await discover('@layers:payments:Payables:getRelated'), 403, 'Forbidden');
      expectError(await discover(GRADES, '', erpToken), 403, 'Forbidden');
      expectError(await discover(GRADES, '', 'hub_0000000000000000_' + 'a'.repeat(43)), 401, 'Unauthorized');
    });
  });

  describe('every error of the table, with its requestId, and nothing forwarded', () => {
    it.each([
      ['malformed JSON', { body: '{"user": ' }],
      ['a bad version parameter', { query: '?version=one' }],
      ['a bad timeout parameter', { query: '?timeout=-5' }],
      ['no community', { community: '' }],
      ['conflicting communities', { headers: { 'community-id': 'school-b' } }],
      ['a body that breaks the schema', { body: { user: { id: 42 } } }],
      ['an ill-formed action id', { action: 'GradeBooks' }],
      ['a __proto__ key', { body: '{"user":{"id":"1","name":"a","alias":"b"},"__proto__":{"admin":true}}' }],
      ['JSON nested too deep', { body: '['.repeat(5000) + ']'.repeat(5000) }],
    ])('400 for %s', async (_name, options) => {
      expectError(await call(options), 400, 'InvalidRequest');
      expect(provider.received).toHaveLength(0);
    });

    it('400 lists each schema problem with its JSON pointer', async () => {
      const answer = await call({ body: { user: { id: 42, name: 'x' } } });
      const pointers = answer.body.details.map((d: { pointer: string }) => d.pointer);
      expect(pointers).toContain('/user/id');
      expect(pointers).toContain('/user/alias');
    });

    it('401 for a missing, unknown or revoked token', async () => {
      expectError(await call({ token: '' }), 401, 'Unauthorized');
      expectError(await call({ token: 'nonsense' }), 401, 'Unauthorized');
      const issued = (await hub.admin('POST', '/apps/viewer/tokens', { label: 'to revoke' })).body;
      expect((await call({ token: issued.token })).status).toBe(200);
      expect((await hub.admin('DELETE', `/apps/viewer/tokens/${issued.id}`)).status).toBe(204);
      expectError(await call({ token: issued.token }), 401, 'Unauthorized');
      provider.received.length = 0;
    });

    it('403 when the caller is not installed, or does not request the action', async () => {
      expectError(await call({ token: erpToken }), 403, 'Forbidden');
      expectError(await call({ community: 'school-c' }), 403, 'Forbidden');
      expectError(await call({ action: '@layers:payments:Payables:getRelated' }), 403, 'Forbidden');
      expect(provider.received).toHaveLength(0);
    });

    it.each([
      ['an unknown action', { action: '@layers:education:Nothing:getRelated' }],
      ['an unknown version', { query: '?version=9' }],
      ['an unknown provider', { provider: 'nobody' }],
      ['a provider not responding to the action', { provider: 'calendar-only' }],
      ['a provider not installed in the community', { community: 'school-b' }],
    ])('404 for %s', async (_name, options) => {
      expectError(await call(options), 404, 'NotFound');
      expect(provider.received).toHaveLength(0);
    });

    it('404 saying so when the action is an event action', async () => {
      const created = '@layers:education:Entrance:created';
      expectError(await call({ action: created }), 404, 'NotFound', {
        error: `"${created}" is an event action, not a request action: publish it with POST /v1/services/publish/:action`,
      });
      expect(provider.received).toHaveLength(0);
    });

    it('413 for a body over the limit', async () => {
      const big = { ...USER, padding: 'x'.repeat(1024 * 1024) };
      expectError(await call({ body: big }), 413, 'PayloadTooLarge');
    });

    it('415 for a body that is not JSON', async () => {
      expectError(await call({ body: 'user=ana', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UnsupportedMediaType');
      expectError(await call({ body: 'hello', headers: { 'content-type': 'text/plain' } }), 415, 'UnsupportedMediaType');
      expect(provider.received).toHaveLength(0);
    });

    it('502 ProviderError with the provider status and small JSON body', async () => {
      mode = (_req, res) => json(res, 503, { message: 'maintenance' });
      const answer = await call();
      expectError(answer, 502, 'ProviderError');
      expect(answer.body.provider).toEqual({ status: 503, body: { message: 'maintenance' } });
    });

    it('502 InvalidProviderResponse for a non-JSON answer or one breaking the response schema', async () => {
      mode = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>');
      expectError(await call(), 502, 'InvalidProviderResponse');
      mode = (_req, res) => json(res, 200, { result: 'not a list' });
      const answer = await call();
      expectError(answer, 502, 'InvalidProviderResponse');
      expect(answer.body.details[0].pointer).toBe('/result');
    });

    it('502 InvalidProviderResponse for an answer over the size cap', async () => {
      mode = (_req, res) => json(res, 200, { result: [{ id: 'x', title: 'y'.repeat(200 * 1024) }] });
      expectError(await call(), 502, 'InvalidProviderResponse');
    });

    it('502 ProviderError for a redirect, which is not followed', async () => {
      mode = (_req, res) => res.writeHead(302, { location: `${redirectTarget.url}/grades` }).end();
      const answer = await call();
      expectError(answer, 502, 'ProviderError');
      expect(answer.body.provider.status).toBe(302);
      expect(redirectTarget.received).toHaveLength(0);
    });

    it('502 ProviderUnavailable when the connection is reset or refused', async () => {
      mode = (req, res) => res.socket?.destroy();
      expectError(await call(), 502, 'ProviderUnavailable');
      const closed = createTcpServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as { port: number }).port;
      await new Promise((resolve) => closed.close(resolve));
      await hub.admin('PUT', '/apps/gone', {
        displayName: 'gone',
        services: { responds: [{ action: GRADES, reason: 'x', url: `http://127.0.0.1:${port}/` }] },
      });
      await install(hub, 'school-a', 'gone');
      expectError(await call({ provider: 'gone' }), 502, 'ProviderUnavailable');
    });

    it('504 ProviderTimeout for slow headers or a slow body, within the timeout asked for', async () => {
      mode = (_req, res) => void setTimeout(() => json(res, 200, GRADEBOOK), 1500);
      const started = Date.now();
      expectError(await call({ query: '?version=1&timeout=300' }), 504, 'ProviderTimeout');
      expect(Date.now() - started).toBeLessThan(1200);
      mode = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"result":[');
        setTimeout(() => res.end(']}'), 1500);
      };
      expectError(await call({ query: '?version=1&timeout=300' }), 504, 'ProviderTimeout');
    });

    it('caps the timeout by configuration', async () => {
      mode = (_req, res) => void setTimeout(() => json(res, 200, GRADEBOOK), 2600);
      const started = Date.now();
      expectError(await call({ query: '?timeout=60000' }), 504, 'ProviderTimeout');
      expect(Date.now() - started).toBeLessThan(2500);
    });

    it('keeps serving after every kind of bad input', async () => {
      expect((await call()).status).toBe(200);
    });
  });

  describe('the authorization matrix', () => {
    it('follows the provider through manual approval, uninstall and reinstall', async () => {
      await registerApp(hub, 'erp-manual', { approval: 'manual', services: { responds: [{ action: GRADES, reason: 'x', url: `${provider.url}/grades` }] } });
      const installed = await hub.admin('PUT', '/communities/school-a/installations/erp-manual');
      expect(installed.body.status).toBe('pending_approval');
      expectError(await call({ provider: 'erp-manual' }), 404, 'NotFound');
      expect((await hub.admin('POST', '/communities/school-a/installations/erp-manual/approve')).body.status).toBe('installed');
      expect((await call({ provider: 'erp-manual' })).status).toBe(200);
      expect((await hub.admin('DELETE', '/communities/school-a/installations/erp-manual')).status).toBe(204);
      expectError(await call({ provider: 'erp-manual' }), 404, 'NotFound');
    });

    it('stops a consumer as soon as it is uninstalled', async () => {
      const token = await registerApp(hub, 'viewer-2', { services: { requests: [{ action: GRADES, reason: 'x' }] } });
      await install(hub, 'school-a', 'viewer-2');
      expect((await call({ token })).status).toBe(200);
      await hub.admin('DELETE', '/communities/school-a/installations/viewer-2');
      expectError(await call({ token }), 403, 'Forbidden');
    });

    it('treats an app whose services are disabled as neither consumer nor provider', async () => {
      const token = await registerApp(hub, 'viewer-off', { services: { enabled: false, requests: [{ action: GRADES, reason: 'x' }] } });
      await install(hub, 'school-a', 'viewer-off');
      expectError(await call({ token }), 403, 'Forbidden');
    });
  });

  describe('secret rotation', () => {
    it('signs with the new and the old signing secret during the overlap, and still sends the old legacy secret', async () => {
      const before = (await hub.admin('GET', '/apps/erp/secrets')).body;
      const after = (await hub.admin('POST', '/apps/erp/secrets/rotate')).body;
      expect(after.signingSecret).not.toBe(before.signingSecret);
      expect(after.previousSigningSecret).toBe(before.signingSecret);
      expect((await call()).status).toBe(200);
      const sent = provider.received[0]!;
      expect(JSON.parse(sent.body).secret).toBe(before.secret);
      expect(after.nextSecret).not.toBe(before.secret);
      expect((sent.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
      for (const secret of [after.signingSecret, before.signingSecret]) {
        expect(() => new Webhook(secret).verify(sent.body, sent.headers as Record<string, string>)).not.toThrow();
      }
    });
  });

  describe('audit log and operations', () => {
    it('records each call with who, what, status and latency', async () => {
      const answer = await call();
      const log = await hub.admin('GET', `/calls?community=school-a&provider=erp&action=${encodeURIComponent(GRADES)}&limit=5`);
      expect(log.status).toBe(200);
      const line = log.body.items.find((c: { id: string }) => c.id === answer.headers['x-request-id']);
      expect(line).toMatchObject({
        communityId: 'school-a',
        consumer: 'viewer',
        provider: 'erp',
        action: GRADES,
        version: 1,
        status: 200,
        outcome: 'ok',
        providerStatus: 200,
      });
      expect(line.latencyMs).toBeGreaterThanOrEqual(0);
      const refused = await call({ action: '@layers:payments:Payables:getRelated' });
      const all = await hub.admin('GET', '/calls?limit=1');
      expect(all.body.items[0]).toMatchObject({ id: refused.headers['x-request-id'], status: 403, outcome: 'Forbidden' });
      expect(all.body.nextCursor).not.toBeNull();
      const next = await hub.admin('GET', `/calls?limit=1&cursor=${all.body.nextCursor}`);
      expect(next.body.items[0].id).toBe(answer.headers['x-request-id']);
    });

    it('filters the audit log by outcome and finds one call by its requestId', async () => {
      const ok = await call();
      const refused = await call({ action: '@layers:payments:Payables:getRelated' });
      const forbidden = await hub.admin('GET', '/calls?outcome=Forbidden&limit=1000');
      expect(forbidden.body.items.length).toBeGreaterThan(0);
      expect(new Set(forbidden.body.items.map((c: { outcome: string }) => c.outcome))).toEqual(new Set(['Forbidden']));
      expect(forbidden.body.items[0].id).toBe(refused.headers['x-request-id']);
      const okOnes = await hub.admin('GET', '/calls?outcome=ok&limit=1000');
      expect(okOnes.body.items.map((c: { id: string }) => c.id)).toContain(ok.headers['x-request-id']);
      expect(okOnes.body.items.map((c: { id: string }) => c.id)).not.toContain(refused.headers['x-request-id']);
      const one = await hub.admin('GET', `/calls?requestId=${String(ok.headers['x-request-id'])}`);
      expect(one.body).toEqual({ items: [expect.objectContaining({ id: ok.headers['x-request-id'], outcome: 'ok', status: 200 })], nextCursor: null });
      expect((await hub.admin('GET', '/calls?requestId=no-such-call')).body).toEqual({ items: [], nextCursor: null });
      const twice = await hub.admin('GET', '/calls?outcome=ok&outcome=Forbidden');
      expectExactError(twice, 400, 'InvalidRequest', 'outcome must be given once, as a string of at most 200 characters', {
        details: [{ pointer: '/query/outcome', message: 'is not a valid filter' }],
      });
    });

    it('serves health, readiness and Prometheus metrics', async () => {
      expect((await hub.send('GET', '/healthz')).status).toBe(200);
      expect((await hub.send('GET', '/readyz')).body).toEqual({ status: 'ready', storage: 'sqlite' });
      const metrics = await hub.send('GET', '/metrics');
      expect(metrics.text).toContain('hub_call_duration_seconds_count{action="@layers:education:GradeBooks:getRelated",provider="erp",outcome="ok"}');
      expect(metrics.text).toContain('hub_http_request_duration_seconds');
    });
  });
});
