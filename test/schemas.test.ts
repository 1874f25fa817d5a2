/**
 * Operator-defined schemas over HTTP, against a real hub and a real provider: schemas with `$id`,
 * capped validation errors (consumer bodies, provider answers, admin manifests), patterns that
 * would backtrack for ever on a backtracking engine, and compiled validators freed when replaced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { spawnHub, stopAll, type HubProcess } from './support/process.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';

const ACTION = '@acme:people:Directory:lookup';
const TWIN = '@acme:people:Directory:search';
const SCHEMA_ID = 'https://schemas.acme.example/person.json';

/** A request action whose data schema carries `$id` and resolves a `$ref` inside it. */
function withId(title: string, extra: Record<string, unknown> = {}) {
  return {
    kind: 'request',
    title,
    dataSchema: {
      $id: SCHEMA_ID,
      type: 'object',
      required: ['person'],
      properties: { person: { $ref: '#/$defs/person' } },
      $defs: { person: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } }, ...extra } },
    },
    responseSchema: { $id: SCHEMA_ID, type: 'object' },
  };
}

type Answerer = (req: Received, res: ServerResponse) => void;

const PATTERNED = '@acme:people:Directory:patterned';
/** Patterns on which a backtracking engine takes 2^n steps for n characters that fail them, and
 * ajv-formats' `url`, whose expression takes n^2. */
const PATTERNED_DEFINITION = {
  kind: 'request',
  title: 'Patterned',
  dataSchema: {
    type: 'object',
    properties: { code: { type: 'string', pattern: '^(a+)+$' }, link: { type: 'string', format: 'url' } },
    patternProperties: { '^(x+x+)+y$': { type: 'string' } },
    additionalProperties: false,
  },
  responseSchema: {},
};

