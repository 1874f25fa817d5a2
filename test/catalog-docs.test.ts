/**
 * The catalogue documents over HTTP against a real hub: `GET /v1/catalog/openapi.json` and
 * `/v1/catalog/asyncapi.json` pass independent validators (@seriousme/openapi-schema-validator for
 * OpenAPI 3.1, @asyncapi/parser for AsyncAPI 3), every schema in them compiles as JSON Schema
 * 2020-12 from the document's root and every example validates against its schema; the built-in
 * catalogue is there, an action an operator defines appears at once, schemas with their own
 * `$id`, `$defs`, `$anchor` keep their meaning, and what a provider and a subscriber really
 * receive matches what the documents say.
 */
import { Parser as AsyncApiParser, DiagnosticSeverity } from '@asyncapi/parser';
import { Validator as OpenApiValidator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinCatalog } from '../src/catalog/builtin.js';
import { expectExactError } from './support/errors.js';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { json, startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;
const builtins = loadBuiltinCatalog();

/** Validates values against schemas of `doc`, resolving references from the document's root as a
 * JSON Schema 2020-12 tool does. Returns Ajv's errors, or null. */
function validatorFor(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'doc');
  // A schema taken out of the document keeps its references into the document.
  return (schema: unknown, value: unknown) => {
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#', '"$ref":"doc#')) as object);
    return validate(value) ? null : validate.errors;
  };
}

/** Every `$ref` of the document, with where it is. */
function refsOf(node: unknown, path = ''): Array<{ path: string; ref: string }> {
  if (typeof node !== 'object' || node === null) return [];
  const own = typeof (node as { $ref?: unknown }).$ref === 'string' ? [{ path, ref: (node as { $ref: string }).$ref }] : [];
  return [...own, ...Object.entries(node).flatMap(([key, value]) => refsOf(value, `${path}/${key}`))];
}

function resolvePointer(doc: Doc, ref: string): unknown {
  return decodeURIComponent(ref.slice(1))
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node: Doc, segment) => (node === undefined ? undefined : node[segment]), doc);
}

/** Every reference points inside the document, at something. */
function expectReferencesResolve(doc: Doc): void {
  const broken = refsOf(doc).filter(({ ref }) => !ref.startsWith('#/') || resolvePointer(doc, ref) === undefined);
  expect(broken).toEqual([]);
}

/** Each schema is JSON Schema 2020-12 (the meta-schema says so) and compiles, read from the
 * document's root. */
function expectSchemasCompile(doc: Doc, schemas: Record<string, unknown>, at: (name: string) => string): void {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  ajv.addSchema(doc, 'doc');
  for (const [name, schema] of Object.entries(schemas)) {
    expect({ name, valid: ajv.validateSchema(schema as object) }).toEqual({ name, valid: true });
    expect(() => ajv.compile({ $ref: `doc${at(name)}` })).not.toThrow();
  }
}

async function expectValidOpenApi(doc: Doc): Promise<void> {
  const result = await new OpenApiValidator().validate(structuredClone(doc));
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expectReferencesResolve(doc);
  expectSchemasCompile(doc, doc.components.schemas, (name) => `#/components/schemas/${name}`);
}

async function expectValidAsyncApi(text: string): Promise<void> {
  const { document, diagnostics } = await new AsyncApiParser().parse(text);
  // As numbers: the diagnostics carry another copy of @stoplight/types' enum than the one exported.
  const severe = new Set<number>([DiagnosticSeverity.Error, DiagnosticSeverity.Warning]);
  const problems = diagnostics.filter((d) => severe.has(d.severity));
  expect(problems.map((d) => `${d.path.join('/')}: ${d.message}`)).toEqual([]);
  expect(document).toBeDefined();
  const doc = JSON.parse(text);
  expectReferencesResolve(doc);
  const payloads = Object.fromEntries(
    Object.entries(doc.components.messages as Record<string, Doc>).flatMap(([name, message]) =>
      message.payload === undefined ? [] : [[name, message.payload.schema]],
    ),
  );
  expectSchemasCompile(doc, payloads, (name) => `#/components/messages/${name}/payload/schema`);
}

/** Every OpenAPI example (media types of operations, webhooks and responses), validated against
 * the schema beside it; returns how many there were. */
