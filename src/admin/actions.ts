/** Operator routes of the catalogue: read it, define or replace action versions. */
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/catalog.js';
import type { ActionDefinition } from '../catalog/definition.js';
import { compileSchema, schemaProblems } from '../catalog/validators.js';
import { HubError, conflict, invalidRequest, notFound, type ErrorDetail } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import { actionIdParam } from '../http/params.js';

export type ActionRoutesDeps = Pick<HubDeps, 'catalog' | 'reloadEverywhere'>;

const validateBody = compileSchema({
  type: 'object',
  required: ['kind', 'title', 'dataSchema'],
  additionalProperties: false,
  properties: {
    kind: { enum: ['request', 'event'] },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 10_000 },
    dataSchema: { type: ['object', 'boolean'] },
    responseSchema: { type: ['object', 'boolean'] },
    timeoutMs: { type: 'integer', minimum: 1 },
    coalesce: { type: 'boolean' },
  },
});

/** The definition an operator sends, checked: shape, kind-specific fields, valid schemas. */
function definitionFrom(id: string, version: number, body: unknown): ActionDefinition {
  const shape = validateBody(body);
  if (shape) throw invalidRequest('the action definition is not valid', shape);
  const input = body as Omit<ActionDefinition, 'id' | 'version'>;
  const problems: ErrorDetail[] = [];
  if (input.kind === 'request' && input.responseSchema === undefined) problems.push({ pointer: '/responseSchema', message: 'is required for a request action' });
  if (input.kind === 'event' && input.responseSchema !== undefined) problems.push({ pointer: '/responseSchema', message: 'is only for request actions' });
  if (input.kind === 'event' && input.timeoutMs !== undefined) problems.push({ pointer: '/timeoutMs', message: 'is only for request actions' });
  if (input.kind === 'request' && input.coalesce !== undefined) problems.push({ pointer: '/coalesce', message: 'is only for event actions' });
  for (const field of ['dataSchema', 'responseSchema'] as const) {
    const schema = input[field];
    const problem = schema === undefined ? null : schemaProblems(schema);
    if (problem !== null) problems.push({ pointer: `/${field}`, message: `is not a valid JSON Schema (2020-12): ${problem}` });
  }
  if (problems.length > 0) throw invalidRequest('the action definition is not valid', problems);
  return { ...input, id, version };
}

function view(catalog: Catalog, id: string) {
  return {
    id,
    kind: catalog.kindOf(id),
    versions: catalog.versions(id).map((version) => {
      const entry = catalog.get(id, version)!;
      return { ...entry.definition, builtin: entry.builtin, updatedAt: entry.updatedAt };
    }),
  };
}

export function actionRoutes(deps: ActionRoutesDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/actions', async () => {
      const catalog = deps.catalog.current;
      return catalog.ids().map((id) => view(catalog, id));
    });

    app.get('/actions/:action', async (request) => {
      const id = actionIdParam(request);
      const catalog = deps.catalog.current;
      if (!catalog.has(id)) throw notFound(`unknown action "${id}"`);
      return view(catalog, id);
    });

    app.put('/actions/:action/versions/:version', async (request, reply) => {
      const id = actionIdParam(request);
      const rawVersion = (request.params as { version: string }).version;
      const version = /^\d{1,9}$/.test(rawVersion) ? Number(rawVersion) : 0;
      if (version < 1) throw invalidRequest('the version must be a positive integer', [{ pointer: '/path/version', message: 'must be a positive integer' }]);
      const definition = definitionFrom(id, version, request.body);
      const force = (request.query as { force?: string }).force === 'true';
      const result = await deps.catalog.define(definition, { force });
      switch (result.outcome) {
        case 'kind-mismatch':
          throw conflict(`"${id}" is a ${result.kind} action; a new version cannot change its kind`);
        case 'incompatible':
          throw new HubError('Conflict', `the new definition of "${id}" version ${version} would break apps built against it; publish it as a new version, or add ?force=true`, {
            details: result.breaks.map((b) => ({ pointer: b.path, message: b.change })),
          });
      }
      await deps.reloadEverywhere();
      return reply.code(result.outcome === 'created' ? 201 : 200).send(view(deps.catalog.current, id));
    });
  };
}