describe('operator-defined schemas', () => {
  let hub: TestHub;
  let provider: TestServer;
  let answer: Answerer;
  let consumer: string;

  const call = (action: string, body: unknown) =>
    hub.send('POST', `/v1/services/call/${action}/directory?version=1`, {
      headers: { authorization: `Bearer ${consumer}`, 'x-community-id': 'school-a' },
      body,
    });
  const define = (action: string, definition: unknown, query = '') => hub.admin('PUT', `/actions/${action}/versions/1${query}`, definition);

  beforeAll(async () => {
    provider = await startServer((req, res) => answer(req, res));
    hub = await startHub();
  });

  afterAll(async () => {
    await hub.close();
    await provider.close();
  });

  beforeEach(() => {
    answer = (_req, res) => json(res, 200, { ok: true });
  });

  /** Registers the provider and the consumer of `actions`, installed in school-a. */
  async function connect(actions: string[]): Promise<void> {
    await registerApp(hub, 'directory', {
      services: { responds: actions.map((action) => ({ action, reason: 'people', url: `${provider.url}/lookup` })) },
    });
    consumer = await registerApp(hub, 'viewer', { services: { requests: actions.map((action) => ({ action, reason: 'people' })) } });
    await install(hub, 'school-a', 'directory');
    await install(hub, 'school-a', 'viewer');
  }

  describe('a schema with $id', () => {
    it('is definable, redefinable, shareable by two actions, and admin writes keep working', async () => {
      expect((await define(ACTION, withId('Look up'))).status).toBe(201);
      expect((await define(ACTION, withId('Look up, again'))).status).toBe(200);
      expect((await define(ACTION, withId('Look up, once more'))).status).toBe(200);
      expect((await define(TWIN, withId('Search'))).status).toBe(201);

      // Every later admin write reloads the catalogue: none may fail because of those schemas.
      await connect([ACTION, TWIN]);
      const issued = await hub.admin('POST', '/apps/viewer/tokens');
      expect(issued.status).toBe(201);
      const revoked = await hub.admin('DELETE', `/apps/viewer/tokens/${issued.body.id}`);
      expect(revoked.status).toBe(204);
      expect(revoked.text).toBe('');
      expect((await hub.admin('PUT', '/communities/school-c')).status).toBe(201);
      const installed = await hub.admin('PUT', '/communities/school-c/installations/directory');
      expect(installed.status).toBe(201);
      expect(installed.body).toMatchObject({ community: 'school-c', app: 'directory', status: 'installed' });
      expect((await hub.admin('GET', `/actions/${ACTION}`)).body.versions[0].title).toBe('Look up, once more');

      // And calls are validated by the $id schema, $ref included.
      const ok = await call(ACTION, { person: { id: 'p-1' } });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ data: { ok: true } });
      const twin = await call(TWIN, { person: { id: 'p-1' } });
      expect(twin.status).toBe(200);
      const bad = await call(ACTION, { person: { id: '' } });
      expect(bad.body).toEqual({
        status: 400,
        type: 'InvalidRequest',
        name: 'Bad Request',
        error: `the body does not match the request schema of "${ACTION}" version 1`,
        details: [{ pointer: '/person/id', message: 'must NOT have fewer than 1 characters', keyword: 'minLength' }],
        requestId: expect.any(String),
      });
    });

    it('stores nothing when the definition fails, and the catalogue keeps the last good one', async () => {
      const broken = { ...withId('Broken'), dataSchema: { $id: SCHEMA_ID, $ref: '#/$defs/missing' } };
      const refused = await define(ACTION, broken, '?force=true');
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ type: 'InvalidRequest', error: 'the action definition is not valid' });
      expect(refused.body.details).toEqual([{ pointer: '/dataSchema', message: expect.stringContaining("can't resolve reference #/$defs/missing") }]);
      const now = await hub.admin('GET', `/actions/${ACTION}`);
      expect(now.body.versions[0].title).toBe('Look up, once more');
      expect((await hub.store.listActions()).find((a) => a.id === ACTION)!.title).toBe('Look up, once more');
    });

    it('skips a stored definition that no longer compiles, instead of failing every admin write', async () => {
      const now = Date.now();
      // Written straight to the store, as an older hub or another process might have.
      await hub.store.putAction({
        id: '@acme:people:Directory:broken',
        version: 1,
        kind: 'request',
        title: 'Broken',
        builtin: false,
        createdAt: now,
        updatedAt: now,
        dataSchema: { $ref: 'https://nowhere.example/none.json' },
        responseSchema: {},
      });
      expect((await hub.admin('PUT', '/communities/school-b')).status).toBe(201);
      expect((await hub.admin('GET', '/actions/@acme:people:Directory:broken')).status).toBe(404);
      expect((await call(ACTION, { person: { id: 'p-2' } })).status).toBe(200);
    });
  });

  describe('validation errors', () => {
    it('lists the first 20 problems of a body and says how many more there were', async () => {
      const items = {
        kind: 'request',
        title: 'Items',
        dataSchema: { type: 'array', items: { type: 'string' } },
        responseSchema: { type: 'array', items: { type: 'string' } },
      };
      expect((await define('@acme:people:Directory:items', items)).status).toBe(201);
      await connect(['@acme:people:Directory:items']);
      const answer = await call(
        '@acme:people:Directory:items',
        Array.from({ length: 100 }, (_, i) => i),
      );
      expect(answer.body).toEqual({
        status: 400,
        type: 'InvalidRequest',
        name: 'Bad Request',
        error: 'the body does not match the request schema of "@acme:people:Directory:items" version 1 (20 problems listed, 80 more not listed)',
        details: Array.from({ length: 20 }, (_, i) => ({ pointer: `/${i}`, message: 'must be string', keyword: 'type' })),
        requestId: expect.any(String),
      });
    });

    it('answers a 1 MB body with half a million problems in a few hundred bytes', async () => {
      const body = `[${'1,'.repeat(512 * 1024 - 10)}1]`;
      const answer = await call('@acme:people:Directory:items', body);
      expect(answer.body).toEqual({
        status: 400,
        type: 'InvalidRequest',
        name: 'Bad Request',
        error:
          'the body does not match the request schema of "@acme:people:Directory:items" version 1 (only the first problem is listed: the document is too large to look for all of them)',
        details: [{ pointer: '/0', message: 'must be string', keyword: 'type' }],
        requestId: expect.any(String),
      });
      expect(answer.text.length).toBeLessThan(1024);
    });

    it('caps the problems of a provider answer the same way', async () => {
      answer = (_req, res) =>
        json(
          res,
          200,
          Array.from({ length: 4000 }, () => 7),
        );
      const reply = await call('@acme:people:Directory:items', ['a']);
      expect(reply.body).toEqual({
        status: 502,
        type: 'InvalidProviderResponse',
        name: 'Bad Gateway',
        error:
          'the answer of app "directory" does not match the response schema of "@acme:people:Directory:items" version 1 (20 problems listed, 3980 more not listed)',
        details: Array.from({ length: 20 }, (_, i) => ({ pointer: `/${i}`, message: 'must be string', keyword: 'type' })),
        requestId: expect.any(String),
      });
    });

    it('cuts long pointers and messages, so that no error answer is over a few KB', async () => {
      const strict = { kind: 'request', title: 'Strict', dataSchema: { type: 'object', additionalProperties: false }, responseSchema: {} };
      expect((await define('@acme:people:Directory:strict', strict)).status).toBe(201);
      await connect(['@acme:people:Directory:strict']);
      const body = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}${'"'.repeat(10_000)}`, 1]));
      const answer = await call('@acme:people:Directory:strict', body);
      expect(answer.status).toBe(400);
      expect(answer.body.details).toHaveLength(20);
      expect(answer.body.details[0]).toEqual({ pointer: expect.stringMatching(/^\/0"+…$/), message: 'is not allowed here', keyword: 'additionalProperties' });
      expect(answer.body.error).toMatch(/\(20 problems listed, 30 more not listed\)$/);
      expect(answer.text.length).toBeLessThan(8 * 1024);
    });

    it('caps the breaking changes of an incompatible definition (admin)', async () => {
      const fields = (type: string) => Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, { type }]));
      const wide = (type: string) => ({ kind: 'request', title: 'Wide', dataSchema: { type: 'object', properties: fields(type) }, responseSchema: {} });
      expect((await define('@acme:people:Directory:wide', wide('string'))).status).toBe(201);
      const answer = await define('@acme:people:Directory:wide', wide('integer'));
      expect(answer.status).toBe(409);
      expect(answer.body.details).toHaveLength(20);
      expect(answer.body.error).toMatch(/\(20 problems listed, 10 more not listed\)$/);
    });

    it('caps the problems of a manifest (admin)', async () => {
      const requests = Array.from({ length: 40 }, () => ({ action: 7 }));
      const answer = await hub.admin('PUT', '/apps/sloppy', { displayName: 'Sloppy', services: { requests } });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toHaveLength(20);
      expect(answer.body.error).toMatch(/^the manifest is not valid \(20 problems listed, \d+ more not listed\)$/);
    });
  });

  describe('patterns', () => {
    it('run on a linear-time engine, and still match what they should', async () => {
      expect((await define(PATTERNED, PATTERNED_DEFINITION)).status).toBe(201);
      await connect([PATTERNED]);
      expect((await call(PATTERNED, { code: 'aaa', xxy: 'y', link: 'https://school.example/a?b=c' })).body).toEqual({ data: { ok: true } });
      expect((await call(PATTERNED, { link: 'https://localhost/a' })).body.details).toEqual([
        { pointer: '/link', message: 'must match format "url"', keyword: 'format' },
      ]);
      const answer = await call(PATTERNED, { code: 'ab' });
      expect(answer.body.details).toEqual([{ pointer: '/code', message: 'must match pattern "^(a+)+$"', keyword: 'pattern' }]);
    });

    it('that the linear-time engine cannot run are refused when the action is defined, naming the pattern', async () => {
      const refusals = [
        ['^(?=a)a$', 'invalid or unsupported Perl syntax: `(?=`'],
        ['^(a)\\1$', 'invalid escape sequence: `\\1`'],
      ];
      for (const [pattern, reason] of refusals) {
        const answer = await define(
          PATTERNED,
          { kind: 'request', title: 'Lookahead', dataSchema: { type: 'string', pattern }, responseSchema: {} },
          '?force=true',
        );
        expect(answer.body).toEqual({
          status: 400,
          type: 'InvalidRequest',
          name: 'Bad Request',
          error: 'the action definition is not valid',
          details: [
            {
              pointer: '/dataSchema',
              message: `is not a valid JSON Schema (2020-12): pattern "${pattern}" cannot run on RE2, the hub's linear-time engine: ${reason}`,
            },
          ],
          requestId: expect.any(String),
        });
      }
    });

    it('whose RE2 program is too large to run fast on a large input are refused when the action is defined', async () => {
      const pattern = '(\\w+\\s?){1,200}x$';
      const answer = await define(PATTERNED, { kind: 'request', title: 'Large', dataSchema: { type: 'string', pattern }, responseSchema: {} }, '?force=true');
      expect(answer.body).toEqual({
        status: 400,
        type: 'InvalidRequest',
        name: 'Bad Request',
        error: 'the action definition is not valid',
        details: [
          {
            pointer: '/dataSchema',
            message: `is not a valid JSON Schema (2020-12): pattern "${pattern}" is too complex: 1403 RE2 instructions, over 1000 (use smaller repetition counts)`,
          },
        ],
        requestId: expect.any(String),
      });
      const smaller = await define(
        PATTERNED,
        { kind: 'request', title: 'Smaller', dataSchema: { type: 'string', pattern: '(\\w+\\s?){1,100}x$' }, responseSchema: {} },
        '?force=true',
      );
      expect(smaller.status).toBe(200);
    });
  });

  describe('compiled validators', () => {
    it('are freed when their definition is replaced', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const compiled: Array<WeakRef<object>> = [];
      for (let i = 0; i < 40; i++) {
        const definition = {
          kind: 'request',
          title: `Revision ${i}`,
          dataSchema: { type: 'object', properties: { [`field${i}`]: { type: 'string' } } },
          responseSchema: {},
        };
        expect((await define('@acme:people:Directory:revised', definition, '?force=true')).status).toBe(i === 0 ? 201 : 200);
        compiled.push(new WeakRef(hub.hub.catalog.current.get('@acme:people:Directory:revised', 1)!.validateData));
      }
      // WeakRefs read in this turn stay alive until it ends: collect in a later one.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      const alive = compiled.filter((ref) => ref.deref() !== undefined).length;
      expect(alive).toBeLessThanOrEqual(2);
      expect(compiled.at(-1)!.deref()).toBeDefined();
    });
  });
});

