/**
 * A provider that echoes its request must not hand its legacy secret to the consumer: not in an
 * echoed error body, not in a 2xx answer a permissive schema lets through (verbatim, escaped, in
 * keys), not in the pointers of a schema violation. Answers without a secret pass byte for byte.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mayContainSecret, REDACTED, redactJson } from '../src/relay/redaction.js';
import { install, registerApp, startHub, type Answer, type TestHub } from './support/hub.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';

const ECHO = '@acme:tools:Echo:get';
const STRICT = '@acme:tools:Strict:get';
const SECRET = 'Abc123_-Abc123_-Abc123_-Abc123_-Abc123_-xyz';

type Mode = (req: Received, res: ServerResponse, secret: string) => void;

describe('redaction of a provider secret', () => {
  it('looks closer only at answers that may spell a secret', () => {
    expect(mayContainSecret('{"a":"plain"}', [SECRET])).toBe(false);
    expect(mayContainSecret(`{"a":"${SECRET}"}`, [SECRET])).toBe(true);
    expect(mayContainSecret('{"a":"caf\\u00e9 \\u4e2d"}', [SECRET])).toBe(false);
    expect(mayContainSecret('{"a":"\\u0041"}', [SECRET])).toBe(true);
    // Go escapes <, > and & as \u003c, \u003e, \u0026: characters no base64url secret holds.
    expect(mayContainSecret('{"a":"\\u003cb\\u003e \\u0026"}', [SECRET])).toBe(false);
    // A secret JSON may write otherwise is looked for in every answer with an escape.
    expect(mayContainSecret('{"a":"\\n"}', ['with/slash'])).toBe(true);
    expect(mayContainSecret('{"a":"b"}', ['with/slash'])).toBe(false);
  });

  it('keeps the text when nothing is found and redacts strings and keys, __proto__ staying a key', () => {
    const clean = '{ "a" : "\\u0041" }';
    expect(redactJson(clean, JSON.parse(clean), [SECRET])).toBe(clean);
    const leaky = `{"__proto__":{"${SECRET}":["x${SECRET}y",1,null]}}`;
    expect(JSON.parse(redactJson(leaky, JSON.parse(leaky), [SECRET])!)).toEqual(JSON.parse(`{"__proto__":{"${REDACTED}":["x${REDACTED}y",1,null]}}`));
    const deep = '['.repeat(2000) + `"${SECRET}"` + ']'.repeat(2000);
    expect(redactJson(deep, JSON.parse(deep), [SECRET])).toBeUndefined();
  });
});

describe('a provider echoing its request', () => {
  let hub: TestHub;
  let provider: TestServer;
  let viewer: string;
  let secret: string;
  let mode: Mode;

  const call = (action: string): Promise<Answer> =>
    hub.send('POST', `/v1/services/call/${action}/erp?version=1`, {
      headers: { authorization: `Bearer ${viewer}`, 'x-community-id': 'school-a' },
      body: { q: 'x' },
    });
  const raw = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  beforeAll(async () => {
    provider = await startServer((req, res) => mode(req, res, JSON.parse(req.body).secret));
    hub = await startHub();
    const define = (action: string, responseSchema: unknown) =>
      hub.admin('PUT', `/actions/${action}/versions/1`, { kind: 'request', title: action, dataSchema: { type: 'object' }, responseSchema });
    expect((await define(ECHO, {})).status).toBe(201);
    expect((await define(STRICT, { type: 'object', additionalProperties: false })).status).toBe(201);
    viewer = await registerApp(hub, 'viewer', {
      services: {
        requests: [
          { action: ECHO, reason: 'x' },
          { action: STRICT, reason: 'x' },
        ],
      },
    });
    await registerApp(hub, 'erp', {
      services: {
        responds: [
          { action: ECHO, reason: 'x', url: `${provider.url}/echo` },
          { action: STRICT, reason: 'x', url: `${provider.url}/strict` },
        ],
      },
    });
    for (const app of ['viewer', 'erp']) await install(hub, 'school-a', app);
    secret = (await hub.admin('GET', '/apps/erp/secrets')).body.secret;
  });
  afterAll(async () => {
    await hub.close();
    await provider.close();
  });
  beforeEach(() => {
    provider.received.length = 0;
  });

  it('redacts the secret from an echoed error body', async () => {
    mode = (req, res) => json(res, 400, { message: 'bad request', request: JSON.parse(req.body) });
    const answer = await call(ECHO);
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual({
      status: 502,
      type: 'ProviderError',
      name: 'Bad Gateway',
      error: 'app "erp" answered 400',
      provider: { status: 400, body: { message: 'bad request', request: { ...JSON.parse(provider.received[0]!.body), secret: REDACTED } } },
      requestId: answer.headers['x-request-id'],
    });
    expect(answer.text).not.toContain(secret);
  });

  it('redacts the secret from a 2xx answer a permissive schema lets through, wherever it is', async () => {
    mode = (req, res) => json(res, 200, { echo: JSON.parse(req.body), [secret]: `token=${secret};`, list: [secret] });
    const answer = await call(ECHO);
    expect(answer.status).toBe(200);
    const sent = JSON.parse(provider.received[0]!.body);
    expect(answer.body).toEqual({ data: { echo: { ...sent, secret: REDACTED }, [REDACTED]: `token=${REDACTED};`, list: [REDACTED] } });
    expect(answer.text).not.toContain(secret);
  });

  it('redacts a secret spelled with JSON escapes', async () => {
    mode = (_req, res, echoed) => {
      const escaped = [...echoed].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
      raw(res, 200, `{"note":"${escaped}"}`);
    };
    const answer = await call(ECHO);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { note: REDACTED } });
  });

  it('redacts the secret from the pointers of a schema violation', async () => {
    mode = (_req, res, echoed) => json(res, 200, { [echoed]: true });
    const answer = await call(STRICT);
    expect(answer.body).toEqual({
      status: 502,
      type: 'InvalidProviderResponse',
      name: 'Bad Gateway',
      error: `the answer of app "erp" does not match the response schema of "${STRICT}" version 1`,
      details: [{ pointer: `/${REDACTED}`, message: 'is not allowed here', keyword: 'additionalProperties' }],
      requestId: answer.headers['x-request-id'],
    });
    expect(answer.text).not.toContain(secret);
  });

  it('passes an answer without a secret byte for byte, escapes included', async () => {
    const text = '{ "greeting" : "ol\\u00e1 \\u0041na" ,"n":1.50 }';
    mode = (_req, res) => raw(res, 200, text);
    const answer = await call(ECHO);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(`{"data":${text}}`);
  });

  // Last: it rotates the provider's secrets.
  it('after a rotation, redacts both the secret still sent and the one announced', async () => {
    const rotated = await hub.admin('POST', '/apps/erp/secrets/rotate');
    expect(rotated.status).toBe(200);
    const { secret: stillSent, nextSecret } = rotated.body as { secret: string; nextSecret: string };
    expect(stillSent).toBe(secret);
    expect(nextSecret).not.toBe(secret);
    mode = (req, res) => json(res, 200, { echo: JSON.parse(req.body), next: nextSecret });
    const answer = await call(ECHO);
    expect(answer.status).toBe(200);
    expect(JSON.parse(provider.received[0]!.body).secret).toBe(stillSent);
    expect(answer.body.data.echo.secret).toBe(REDACTED);
    expect(answer.body.data.next).toBe(REDACTED);
    expect(answer.text).not.toContain(stillSent);
    expect(answer.text).not.toContain(nextSecret);
  });
});