function expectOpenApiExamplesValid(doc: Doc): number {
  const check = validatorFor(doc);
  const media: Array<{ path: string; schema: unknown; examples: Record<string, { value: unknown }> }> = [];
  const walk = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const { schema, examples } = node as { schema?: unknown; examples?: unknown };
    if (schema !== undefined && typeof examples === 'object' && examples !== null && !Array.isArray(examples))
      media.push({ path, schema, examples: examples as never });
    for (const [key, value] of Object.entries(node)) walk(value, `${path}/${key}`);
  };
  walk(doc, '');
  const failures = media.flatMap(({ path, schema, examples }) =>
    Object.entries(examples).flatMap(([name, { value }]) => {
      const errors = check(schema, value);
      return errors === null ? [] : [{ path, name, errors }];
    }),
  );
  expect(failures).toEqual([]);
  return media.reduce((n, { examples }) => n + Object.keys(examples).length, 0);
}

/** Every AsyncAPI message example: payload against the payload schema, headers against the
 * headers schema. Returns how many there were. */
function expectAsyncApiExamplesValid(doc: Doc): number {
  const check = validatorFor(doc);
  let count = 0;
  const failures = Object.entries(doc.components.messages as Record<string, Doc>).flatMap(([name, message]) =>
    ((message.examples ?? []) as Doc[]).flatMap((example) => {
      count += 1;
      const base = `#/components/messages/${encodeURIComponent(name)}`;
      const payload = check({ $ref: `${base}/payload/schema` }, example.payload);
      const headers = check({ $ref: `${base}/headers` }, example.headers);
      return payload === null && headers === null ? [] : [{ name, example: example.name, payload, headers }];
    }),
  );
  expect(failures).toEqual([]);
  return count;
}

const requestBuiltins = builtins.filter((file) => file.kind === 'request');
const eventBuiltins = builtins.filter((file) => file.kind === 'event');

describe('the catalogue documents of the built-in catalogue', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(() => hub.close());

  it('answer OpenAPI 3.1 to anyone, valid, with every request action and its examples', async () => {
    const answer = await hub.send('GET', '/v1/catalog/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    const doc = answer.body;
    expect(doc.openapi).toBe('3.1.0');
    await expectValidOpenApi(doc);

    expect(Object.keys(doc.paths).sort()).toEqual(requestBuiltins.map((file) => `/services/call/${file.id}/{provider}`).sort());
    expect(Object.keys(doc.webhooks).sort()).toEqual(requestBuiltins.map((file) => `${file.id} v1`).sort());
    const shown = expectOpenApiExamplesValid(doc);
    const shipped = requestBuiltins.reduce((n, file) => n + 2 * file.examples.data.valid.length + 2 * (file.examples.response?.valid.length ?? 0), 0);
    // Each data example shows in the call and in the provider's envelope, each answer in both too;
    // the rest are the error examples.
    expect(shown).toBeGreaterThan(shipped);

    const grades = builtins.find((file) => file.id === '@layers:education:GradeBooks:getRelated')!;
    const operation = doc.paths['/services/call/@layers:education:GradeBooks:getRelated/{provider}'].post;
    expect(operation.tags).toEqual([grades.id]);
    expect(operation.summary).toBe(grades.title);
    expect(Object.values(operation.requestBody.content['application/json'].examples).map((e: Doc) => e.value)).toEqual(grades.examples.data.valid);
    expect(Object.values(operation.responses['200'].content['application/json'].examples).map((e: Doc) => e.value)).toEqual(
      grades.examples.response!.valid.map((data) => ({ data })),
    );
    expect(operation.parameters.find((p: Doc) => p.name === 'version')).toMatchObject({ in: 'query', schema: { enum: [1] } });
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '429', '502', '503', '504']);
    expect(doc.components.responses.Error502.content['application/json'].examples.ProviderError.value).toMatchObject({
      status: 502,
      type: 'ProviderError',
      name: 'Bad Gateway',
    });
  });

  it("answer AsyncAPI 3, valid, with every event action, its payload schema and the subscriber's answers", async () => {
    const answer = await hub.send('GET', '/v1/catalog/asyncapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    await expectValidAsyncApi(answer.text);
    const doc = answer.body;
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.values(doc.channels).map((channel: Doc) => channel.title)).toEqual(eventBuiltins.map((file) => file.id));
    const entrance = eventBuiltins.find((file) => file.id === '@layers:education:Entrance:created')!;
    const message = doc.components.messages['layers.education.Entrance.created.v1'];
    expect(message.payload.schemaFormat).toBe('application/schema+json;version=draft-2020-12');
    expect(message.examples.map((e: Doc) => e.payload.data)).toEqual(entrance.examples.data.valid);
    expect(message.headers.required).toEqual(['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'traceparent']);
    const operation = doc.operations['layers.education.Entrance.created.deliver'];
    expect(operation.action).toBe('send');
    expect(operation.reply.messages.map((m: Doc) => doc.components.messages[m.$ref.split('/').pop()].bindings.http.statusCode)).toEqual([200, 410, 503]);
    expect(expectAsyncApiExamplesValid(doc)).toBe(eventBuiltins.reduce((n, file) => n + file.examples.data.valid.length, 0));
  });

  it('are served without the /v1 prefix too, for GET and HEAD only, whatever a client adds', async () => {
    const v1 = await hub.send('GET', '/v1/catalog/openapi.json');
    const alias = await hub.send('GET', '/catalog/openapi.json?version=2&x=%00', {
      headers: { authorization: 'Bearer not-a-token', 'x-community-id': 'nowhere' },
    });
    expect(alias.status).toBe(200);
    expect(alias.text).toBe(v1.text);
    const head = await hub.send('HEAD', '/v1/catalog/asyncapi.json');
    expect(head.status).toBe(200);
    const post = await hub.send('POST', '/v1/catalog/openapi.json', { body: { openapi: '3.1.0' } });
    expectExactError(post, 405, 'MethodNotAllowed', 'this route answers GET, HEAD only');
    expect(post.headers.allow).toBe('GET, HEAD');
    const unknown = await hub.send('GET', '/v1/catalog/swagger.json');
    expectExactError(unknown, 404, 'NotFound', /\S/);
  });
});

