/** Operator routes of the catalogue: read it, define or replace action versions, set a version's
 * status (active, deprecated, retired; what each means to apps is in src/services/deprecation.ts). */
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/catalog.js';
import type { ActionDefinition } from '../catalog/definition.js';
import { compileSchema, schemaProblems } from '../catalog/validators.js';
import { HubError, conflict, invalidRequest, notFound, type ErrorDetail } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import { HUB_ERROR_KEYWORD, MILLIS, actionIdSchema, answerSchema, pathParams, queryParams } from '../http/route-schemas.js';
import type { ActionStatus } from '../store/store.js';
import type { RouteDoc } from '../openapi/hub-openapi.js';
import { noteChange } from './change-trail.js';

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
  if (input.kind === 'request' && input.responseSchema === undefined)
    problems.push({ pointer: '/responseSchema', message: 'is required for a request action' });
  if (input.kind === 'event' && input.responseSchema !== undefined) problems.push({ pointer: '/responseSchema', message: 'is only for request actions' });
  if (input.kind === 'event' && input.timeoutMs !== undefined) problems.push({ pointer: '/timeoutMs', message: 'is only for request actions' });
  if (input.kind === 'request' && input.coalesce !== undefined) problems.push({ pointer: '/coalesce', message: 'is only for event actions' });
  for (const field of ['dataSchema', 'responseSchema'] as const) {
    const schema = input[field];
    for (const problem of (schema === undefined ? null : schemaProblems(schema)) ?? []) {
      problems.push({ pointer: `/${field}${problem.pointer}`, message: `is not a valid JSON Schema (2020-12): ${problem.message}` });
    }
  }
  if (problems.length > 0) throw invalidRequest('the action definition is not valid', problems);
  return { ...input, id, version };
}

/** The route schema of a definition: path and query checked by Fastify; the body described (its
 * shape and the kind-specific rules are checked by definitionFrom, which names every problem). */
const VERSION_PARAMS = pathParams({
  action: actionIdSchema,
  version: {
    type: 'string',
    pattern: '^0*[1-9][0-9]{0,8}$',
    description: 'The version, a positive integer.',
    'x-hub-error': { error: 'the version must be a positive integer', message: 'must be a positive integer' },
  },
});
const DEFINE_SCHEMA = {
  params: VERSION_PARAMS,
  querystring: queryParams({ force: { type: 'string', description: '`true` to replace a version with one that breaks apps built against it.' } }),
  body: {
    description: 'The action definition: kind, title, description, dataSchema, responseSchema (request actions), timeoutMs, coalesce (event actions).',
    examples: [{ kind: 'request', title: 'Related grade books', dataSchema: { type: 'object' }, responseSchema: { type: 'array' } }],
  },
};

/** An action as the admin API shows it (documented only: definitions hold schemas, open shapes). */
const ACTION_VIEW = answerSchema('An action and its versions.', {
  id: { type: 'string' },
  kind: { enum: ['request', 'event'] },
  versions: { type: 'array', items: { type: 'object', additionalProperties: true, description: 'A definition, with builtin and updatedAt.' } },
});
const DEFINE_DOC: RouteDoc = {
  summary: 'Defines or replaces a version of an action; a replacement that breaks apps needs ?force=true.',
  errors: ['Conflict'],
  success: { status: 201, description: 'Created: the action with its versions.', schema: ACTION_VIEW },
  otherSuccess: [{ status: 200, description: 'Replaced: the action with its versions.' }],
};
const DEFINE_CONFIG = { changeKind: 'action.define', openapi: DEFINE_DOC };

function view(catalog: Catalog, id: string) {
  return {
    id,
    kind: catalog.kindOf(id),
    versions: catalog.versions(id).map((version) => {
      const entry = catalog.get(id, version)!;
      return { ...entry.definition, builtin: entry.builtin, updatedAt: entry.updatedAt, status: entry.status, statusChangedAt: entry.statusChangedAt };
    }),
  };
}

