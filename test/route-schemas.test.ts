/**
 * The route schemas of the admin API over HTTP: path, query and body parameters are checked by
 * Fastify against each route's schema, and every failure is answered in the hub's format, with the
 * same sentence and pointer the hand-written checks gave. What a careless or hostile operator
 * script sends: repeated, empty, over-long, non-numeric and coerced values, and bodies of the wrong
 * JSON type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { expectExactError } from './support/errors.js';

const LIMIT = { error: 'limit must be an integer from 1 to 1000', details: [{ pointer: '/query/limit', message: 'must be an integer from 1 to 1000' }] };
const CURSOR = { error: 'cursor must be the nextCursor of a previous page', details: [{ pointer: '/query/cursor', message: 'is not a cursor' }] };
const filterError = (name: string) => ({
  error: `${name} must be given once, as a string of at most 200 characters`,
  details: [{ pointer: `/query/${name}`, message: 'is not a valid filter' }],
});
const TOKEN_BODY = 'the body may only hold a label, a string of at most 200 characters';

describe('route schemas of the admin API', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub();
    await registerApp(hub, 'erp', { displayName: 'ERP' });
  });
  afterAll(() => hub.close());

  const refused = async (method: string, path: string, expected: { error: string; details: unknown[] }, body?: unknown) => {
    const answer = await hub.admin(method, path, body);
    expectExactError(answer, 400, 'InvalidRequest', expected.error, { details: expected.details });
  };

  it('checks limit and cursor of every paginated list, and accepts what it always accepted', async () => {
    for (const list of ['/calls', '/events', '/deliveries']) {
      for (const bad of ['0', '1001', '-1', '1.5', 'ten', '', '1&limit=2']) await refused('GET', `${list}?limit=${bad}`, LIMIT);
      for (const bad of ['0', '-3', 'abc', '1.5', '1&cursor=2']) await refused('GET', `${list}?cursor=${bad}`, CURSOR);
      for (const good of ['', '?limit=1000', '?limit=1&cursor=', '?cursor=12&limit=7', '?unknown=ignored']) {
        const answer = await hub.admin('GET', `${list}${good}`);
        expect(answer.status, `${list}${good}: ${answer.text}`).toBe(200);
        expect(answer.body).toEqual({ items: expect.any(Array), nextCursor: null });
      }
    }
  });

  it('checks the filters: once, a string of at most 200 characters; empty is no filter', async () => {
    for (const [list, names] of [
      ['/calls', ['community', 'action', 'provider', 'consumer']],
      ['/events', ['community', 'action', 'publisher']],
      ['/deliveries', ['status', 'app', 'action', 'community', 'event']],
    ] as const) {
      for (const name of names) {
        await refused('GET', `${list}?${name}=a&${name}=b`, filterError(name));
        await refused('GET', `${list}?${name}=${'x'.repeat(201)}`, filterError(name));
        expect((await hub.admin('GET', `${list}?${name}=`)).status).toBe(200);
      }
    }
    const statuses = 'pending, delivered, dead, cancelled';
    await refused('GET', '/deliveries?status=lost', {
      error: `status must be one of ${statuses}`,
      details: [{ pointer: '/query/status', message: `must be one of ${statuses}` }],
    });
    expect((await hub.admin('GET', '/deliveries?status=dead')).body).toEqual({ items: [], nextCursor: null });
  });

  it('checks app and community ids in paths, naming the value and the parameter', async () => {
    const appError = (value: string) => ({
      error: `"${value}" is not a valid app id: 1 to 100 letters, digits, "_", "." or "-", starting with a letter or digit`,
      details: [{ pointer: '/path/appId', message: 'is not a valid id' }],
    });
    await refused('GET', '/apps/-erp', appError('-erp'));
    await refused('GET', '/apps/erp%20one/secrets', appError('erp one'));
    await refused('PUT', `/apps/${'a'.repeat(101)}`, appError('a'.repeat(100)), { displayName: 'Long' });
    await refused('PUT', '/communities/.hidden', {
      error: '".hidden" is not a valid community id: 1 to 100 letters, digits, "_", "." or "-", starting with a letter or digit',
      details: [{ pointer: '/path/community', message: 'is not a valid id' }],
    });
    await refused('PUT', '/communities/school-a/installations/%24erp', appError('$erp'));
  });

  it('checks action ids and versions in paths', async () => {
    await refused('GET', '/actions/not-an-id', {
      error: '"not-an-id" is not an action id (expected @scope:Name:verb, @scope:area:Name:verb or @scope:verb)',
      details: [{ pointer: '/path/action', message: 'is not an action id' }],
    });
    const version = { error: 'the version must be a positive integer', details: [{ pointer: '/path/version', message: 'must be a positive integer' }] };
    const definition = { kind: 'event', title: 'Happened', dataSchema: true };
    for (const bad of ['0', '-1', '1.5', '1e3', 'two', '1234567890'])
      await refused('PUT', `/actions/@acme:Thing:happened/versions/${bad}`, version, definition);
    expect((await hub.admin('PUT', '/actions/@acme:Thing:happened/versions/01', definition)).status).toBe(201);
  });

  it('checks the body of a new token as sent: no coercion of a number or an empty string', async () => {
    for (const body of [{ label: 5 }, { label: 'x'.repeat(201) }, { label: null }]) {
      await refused(
        'POST',
        '/apps/erp/tokens',
        { error: TOKEN_BODY, details: [{ pointer: '/label', message: 'must be a string of at most 200 characters' }] },
        body,
      );
    }
    for (const body of [[], '""', '"label"', '7']) {
      await refused('POST', '/apps/erp/tokens', { error: TOKEN_BODY, details: [{ pointer: '', message: 'must be a string of at most 200 characters' }] }, body);
    }
    for (const body of [undefined, null, {}, { label: 'ci' }]) {
      const answer = await hub.admin('POST', '/apps/erp/tokens', body);
      expect(answer.status, answer.text).toBe(201);
    }
    const labels = (await hub.admin('GET', '/apps/erp')).body.tokens.map((t: { label: string | null }) => t.label);
    expect(labels.filter((l: string | null) => l !== null)).toEqual(['ci']);
  });
});

describe('route schemas of the public routes', () => {
  const GRADES = '@layers:education:GradeBooks:getRelated';
  let hub: TestHub;
  let token: string;
  beforeAll(async () => {
    hub = await startHub();
    token = await registerApp(hub, 'viewer', { services: { requests: [{ action: GRADES, reason: 'grades' }] } });
    await install(hub, 'school-a', 'viewer');
  });
  afterAll(() => hub.close());

  const headers = () => ({ authorization: `Bearer ${token}`, 'x-community-id': 'school-a', 'content-type': 'application/json' });
  const positive = (name: string) => ({
    error: `the ${name} parameter must be a positive integer`,
    details: [{ pointer: `/query/${name}`, message: 'must be a positive integer' }],
  });
  const notAnAction = (value: string) => ({
    error: `"${value}" is not an action id (expected @scope:Name:verb, @scope:area:Name:verb or @scope:verb)`,
    details: [{ pointer: '/path/action', message: 'is not an action id' }],
  });

  it('checks version and timeout as before: text of a positive integer, given once', async () => {
    for (const bad of ['0', '-1', 'two', '1.5', '1e3', '99999999999999999999', '1&$=1']) {
      const discovered = await hub.send('GET', `/v1/services/discover/${GRADES}?version=${bad.replace('$', 'version')}`, { headers: headers() });
      expectExactError(discovered, 400, 'InvalidRequest', positive('version').error, { details: positive('version').details });
      const called = await hub.send('POST', `/v1/services/call/${GRADES}/erp?timeout=${bad.replace('$', 'timeout')}`, { headers: headers(), body: {} });
      expectExactError(called, 400, 'InvalidRequest', positive('timeout').error, { details: positive('timeout').details });
    }
    const published = await hub.send('POST', `/v1/services/publish/@layers:education:Entrance:created?version=x`, { headers: headers(), body: {} });
    expectExactError(published, 400, 'InvalidRequest', positive('version').error, { details: positive('version').details });
    // Empty is absent; the same community given twice in the query is one community.
    expect((await hub.send('GET', `/v1/services/discover/${GRADES}?version=`, { headers: headers() })).status).toBe(200);
    const twice = await hub.send('GET', `/v1/services/discover/${GRADES}?_community=school-a&_community=school-a`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(twice.status, twice.text).toBe(200);
  });

  it('checks the action id of every public route, after the caller', async () => {
    for (const bad of ['not-an-action', '@x', `@${'a'.repeat(200)}:b`]) {
      const expected = notAnAction(bad.slice(0, 200));
      expectExactError(await hub.send('GET', `/v1/services/discover/${bad}`, { headers: headers() }), 400, 'InvalidRequest', expected.error, {
        details: expected.details,
      });
      expectExactError(await hub.send('POST', `/v1/services/call/${bad}/erp`, { headers: headers(), body: {} }), 400, 'InvalidRequest', expected.error, {
        details: expected.details,
      });
      expectExactError(await hub.send('POST', `/services/publish/${bad}`, { headers: headers(), body: {} }), 400, 'InvalidRequest', expected.error, {
        details: expected.details,
      });
    }
    // No token: 401 first, whatever the parameters.
    const anonymous = await hub.send('GET', '/v1/services/discover/not-an-action?version=x');
    expectExactError(anonymous, 401, 'Unauthorized', 'no token: send Authorization: Bearer <app token>');
  });
});

describe('response schemas', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ secretOverlapMs: 60_000 });
    await registerApp(hub, 'erp', { displayName: 'ERP' });
  });
  afterAll(() => hub.close());

  it('keep every field of an answer, in the order the route writes them', async () => {
    const rotated = await hub.admin('POST', '/apps/erp/secrets/rotate');
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body)).toEqual([
      'secret',
      'nextSecret',
      'nextSecretTakesEffectAt',
      'signingSecret',
      'previousSigningSecret',
      'previousSigningSecretExpiresAt',
    ]);
    expect(rotated.text.startsWith('{"secret":')).toBe(true);
    const installed = await install(hub, 'school-a', 'erp');
    expect(Object.keys(installed.body)).toEqual(['community', 'app', 'status', 'createdAt', 'updatedAt']);
    expect(Object.keys((await hub.admin('GET', '/events')).body)).toEqual(['items', 'nextCursor']);
  });
});
