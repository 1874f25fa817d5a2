/**
 * `api-hub mock` as a consumer meets it: registered as a provider on a real hub, called through
 * the hub, answering schema-valid and deterministic data, and checking the hub's signature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinCatalog } from '../src/catalog/builtin.js';
import { runApiHub, startApiHub, type RunningCli } from './support/cli.js';
import { ADMIN_TOKEN, install, registerApp, sendTo, startHub, type TestHub } from './support/hub.js';
import { freePort } from './support/port.js';
import { json, startServer } from './support/servers.js';

const CALENDAR = '@layers:Calendar:getRelated';
const STOCK = '@acme:Stock:get';
const COMMUNITY = 'school';
const calendarFile = loadBuiltinCatalog().find((f) => f.id === CALENDAR && f.version === 1)!;
const stockResponseSchema = {
  type: 'object',
  required: ['sku', 'quantity', 'updatedAt', 'tags'],
  additionalProperties: false,
  properties: {
    sku: { type: 'string', minLength: 3, maxLength: 12 },
    quantity: { type: 'integer', minimum: 0, maximum: 500 },
    updatedAt: { type: 'string', format: 'date-time' },
    tags: { type: 'array', minItems: 1, maxItems: 4, items: { enum: ['new', 'sale', 'gift'] } },
    warehouse: { $ref: '#/$defs/warehouse' },
  },
  $defs: { warehouse: { type: 'object', required: ['code'], properties: { code: { type: 'string', format: 'uuid' } } } },
};

describe('api-hub mock through a real hub', () => {
  let hub: TestHub;
  let calendarMock: RunningCli;
  let stockMock: RunningCli;
  let headers: Record<string, string>;

  beforeAll(async () => {
    hub = await startHub();
    await hub.admin('PUT', `/actions/${STOCK}/versions/1`, {
      kind: 'request',
      title: 'Stock',
      dataSchema: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } },
      responseSchema: stockResponseSchema,
    });
    const [calendarPort, stockPort] = [await freePort(), await freePort()];
    await registerApp(hub, 'erp', { services: { responds: [{ action: CALENDAR, reason: 'x', url: `http://127.0.0.1:${calendarPort}/calendar` }] } });
    await registerApp(hub, 'stock', { services: { responds: [{ action: STOCK, reason: 'x', url: `http://127.0.0.1:${stockPort}/any/path` }] } });
    const token = await registerApp(hub, 'client', {
      services: {
        requests: [
          { action: CALENDAR, reason: 'x' },
          { action: STOCK, reason: 'x' },
        ],
      },
    });
    for (const app of ['erp', 'stock', 'client']) await install(hub, COMMUNITY, app);
    headers = { authorization: `Bearer ${token}`, 'x-community-id': COMMUNITY };
    const secretOf = async (app: string) => (await hub.admin('GET', `/apps/${app}/secrets`)).body.signingSecret as string;
    calendarMock = await startApiHub(['mock', '--action', CALENDAR, '--port', String(calendarPort), '--signing-secret', await secretOf('erp'), '--json']);
    stockMock = await startApiHub(['mock', '--action', STOCK, '--port', String(stockPort), '--seed', '7', '--hub', hub.url, '--admin-token', ADMIN_TOKEN]);
  });
  afterAll(async () => {
    await calendarMock?.stop();
    await stockMock?.stop();
    await hub?.close();
  });

  const call = (action: string, provider: string, data: unknown) => hub.send('POST', `/services/call/${action}/${provider}`, { headers, body: data });

  it('says where it listens and what it answers', () => {
    expect(JSON.parse(calendarMock.firstLine)).toEqual({
      listening: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      actions: [`${CALENDAR} v1`],
      verifiesSignatures: true,
    });
    expect(stockMock.firstLine).toMatch(/^Mock provider listening on http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers a built-in action with one of its response examples, the same for the same data', async () => {
    const data = calendarFile.examples.data.valid[0];
    const first = await call(CALENDAR, 'erp', data);
    expect(first.status).toBe(200);
    expect(calendarFile.examples.response!.valid).toContainEqual(first.body.data);
    const again = await call(CALENDAR, 'erp', data);
    expect(again.body).toEqual(first.body);
  });

  it('answers an action without examples with data generated from its schema, which the hub accepts', async () => {
    const answer = await call(STOCK, 'stock', { sku: 'ABC-1' });
    // 200 through the hub: the hub checked the answer against the response schema.
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({
      sku: expect.any(String),
      quantity: expect.any(Number),
      updatedAt: expect.any(String),
      tags: expect.any(Array),
      warehouse: { code: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    expect((await call(STOCK, 'stock', { sku: 'ABC-1' })).body).toEqual(answer.body);
  });

  it('refuses, with 401, what the hub did not sign', async () => {
    const url = JSON.parse(calendarMock.firstLine).listening as string;
    const envelope = { context: { action: CALENDAR, version: 1 }, secret: '', data: calendarFile.examples.data.valid[0] };
    const unsigned = await sendTo(url, 'POST', '/calendar', { body: envelope });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toEqual({ error: 'missing webhook-id, webhook-timestamp or webhook-signature' });
    const forged = await sendTo(url, 'POST', '/calendar', {
      body: envelope,
      headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
    });
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ error: 'no valid signature' });
    // The hub's own, signed, calls were answered.
    expect(calendarMock.output()).toContain(`{"action":"${CALENDAR}","status":200}`);
  });

  it('answers 400 with the pointers when the data does not match the request schema', async () => {
    const url = stockMock.firstLine.replace('Mock provider listening on ', '');
    const answer = await sendTo(url, 'POST', '/any/path', { body: { context: { action: STOCK, version: 1 }, data: { sku: 5 } } });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: `the data does not match the request schema of "${STOCK}" version 1`,
      details: [{ pointer: '/sku', message: 'must be string', keyword: 'type' }],
    });
    const unknown = await sendTo(url, 'POST', '/any/path', { body: { context: { action: CALENDAR, version: 1 }, data: {} } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: `this mock does not answer "${CALENDAR}" version 1` });
  });

  it('passes api-hub conformance when it checks signatures, and fails only those checks when not', async () => {
    const calendarUrl = `${JSON.parse(calendarMock.firstLine).listening as string}/calendar`;
    const signingSecret = (await hub.admin('GET', '/apps/erp/secrets')).body.signingSecret as string;
    const verified = await runApiHub(['conformance', '--action', CALENDAR, '--url', calendarUrl, '--signing-secret', signingSecret, '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ action: CALENDAR, version: 1, passed: true });

    // The action read from the hub (--hub): no examples there, so generated inputs only.
    const stockUrl = `${stockMock.firstLine.replace('Mock provider listening on ', '')}/any/path`;
    const unverified = await runApiHub([
      'conformance',
      '--action',
      STOCK,
      '--url',
      stockUrl,
      '--signing-secret',
      signingSecret,
      '--hub',
      hub.url,
      '--admin-token',
      ADMIN_TOKEN,
      '--json',
    ]);
    expect(unverified.code).toBe(1);
    const report = JSON.parse(unverified.stdout);
    expect(report.checks.map((c: { name: string; passed: boolean }) => [c.name, c.passed])).toEqual([
      ['boundary values (minimal)', true],
      ['boundary values (maximal)', true],
      ['unknown fields', true],
      ['missing signature', false],
      ['wrong signature', false],
      ['old timestamp', false],
    ]);
  });

  it('says when --hub is not a hub, and gives a hub refusal as one line: exit 1', async () => {
    const other = await startServer((_req, res) => json(res, 404, { error: 'no such endpoint' }));
    try {
      const notHub = await runApiHub(['mock', '--action', STOCK, '--hub', other.url, '--admin-token', ADMIN_TOKEN]);
      const path = `/v1/admin/actions/${encodeURIComponent(STOCK)}`;
      expect({ code: notHub.code, stdout: notHub.stdout, stderr: notHub.stderr }).toEqual({
        code: 1,
        stdout: '',
        stderr: `api-hub: ${other.url} is not an API Hub: GET ${path} answered 404: {"error":"no such endpoint"}\n`,
      });
      const refused = await runApiHub(['mock', '--action', STOCK, '--hub', hub.url, '--admin-token', 'wrong-token-of-16-chars']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`^api-hub: the hub at ${hub.url} refused GET ${path}: 401 Unauthorized: .+ \\(request id [0-9a-f-]{36}\\)\n$`));
      // A hub's own 404 still means the action is unknown there.
      const unknown = await runApiHub(['mock', '--action', '@acme:Nope:get', '--hub', hub.url, '--admin-token', ADMIN_TOKEN]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(new RegExp(`^api-hub: unknown action "@acme:Nope:get" on ${hub.url}\n`));
    } finally {
      await other.close();
    }
  });

  it('refuses a bad command line with exit 2', async () => {
    for (const [argv, message] of [
      [['mock'], /--action is required/],
      [['mock', '--action', '@layers:education:Entrance:created'], /is an event action/],
      [['mock', '--action', CALENDAR, '--port', 'http'], /--port must be an integer/],
    ] as [string[], RegExp][]) {
      const run = await runApiHub(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('Usage: api-hub mock');
    }
  });
});