/** A request schema written to stand alone: its own `$id` and `$schema`, `$defs` reached by
 * pointer, by anchor and by its `$id`, and a nested resource with an `$id` of its own. */
const selfContained = (versionTitle: string) => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://acme.example/schemas/lookup.json',
  type: 'object',
  required: ['person', 'term'],
  additionalProperties: false,
  properties: {
    person: { $ref: '#/$defs/person' },
    term: { $ref: '#term' },
    place: { $ref: 'lookup.json#/$defs/place' },
    badge: { $ref: 'badge.json' },
  },
  $defs: {
    person: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } }, description: versionTitle },
    term: { $anchor: 'term', type: 'string', enum: ['2024-1', '2024-2'] },
    place: { type: 'string', maxLength: 20 },
    badge: {
      $id: 'badge.json',
      type: 'object',
      required: ['code'],
      properties: { code: { $ref: '#/$defs/code' } },
      $defs: { code: { type: 'string', pattern: '^B[0-9]+$' } },
    },
  },
});

describe('an action an operator defines', () => {
  let hub: TestHub;
  let provider: TestServer;
  let subscriber: TestServer;
  const LOOKUP = '@acme:people:Directory:lookup';
  const MOVED = '@acme:people:Directory:moved';
  const COMMUNITY = 'school';

  beforeAll(async () => {
    provider = await startServer((req, res) => json(res, 200, { found: JSON.parse(req.body).data.person.id }));
    subscriber = await startServer((_req, res) => {
      res.writeHead(204).end();
    });
    hub = await startHub();
  });
  afterAll(async () => {
    await hub.close();
    await provider.close();
    await subscriber.close();
  });

  it('appears in the documents at once, schemas with their own $id, $defs and anchors intact', async () => {
    const before = await hub.send('GET', '/v1/catalog/openapi.json');
    expect(before.body.paths[`/services/call/${LOOKUP}/{provider}`]).toBeUndefined();
    // The same document, from the cache, as long as the catalogue does not change.
    expect((await hub.send('GET', '/v1/catalog/openapi.json')).text).toBe(before.text);

    const responseSchema = { $id: 'https://acme.example/schemas/lookup.json', type: 'object', required: ['found'], properties: { found: { type: 'string' } } };
    for (const version of [1, 2]) {
      const put = await hub.admin('PUT', `/actions/${LOOKUP}/versions/${version}`, {
        kind: 'request',
        title: `Look up v${version}`,
        dataSchema: selfContained(`v${version}`),
        responseSchema,
      });
      expect(put.status).toBe(201);
    }
    const after = await hub.send('GET', '/v1/catalog/openapi.json');
    const doc = after.body;
    expect(doc.info.version).not.toBe(before.body.info.version);
    await expectValidOpenApi(doc);
    expectOpenApiExamplesValid(doc);
    const operation = doc.paths[`/services/call/${LOOKUP}/{provider}`].post;
    expect(operation.parameters.find((p: Doc) => p.name === 'version').schema.enum).toEqual([1, 2]);
    expect(operation.requestBody.content['application/json'].schema).toEqual({
      anyOf: [{ $ref: '#/components/schemas/acme.people.Directory.lookup.v1.data' }, { $ref: '#/components/schemas/acme.people.Directory.lookup.v2.data' }],
    });
    expect(Object.keys(doc.webhooks)).toEqual(expect.arrayContaining([`${LOOKUP} v1`, `${LOOKUP} v2`]));
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"$id"');
    expect(text).not.toContain('"$schema"');
    expect(text).not.toContain('"$anchor"');

    // Each version's schema, read from the document's root, accepts and refuses what the hub does.
    const check = validatorFor(doc);
    const valid = { person: { id: 'p-1' }, term: '2024-1', place: 'Hall', badge: { code: 'B12' } };
    for (const version of [1, 2]) {
      const schema = { $ref: `#/components/schemas/acme.people.Directory.lookup.v${version}.data` };
      expect(check(schema, valid)).toBeNull();
      expect(check(schema, { ...valid, person: { id: '' } })).not.toBeNull();
      expect(check(schema, { ...valid, term: '1999' })).not.toBeNull();
      expect(check(schema, { ...valid, place: 'x'.repeat(21) })).not.toBeNull();
      expect(check(schema, { ...valid, badge: { code: 'X1' } })).not.toBeNull();
    }
    expect(doc.components.schemas['acme.people.Directory.lookup.v2.data'].$defs.person.description).toBe('v2');

    // A version replaced in place, and an action whose schemas are booleans, show at once too.
    const renamed = await hub.admin('PUT', `/actions/${LOOKUP}/versions/2`, {
      kind: 'request',
      title: 'Look up, renamed',
      dataSchema: selfContained('v2'),
      responseSchema,
    });
    expect(renamed.status).toBe(200);
    expect(
      (await hub.admin('PUT', '/actions/@acme:anything:goes/versions/1', { kind: 'request', title: 'Anything', dataSchema: true, responseSchema: false }))
        .status,
    ).toBe(201);
    const latest = (await hub.send('GET', '/v1/catalog/openapi.json')).body;
    await expectValidOpenApi(latest);
    expect(latest.webhooks[`${LOOKUP} v2`].post.summary).toBe('Look up, renamed: what the provider receives (version 2)');
    expect(latest.paths[`/services/call/${LOOKUP}/{provider}`].post.summary).toBe('Look up, renamed');
    expect(latest.components.schemas['acme.anything.goes.v1.data']).toBe(true);
    expect(latest.components.schemas['acme.anything.goes.v1.response']).toBe(false);
  });

  it('an event action appears in the AsyncAPI document at once', async () => {
    const before = await hub.send('GET', '/v1/catalog/asyncapi.json');
    expect(before.body.channels['acme.people.Directory.moved']).toBeUndefined();
    const put = await hub.admin('PUT', `/actions/${MOVED}/versions/1`, {
      kind: 'event',
      title: 'Someone moved',
      coalesce: true,
      dataSchema: {
        $id: 'urn:acme:moved',
        type: 'object',
        properties: { ids: { $ref: '#/$defs/ids' } },
        $defs: { ids: { type: 'array', items: { type: 'string' } } },
      },
    });
    expect(put.status).toBe(201);
    const after = await hub.send('GET', '/v1/catalog/asyncapi.json');
    await expectValidAsyncApi(after.text);
    const message = after.body.components.messages['acme.people.Directory.moved.v1'];
    expect(message.payload.schema.properties.data.properties.ids).toEqual({
      $ref: '#/components/messages/acme.people.Directory.moved.v1/payload/schema/properties/data/$defs/ids',
    });
    expect(message.description).toMatch(/merged/);
    const check = validatorFor(after.body);
    const payload = { $ref: '#/components/messages/acme.people.Directory.moved.v1/payload/schema' };
    const envelope = {
      context: { issuedAt: '2024-03-18T10:12:03.000Z', action: MOVED, community: 's', version: 1, publisher: 'p', eventId: 'evt_1' },
      secret: 's',
      data: { ids: ['a'] },
    };
    expect(check(payload, envelope)).toBeNull();
    expect(check(payload, { ...envelope, data: { ids: [1] } })).not.toBeNull();
  });

  it('describes what a provider and a subscriber really receive', async () => {
    const definitionsOnly = (await hub.send('GET', '/v1/catalog/openapi.json')).text;
    const token = await registerApp(hub, 'client', { services: { requests: [{ action: LOOKUP, reason: 'x' }], publishes: [{ action: MOVED, reason: 'x' }] } });
    await registerApp(hub, 'directory', { services: { responds: [{ action: LOOKUP, reason: 'x', url: `${provider.url}/lookup`, versions: [1, 2] }] } });
    await registerApp(hub, 'listener', { services: { subscribes: [{ action: MOVED, reason: 'x', url: `${subscriber.url}/events` }] } });
    for (const app of ['client', 'directory', 'listener']) expect((await install(hub, COMMUNITY, app)).status).toBe(201);
    const headers = { authorization: `Bearer ${token}`, 'x-community-id': COMMUNITY };

    // Apps and installations change the registry, not the documents.
    const openapiText = (await hub.send('GET', '/v1/catalog/openapi.json')).text;
    expect(openapiText).toBe(definitionsOnly);
    const openapi = JSON.parse(openapiText);
    const check = validatorFor(openapi);
    const data = { person: { id: 'p-1' }, term: '2024-2' };
    const answer = await hub.send('POST', `/v1/services/call/${LOOKUP}/directory?version=2&timeout=5000`, { headers, body: data });
    expect(answer.status).toBe(200);
    expect(check(openapi.paths[`/services/call/${LOOKUP}/{provider}`].post.responses['200'].content['application/json'].schema, answer.body)).toBeNull();
    const sent = provider.received.at(-1)!;
    const webhook = openapi.webhooks[`${LOOKUP} v2`].post;
    expect(check(webhook.requestBody.content['application/json'].schema, JSON.parse(sent.body))).toBeNull();
    for (const parameter of webhook.parameters.map((p: Doc) => resolvePointer(openapi, p.$ref)) as Doc[]) {
      expect(check(parameter.schema, sent.headers[parameter.name.toLowerCase()])).toBeNull();
    }
    const refused = await hub.send('POST', `/v1/services/call/${LOOKUP}/directory`, { headers, body: { person: {} } });
    expect(check({ $ref: '#/components/schemas/HubError' }, refused.body)).toBeNull();
    expect(check({ $ref: '#/components/schemas/HubError' }, { ...refused.body, type: 'Oops' })).not.toBeNull();
    expect(refused.body.type).toBe('InvalidRequest');

    const asyncapi = (await hub.send('GET', '/v1/catalog/asyncapi.json')).body;
    const checkEvent = validatorFor(asyncapi);
    const published = await hub.send('POST', `/v1/services/publish/${MOVED}`, { headers, body: { ids: ['p-1'] } });
    expect(published.status).toBe(201);
    await until(() => subscriber.received.length === 1);
    const delivered = subscriber.received[0]!;
    const base = '#/components/messages/acme.people.Directory.moved.v1';
    expect(checkEvent({ $ref: `${base}/payload/schema` }, JSON.parse(delivered.body))).toBeNull();
    expect(checkEvent({ $ref: `${base}/headers` }, delivered.headers)).toBeNull();
  });
});
