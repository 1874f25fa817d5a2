/**
 * Every answer in the hub's error format, including those Fastify and Node's HTTP parser used to
 * write themselves: long action ids (up to 200 characters) routed, over-long path segments 414,
 * malformed percent-encoding 400, unknown routes 404, another method on a known route 405 with
 * `Allow`, malformed HTTP 400, an oversized request line (a long URL) or headers 431, the 503 while
 * shutting down. And the headers every answer carries: `x-content-type-options: nosniff`; admin
 * answers `cache-control: no-store`; `/metrics` behind HUB_METRICS_TOKEN when it is set.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from './support/hub.js';
import { ECHO, startEchoSetup, type EchoSetup } from './support/echo-setup.js';
import { expectExactError } from './support/errors.js';

/** Writes raw bytes to the hub and reads everything until the hub closes the connection. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname, () => socket.write(bytes));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

/** Status line, lower-cased headers and JSON body of a raw HTTP/1.1 answer. */
function parseRaw(text: string): { status: number; headers: Record<string, string>; body: unknown } {
  const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('errors in the hub format', () => {
  let setup: EchoSetup;
  let hub: TestHub;
  beforeAll(async () => {
    setup = await startEchoSetup();
    hub = setup.hub;
  });
  afterAll(async () => {
    await setup.close();
  });

  it('routes action ids of up to 200 characters, raw and percent-encoded', async () => {
    const long = `@acme:${'x'.repeat(180)}:getAll`;
    expect(long.length).toBeGreaterThan(180);
    const put = await hub.admin('PUT', `/actions/${long}/versions/1`, {
      kind: 'request',
      title: 'Long',
      dataSchema: { type: 'object' },
      responseSchema: { type: 'object' },
    });
    expect(put.status, put.text).toBe(201);
    expect((await hub.admin('GET', `/actions/${encodeURIComponent(long)}`)).status).toBe(200);
    const everyCharEncoded = [...Buffer.from(long)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    expect((await hub.admin('GET', `/actions/${everyCharEncoded}`)).body).toMatchObject({ id: long });
    const unknown = `@acme:${'y'.repeat(190)}:get`;
    expectExactError(await hub.send('GET', `/v1/services/discover/${unknown}`, { headers: setup.headers }), 404, 'NotFound', `unknown action "${unknown}"`);
  });

  it('answers 414 for a path segment longer than any id', async () => {
    const answer = await hub.send('GET', `/v1/services/discover/@acme:${'z'.repeat(700)}:get`, { headers: setup.headers });
    expectExactError(answer, 414, 'UriTooLong', 'a path segment of the URL is longer than any id the hub knows');
  });

  it('answers 400 for a malformed percent-encoding in the path', async () => {
    const answer = await hub.send('POST', '/v1/services/call/%E0%A4%A/echo', { headers: setup.headers, body: { name: 'x' } });
    expectExactError(answer, 400, 'InvalidRequest', 'the URL path is not valid: a percent-encoded sequence is malformed');
  });

  it('answers 404 for an unknown route', async () => {
    expectExactError(await hub.send('GET', '/v1/nothing/here?x=1'), 404, 'NotFound', 'no route GET /v1/nothing/here');
    expectExactError(
      await hub.send('POST', '/v2/services/call/a/b', { body: 'not json', headers: { 'content-type': 'text/plain' } }),
      404,
      'NotFound',
      'no route POST /v2/services/call/a/b',
    );
  });

  it('answers 405 with Allow for another method on a known route, before reading any body', async () => {
    const get = await hub.send('GET', `/v1/services/call/${ECHO}/echo`, { headers: setup.headers });
    expectExactError(get, 405, 'MethodNotAllowed', 'this route answers POST only');
    expect(get.headers.allow).toBe('POST');
    const del = await hub.send('DELETE', `/services/discover/${ECHO}`, { headers: setup.headers });
    expectExactError(del, 405, 'MethodNotAllowed', 'this route answers GET, HEAD only');
    expect(del.headers.allow).toBe('GET, HEAD');
    const putText = await hub.send('PUT', '/healthz', { headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(2 * 1024 * 1024) });
    expectExactError(putText, 405, 'MethodNotAllowed', 'this route answers GET, HEAD only');
    const admin = await hub.send('POST', '/v1/admin/apps/echo');
    expectExactError(admin, 405, 'MethodNotAllowed', 'this route answers GET, HEAD, PUT, DELETE only');
  });

  it('answers malformed HTTP with 400 and an oversized request line or headers with 431, then closes', async () => {
    const malformed = parseRaw(await rawExchange(hub.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
    expect(malformed).toEqual({
      status: 400,
      headers: expect.objectContaining({ connection: 'close', 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' }),
      body: { status: 400, type: 'InvalidRequest', name: 'Bad Request', error: 'the request is not valid HTTP', requestId: expect.any(String) },
    });
    const tooLarge = {
      status: 431,
      headers: expect.objectContaining({ connection: 'close', 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' }),
      body: {
        status: 431,
        type: 'HeadersTooLarge',
        name: 'Request Header Fields Too Large',
        error: 'the request line and headers are larger than the hub accepts (16 KiB): a URL or a header is too long',
        requestId: expect.any(String),
      },
    };
    const oversized = parseRaw(await rawExchange(hub.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(oversized).toEqual(tooLarge);
    // Node's parser counts the request line with the headers: a long URL is the same overflow.
    const longUrl = parseRaw(await rawExchange(hub.url, `GET /healthz?x=${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(longUrl).toEqual(tooLarge);
    const longPost = parseRaw(
      await rawExchange(
        hub.url,
        `POST /v1/services/call/${ECHO}/echo?x=${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}`,
      ),
    );
    expect(longPost).toEqual(tooLarge);
  });

  it('sends nosniff on every answer and no-store on admin answers', async () => {
    const answers = [
      await hub.send('GET', '/healthz'),
      await hub.send('POST', `/v1/services/call/${ECHO}/echo`, { headers: setup.headers, body: { name: 'x' } }),
      await hub.send('GET', '/v1/admin/apps'),
      await hub.admin('GET', '/apps'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 401, 200]);
    for (const answer of answers) expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answers[0]!.headers['cache-control']).toBeUndefined();
    expect(answers[2]!.headers['cache-control']).toBe('no-store');
    expect(answers[3]!.headers['cache-control']).toBe('no-store');
  });

  it('answers 503 in the hub format to a request that arrives while shutting down', async () => {
    const closing = await startHub();
    const { hostname, port } = new URL(closing.url);
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // Half a request: the connection is busy, so the shutdown waits for it.
    await new Promise<void>((resolve) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n', () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
    const closeDone = closing.close();
    socket.write('\r\n');
    await closed;
    await closeDone;
    const answer = parseRaw(received);
    expect(answer.status).toBe(503);
    expect(answer.headers).toMatchObject({ connection: 'close', 'x-content-type-options': 'nosniff', 'content-type': 'application/json; charset=utf-8' });
    expect(answer.body).toEqual({
      status: 503,
      type: 'ServiceUnavailable',
      name: 'Service Unavailable',
      error: 'the hub is shutting down; send the request again, to another instance or later',
      requestId: answer.headers['x-request-id'],
    });
  });
});

describe('/metrics behind HUB_METRICS_TOKEN', () => {
  const METRICS_TOKEN = 'metrics-token-0123456789';
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ metricsToken: METRICS_TOKEN });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('answers 401 in the hub format without the token or with a wrong one, and the metrics with it', async () => {
    expectExactError(await hub.send('GET', '/metrics'), 401, 'Unauthorized', 'no metrics token: send Authorization: Bearer <HUB_METRICS_TOKEN>');
    expectExactError(
      await hub.send('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } }),
      401,
      'Unauthorized',
      'the metrics token is wrong',
    );
    expectExactError(
      await hub.send('GET', '/metrics', { headers: { authorization: 'Bearer test-admin-token' } }),
      401,
      'Unauthorized',
      'the metrics token is wrong',
    );
    const ok = await hub.send('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('# TYPE');
    expect((await hub.send('GET', '/healthz')).status).toBe(200);
  });

  it('leaves /metrics open when no token is set', async () => {
    const open = await startHub();
    try {
      expect((await open.send('GET', '/metrics')).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
