/**
 * Property-based test of the public routes' inputs: whatever a client sends — any path segment,
 * query, community, token, content type or body — the hub answers a status from the SPEC's table
 * in the common error format (or 200), never a 500, and keeps serving. A well-formed JSON body sent
 * with a JSON media type is never refused as unsupported (415); any other body is refused before
 * the route runs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { expectError } from './support/errors.js';
import { json, startServer, type TestServer } from './support/servers.js';

const ACTION = '@layers:Calendar:getRelated';
const ALLOWED = new Set([200, 400, 401, 403, 404, 413, 415, 429, 502, 504]);
/** The error types each status may carry (the README's error table). */
const TYPES_BY_STATUS: Record<number, string[]> = {
  400: ['InvalidRequest'],
  401: ['Unauthorized'],
  403: ['Forbidden'],
  404: ['NotFound'],
  413: ['PayloadTooLarge'],
  415: ['UnsupportedMediaType'],
  429: ['TooManyRequests'],
  502: ['ProviderError', 'InvalidProviderResponse', 'ProviderUnavailable'],
  504: ['ProviderTimeout'],
};
const JSON_MEDIA_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/vnd.api+json']);
/** What a call answers when its body is refused, when a check before the body (token, community,
 * installation, rate limit) fails first, or when its path (`..` resolved by the client) is no route. */
const BEFORE_THE_ROUTE = new Set([400, 401, 403, 404, 415, 429]);

function wellFormedJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('public routes under arbitrary input', () => {
  let hub: TestHub;
  let provider: TestServer;
  let token: string;

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, { result: [] }));
    hub = await startHub({ bodyLimit: 64 * 1024 });
    token = await registerApp(hub, 'viewer', { services: { requests: [{ action: ACTION, reason: 'x' }] } });
    await registerApp(hub, 'cal', { services: { responds: [{ action: ACTION, reason: 'x', url: `${provider.url}/` }] } });
    await install(hub, 'c1', 'viewer');
    await install(hub, 'c1', 'cal');
  });
  afterAll(async () => {
    await hub.close();
    await provider.close();
  });

  const segment = fc.oneof(
    fc.constant(ACTION),
    fc.constant(encodeURIComponent(ACTION)),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.stringMatching(/^@[a-z]{1,5}(:[A-Za-z]{1,6}){1,4}$/),
  );
  const query = fc.oneof(
    fc.constant(''),
    fc
      .record({ version: fc.oneof(fc.constant('1'), fc.string({ maxLength: 6 })), timeout: fc.oneof(fc.constant('1000'), fc.string({ maxLength: 6 })) })
      .map((q) => `?version=${encodeURIComponent(q.version)}&timeout=${encodeURIComponent(q.timeout)}`),
    fc.string({ maxLength: 30 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}&_community=${encodeURIComponent(s)}`),
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.constant(JSON.stringify({ user: { id: 'u', name: 'n', alias: 'a' } })),
    fc.string({ maxLength: 200 }),
    fc.constant('{"__proto__":{"x":1}}'),
    fc.constant(''),
  );
  const contentType = fc.constantFrom(...JSON_MEDIA_TYPES, 'text/plain', 'application/x-www-form-urlencoded');
  const headerValue = fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s));

  it('answers every request in the documented format, never with a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('discover', 'call'),
        segment,
        fc.constantFrom('cal', 'nobody', '%2e%2e'),
        query,
        body,
        contentType,
        fc.option(fc.oneof(fc.constant('c1'), headerValue)),
        fc.option(fc.oneof(fc.constant('c1'), headerValue)),
        fc.oneof(fc.constant('valid'), headerValue),
        async (route, action, providerId, q, payload, type, communityId, xCommunity, auth) => {
          const headers: Record<string, string> = { authorization: auth === 'valid' ? `Bearer ${token}` : auth, 'content-type': type };
          if (communityId !== null) headers['community-id'] = communityId;
          if (xCommunity !== null) headers['x-community-id'] = xCommunity;
          const answer =
            route === 'discover'
              ? await hub.send('GET', `/v1/services/discover/${action}${q}`, { headers })
              : await hub.send('POST', `/v1/services/call/${action}/${providerId}${q}`, { headers, body: payload });
          expect(ALLOWED.has(answer.status), `status ${answer.status}: ${answer.text}`).toBe(true);
          if (route === 'call' && JSON_MEDIA_TYPES.has(type) && wellFormedJson(payload)) expect(answer.status, answer.text).not.toBe(415);
          if (route === 'call' && !JSON_MEDIA_TYPES.has(type) && payload !== '') expect(BEFORE_THE_ROUTE.has(answer.status), answer.text).toBe(true);
          if (answer.status >= 400) {
            expect(TYPES_BY_STATUS[answer.status], answer.text).toContain(answer.body?.type);
            expectError(answer, answer.status, answer.body.type);
          }
        },
      ),
      { numRuns: 300 },
    );
    const ok = await hub.send('POST', `/v1/services/call/${ACTION}/cal`, {
      headers: { authorization: `Bearer ${token}`, 'x-community-id': 'c1' },
      body: { user: { id: 'u', name: 'n', alias: 'a' } },
    });
    expect(ok.status).toBe(200);
  });
});