const STATUSES: readonly ActionStatus[] = ['active', 'deprecated', 'retired'];
const STATUS_SCHEMA = {
  params: VERSION_PARAMS,
  body: {
    type: 'object',
    required: ['status'],
    additionalProperties: false,
    properties: {
      status: {
        enum: [...STATUSES],
        description:
          '`deprecated`: still callable, flagged in discover, the catalogue documents and a `Deprecation` header; `retired`: calls and publishes get 404 naming the version to use; `active`: neither.',
        [HUB_ERROR_KEYWORD]: { error: `status must be one of ${STATUSES.join(', ')}`, message: `must be one of ${STATUSES.join(', ')}` },
      },
    },
    examples: [{ status: 'deprecated' }],
  },
  response: {
    200: answerSchema('The action version, with its status.', {
      id: { type: 'string' },
      version: { type: 'integer' },
      status: { enum: [...STATUSES] },
      statusChangedAt: {
        type: ['integer', 'null'],
        description: `${MILLIS.description} When it took this status (for \`deprecated\`, the date of the Deprecation header); null when never set.`,
      },
    }),
  },
};
const STATUS_CONFIG = {
  adminScope: 'admin',
  changeKind: 'action.status',
  openapi: {
    summary: 'Sets the status of an action version, built in or not: active, deprecated or retired.',
    errors: ['NotFound'],
    success: { status: 200, description: 'The action version, with its status.' },
  } satisfies RouteDoc,
} as const;

/** The status of a version as the trail records and the route answers it. */
function statusOf(catalog: Catalog, id: string, version: number) {
  const entry = catalog.get(id, version)!;
  return { id, version, status: entry.status, statusChangedAt: entry.statusChangedAt };
}

export function actionRoutes(deps: ActionRoutesDeps) {
  return function routes(app: FastifyInstance): void {
    app.get(
      '/actions',
      {
        config: {
          adminScope: 'read',
          openapi: {
            summary: 'The catalogue: every action with its versions.',
            success: { status: 200, description: 'The actions.', schema: { type: 'array', items: ACTION_VIEW } },
          },
        },
      },
      () => {
        const catalog = deps.catalog.current;
        return catalog.ids().map((id) => view(catalog, id));
      },
    );

    app.get<{ Params: { action: string } }>(
      '/actions/:action',
      {
        schema: { params: pathParams({ action: actionIdSchema }) },
        config: {
          adminScope: 'read',
          openapi: { summary: 'An action with its versions.', errors: ['NotFound'], success: { status: 200, description: 'The action.', schema: ACTION_VIEW } },
        },
      },
      (request) => {
        const id = request.params.action;
        const catalog = deps.catalog.current;
        if (!catalog.has(id)) throw notFound(`unknown action "${id}"`);
        return view(catalog, id);
      },
    );

    type DefineRoute = { Params: { action: string; version: string }; Querystring: { force?: string } };
    app.put<DefineRoute>('/actions/:action/versions/:version', { schema: DEFINE_SCHEMA, config: DEFINE_CONFIG }, async (request, reply) => {
      const id = request.params.action;
      const version = Number(request.params.version);
      const definition = definitionFrom(id, version, request.body);
      const force = request.query.force === 'true';
      const before = deps.catalog.current.get(id, version)?.definition ?? null;
      const result = await deps.catalog.define(definition, { force });
      switch (result.outcome) {
        case 'kind-mismatch':
          throw conflict(`"${id}" is a ${result.kind} action; a new version cannot change its kind`);
        case 'incompatible':
          throw new HubError(
            'Conflict',
            `the new definition of "${id}" version ${version} would break apps built against it; publish it as a new version, or add ?force=true`,
            {
              details: result.breaks.map((b) => ({ pointer: b.path, message: b.change })),
            },
          );
      }
      await deps.reloadEverywhere();
      noteChange(request, { before, after: definition });
      return reply.code(result.outcome === 'created' ? 201 : 200).send(view(deps.catalog.current, id));
    });

    type StatusRoute = { Params: { action: string; version: string }; Body: { status: ActionStatus } };
    app.patch<StatusRoute>('/actions/:action/versions/:version', { schema: STATUS_SCHEMA, config: STATUS_CONFIG }, async (request) => {
      const id = request.params.action;
      const version = Number(request.params.version);
      const catalog = deps.catalog.current;
      if (!catalog.has(id)) throw notFound(`unknown action "${id}"`);
      if (!catalog.hasVersion(id, version)) throw notFound(`action "${id}" has no version ${version}`);
      const before = statusOf(catalog, id, version);
      const outcome = await deps.catalog.setStatus(id, version, request.body.status);
      if (outcome === 'changed') await deps.reloadEverywhere();
      const after = statusOf(deps.catalog.current, id, version);
      noteChange(request, { before: { status: before.status }, after: { status: after.status } });
      return after;
    });
  };
}
