/**
 * GET /openapi.json: the hub's own API as OpenAPI 3.1, generated from the route schemas. Checked by
 * an independent validator (@seriousme/openapi-schema-validator), every schema compiled and every
 * example validated with Ajv, and compared with the routes the hub really answers.
 */
import { Validator as OpenApiValidator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from './support/hub.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** Every example of the document: `example` of media types, `examples` arrays of schemas, with
 * the schema each must match. */
function examplesOf(doc: Doc): Array<{ at: string; schema: unknown; value: unknown }> {
  const found: Array<{ at: string; schema: unknown; value: unknown }> = [];
  const visit = (node: unknown, at: string) => {
    if (typeof node !== 'object' || node === null) return;
    const object = node as Record<string, unknown>;
    if ('schema' in object && 'example' in object) found.push({ at: `${at}/example`, schema: object.schema, value: object.example });
    if (Array.isArray(object.examples) && !('in' in object)) {
      for (const [i, value] of object.examples.entries()) found.push({ at: `${at}/examples/${i}`, schema: object, value });
    }
    for (const [key, value] of Object.entries(object)) visit(value, `${at}/${key}`);
  };
  visit(doc, '');
  return found;
}

describe('GET /openapi.json', () => {
  let hub: TestHub;
  let doc: Doc;
  beforeAll(async () => {
    hub = await startHub();
    const answer = await hub.send('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    doc = answer.body;
  });
  afterAll(() => hub.close());

  it('is a valid OpenAPI 3.1 document, public, with the security schemes and the error format', async () => {
    const result = await new OpenApiValidator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminToken', 'appToken', 'metricsToken']);
    expect(doc.components.schemas.HubError.required).toEqual(['status', 'type', 'name', 'error']);
    expect(doc.paths['/v1/admin/apps'].get.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths['/v1/services/call/{action}/{provider}'].post.security).toEqual([{ appToken: [] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });

  it('describes every route the hub answers, once, under /v1, and none of the 405 refusals', () => {
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(new Set(operations).size).toBe(operations.length);
    for (const expected of [
      'GET /v1/services/discover/{action}',
      'POST /v1/services/call/{action}/{provider}',
      'POST /v1/services/publish/{action}',
      'PUT /v1/admin/apps/{appId}',
      'POST /v1/admin/apps/{appId}/tokens',
      'DELETE /v1/admin/apps/{appId}/tokens/{tokenId}',
      'GET /v1/admin/deliveries',
      'PATCH /v1/admin/actions/{action}/versions/{version}',
      'GET /openapi.json',
      'GET /v1/catalog/openapi.json',
      'GET /healthz',
      'GET /metrics',
    ]) {
      expect(operations).toContain(expected);
    }
    expect(operations.filter((o) => !o.includes(' /v1/') && !['GET /openapi.json', 'GET /healthz', 'GET /readyz', 'GET /metrics'].includes(o))).toEqual([]);
    // The one PATCH route is the status of an action version; the 405 refusals are not documented.
    expect(operations.filter((o) => o.startsWith('PATCH') || o.startsWith('OPTIONS'))).toEqual(['PATCH /v1/admin/actions/{action}/versions/{version}']);
  });

  it('takes its parameters from the route schemas the hub validates with', async () => {
    const list = doc.paths['/v1/admin/calls'].get;
    expect(list.parameters.find((p: { name: string }) => p.name === 'limit')).toEqual({
      name: 'limit',
      in: 'query',
      required: false,
      description: 'Rows per page.',
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    });
    const app = doc.paths['/v1/admin/apps/{appId}'].get.parameters[0];
    expect(app).toMatchObject({ name: 'appId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' } });
    // The schema says what the hub refuses: the document's pattern refuses what the hub does.
    const pattern = new RegExp(app.schema.pattern);
    expect(pattern.test('-erp')).toBe(false);
    expect((await hub.admin('GET', '/apps/-erp')).status).toBe(400);
    expect(JSON.stringify(doc)).not.toContain('x-hub-error');
    // Bodies the hub validates itself, and the headers the public routes read, are described.
    const publish = doc.paths['/v1/services/publish/{action}'].post;
    expect(publish.requestBody.description).toMatch(/data schema of the action version/);
    expect(publish.parameters.filter((p: { in: string }) => p.in === 'header').map((p: { name: string }) => p.name)).toEqual([
      'X-Community-Id',
      'community-id',
      'Idempotency-Key',
    ]);
  });

  it('has schemas that compile and examples that validate against their schemas', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(doc, 'doc');
    const compile = (schema: unknown) => ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#', '"$ref":"doc#')) as object);
    const examples = examplesOf(doc);
    expect(examples.length).toBeGreaterThan(10);
    for (const { at, schema, value } of examples) {
      const validate = compile(schema);
      expect({ at, valid: validate(value), errors: validate.errors ?? null }).toEqual({ at, valid: true, errors: null });
    }
  });

  it('is answered without a token, and the same text each time', async () => {
    const again = await hub.send('GET', '/openapi.json', { headers: { authorization: 'Bearer nonsense' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(doc);
  });
});