// In a child process: were the hub to backtrack, it alone would freeze, and these calls time out.
describe('a pattern that backtracks for ever on a backtracking engine', () => {
  const adminToken = 'schemas-admin-token-0123456789';
  let dir: string;
  let hub: HubProcess;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-schemas-'));
    hub = await spawnHub(dir, adminToken);
    const admin = (method: string, path: string, body?: unknown) =>
      hub.send(method, `/v1/admin${path}`, { headers: { authorization: `Bearer ${adminToken}` }, body });
    expect((await admin('PUT', `/actions/${PATTERNED}/versions/1`, PATTERNED_DEFINITION)).status).toBe(201);
    expect((await admin('PUT', '/apps/viewer', { displayName: 'Viewer', services: { requests: [{ action: PATTERNED, reason: 'codes' }] } })).status).toBe(201);
    expect(
      (
        await admin('PUT', '/apps/directory', {
          displayName: 'Directory',
          services: { responds: [{ action: PATTERNED, reason: 'codes', url: 'http://127.0.0.1:9/codes' }] },
        })
      ).status,
    ).toBe(201);
    await admin('PUT', '/communities/school-a');
    await admin('PUT', '/communities/school-a/installations/viewer');
    await admin('PUT', '/communities/school-a/installations/directory');
    token = (await admin('POST', '/apps/viewer/tokens')).body.token as string;
  });

  afterAll(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (body: unknown) =>
    hub.send('POST', `/v1/services/call/${PATTERNED}/directory?version=1`, {
      headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a' },
      body,
    });

  it('answers at once when a value fails it (33 bytes: 2^32 steps of backtracking)', async () => {
    const answer = await call({ code: `${'a'.repeat(32)}!` });
    expect(answer.body).toEqual({
      status: 400,
      type: 'InvalidRequest',
      name: 'Bad Request',
      error: `the body does not match the request schema of "${PATTERNED}" version 1`,
      details: [{ pointer: '/code', message: 'must match pattern "^(a+)+$"', keyword: 'pattern' }],
      requestId: expect.any(String),
    });
  });

  it('answers at once when a value fails the url format (400,000 characters)', async () => {
    const answer = await call({ link: `http://${':'.repeat(400_000)}` });
    expect(answer.body).toEqual({
      status: 400,
      type: 'InvalidRequest',
      name: 'Bad Request',
      error: `the body does not match the request schema of "${PATTERNED}" version 1`,
      details: [{ pointer: '/link', message: 'must match format "url"', keyword: 'format' }],
      requestId: expect.any(String),
    });
  });

  it('answers at once when a key fails a patternProperties pattern', async () => {
    const key = 'x'.repeat(40);
    const answer = await call({ [key]: 'y' });
    expect(answer.body).toEqual({
      status: 400,
      type: 'InvalidRequest',
      name: 'Bad Request',
      error: `the body does not match the request schema of "${PATTERNED}" version 1`,
      details: [{ pointer: `/${key}`, message: 'is not allowed here', keyword: 'additionalProperties' }],
      requestId: expect.any(String),
    });
  });
});
