/**
 * GET /catalog/openapi.json, /catalog/asyncapi.json and /catalog/actions.json: the catalogue
 * documents, public (actions.json is every definition in full, with its examples and what changed
 * from the version before, for the web reference). Each is
 * built from the catalogue in effect on its first request and kept, as JSON text, for as long as
 * that catalogue is: every change (an operator's definition, a notice from another hub process)
 * replaces the catalogue object, so the next request builds anew (when the definitions changed)
 * and repeated ones cost a lookup.
 */
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/catalog.js';
import { loadBuiltinCatalog } from '../catalog/builtin.js';
import type { ActionDefinition, ActionExamples } from '../catalog/definition.js';
import type { HubDeps } from '../hub-deps.js';
import { findActionBreaks } from '../catalog/compatibility.js';
import { catalogAsyncApi } from './asyncapi.js';
import { catalogOpenApi } from './openapi.js';
import { answerSchema } from '../http/route-schemas.js';
import { catalogDigest, statusMark, type CatalogDocumentInfo } from './shared.js';

type Builder = (catalog: Catalog, info: CatalogDocumentInfo) => unknown;

/** The examples shipped in `catalog/`, read once, on the first request of a document. */
let builtinExamples: Map<string, ActionExamples> | undefined;
export function examplesOf(id: string, version: number): ActionExamples | undefined {
  builtinExamples ??= new Map(loadBuiltinCatalog().map((file) => [`${file.id}@${file.version}`, file.examples]));
  return builtinExamples.get(`${id}@${version}`);
}

interface Documents {
  /** The definitions the documents were built from, in catalogue order. */
  definitions: ActionDefinition[];
  /** Their statuses (statusMark), in the same order. */
  statuses: string[];
  texts: Map<Builder, string>;
}

/** Documents by catalogue: an entry goes with the catalogue it was built from. */
const byCatalog = new WeakMap<Catalog, Documents>();
/** The documents of the last catalogue seen. A catalogue rebuilt after a change elsewhere (an app
 * installed, say) holds the very same definition objects as the one it replaces, and so shares its
 * documents: only a change of definitions costs a build. */
let latest: Documents | undefined;

function documentsOf(catalog: Catalog): Documents {
  let documents = byCatalog.get(catalog);
  if (documents === undefined) {
    const entries = catalog.ids().flatMap((id) => catalog.versions(id).map((version) => catalog.get(id, version)!));
    const definitions = entries.map((entry) => entry.definition);
    const statuses = entries.map(statusMark);
    const unchanged =
      latest !== undefined &&
      latest.definitions.length === definitions.length &&
      latest.definitions.every((definition, i) => definition === definitions[i] && latest!.statuses[i] === statuses[i]);
    documents = unchanged ? latest! : { definitions, statuses, texts: new Map() };
    byCatalog.set(catalog, documents);
    latest = documents;
  }
  return documents;
}

function documentOf(catalog: Catalog, build: Builder): string {
  const { texts } = documentsOf(catalog);
  let text = texts.get(build);
  if (text === undefined) {
    text = JSON.stringify(build(catalog, { version: catalogDigest(catalog), examples: examplesOf }));
    texts.set(build, text);
  }
  return text;
}

/** Every action with its versions in full: the definition, whether it is built in, its examples,
 * and the breaks from the version before (none for a first version). */
function catalogActions(catalog: Catalog): unknown {
  return {
    digest: catalogDigest(catalog),
    actions: catalog.ids().map((id) => {
      let before: ActionDefinition | undefined;
      return {
        id,
        kind: catalog.kindOf(id),
        versions: catalog.versions(id).map((version) => {
          const entry = catalog.get(id, version)!;
          const changes = before === undefined ? [] : findActionBreaks(before, entry.definition);
          before = entry.definition;
          return {
            ...entry.definition,
            builtin: entry.builtin,
            updatedAt: entry.updatedAt,
            status: entry.status,
            statusChangedAt: entry.statusChangedAt,
            ...(entry.status === 'deprecated' && { deprecated: true }),
            examples: examplesOf(id, version) ?? null,
            changes,
          };
        }),
      };
    }),
  };
}

const ACTIONS_DOC = answerSchema('The catalogue in full.', {
  digest: { type: 'string', description: 'Changes whenever a definition changes.' },
  actions: {
    type: 'array',
    items: answerSchema('An action.', {
      id: { type: 'string' },
      kind: { enum: ['request', 'event'] },
      versions: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: true,
          description:
            'A definition (id, version, kind, title, description, dataSchema, responseSchema, timeoutMs, coalesce), with builtin, updatedAt, status (active, deprecated or retired) and statusChangedAt, deprecated: true when deprecated, examples (null when none ship with it) and changes: the breaks from the version before, as { path, change }.',
        },
      },
    }),
  },
});

export function catalogDocsRoutes(deps: Pick<HubDeps, 'catalog'>) {
  return function routes(app: FastifyInstance): void {
    for (const [path, build, summary] of [
      ['/catalog/openapi.json', catalogOpenApi, 'The request actions of the catalogue, as OpenAPI 3.1.'],
      ['/catalog/asyncapi.json', catalogAsyncApi, 'The event actions of the catalogue, as AsyncAPI 3.0.'],
    ] as const) {
      const openapi = { summary, success: { status: 200, description: 'The document.', schema: { type: 'object' } } };
      app.get(path, { config: { openapi } }, (_request, reply) => reply.type('application/json; charset=utf-8').send(documentOf(deps.catalog.current, build)));
    }
    app.get(
      '/catalog/actions.json',
      {
        config: {
          openapi: {
            summary: 'Every action and version in full, with examples and the changes between versions (the web reference reads it).',
            success: { status: 200, description: 'The catalogue.', schema: ACTIONS_DOC },
          },
        },
      },
      (_request, reply) => reply.type('application/json; charset=utf-8').send(documentOf(deps.catalog.current, catalogActions)),
    );
  };
}
