/**
 * GET /catalog/openapi.json and /catalog/asyncapi.json: the catalogue documents, public. Each is
 * built from the catalogue in effect on its first request and kept, as JSON text, for as long as
 * that catalogue is: every change (an operator's definition, a notice from another hub process)
 * replaces the catalogue object, so the next request builds anew and repeated ones cost nothing.
 */
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/catalog.js';
import { loadBuiltinCatalog } from '../catalog/builtin.js';
import type { ActionExamples } from '../catalog/definition.js';
import type { HubDeps } from '../hub-deps.js';
import { catalogAsyncApi } from './asyncapi.js';
import { catalogOpenApi } from './openapi.js';
import { catalogDigest, type CatalogDocumentInfo } from './shared.js';

type Builder = (catalog: Catalog, info: CatalogDocumentInfo) => unknown;

/** The examples shipped in `catalog/`, read once, on the first request of a document. */
let builtinExamples: Map<string, ActionExamples> | undefined;
function examplesOf(id: string, version: number): ActionExamples | undefined {
  builtinExamples ??= new Map(loadBuiltinCatalog().map((file) => [`${file.id}@${file.version}`, file.examples]));
  return builtinExamples.get(`${id}@${version}`);
}

/** Documents by catalogue: an entry goes with the catalogue it was built from. */
const built = new WeakMap<Catalog, Map<Builder, string>>();

function documentOf(catalog: Catalog, build: Builder): string {
  let documents = built.get(catalog);
  if (documents === undefined) {
    documents = new Map();
    built.set(catalog, documents);
  }
  let text = documents.get(build);
  if (text === undefined) {
    text = JSON.stringify(build(catalog, { version: catalogDigest(catalog), examples: examplesOf }));
    documents.set(build, text);
  }
  return text;
}

export function catalogDocsRoutes(deps: Pick<HubDeps, 'catalog'>) {
  return async function routes(app: FastifyInstance): Promise<void> {
    for (const [path, build] of [
      ['/catalog/openapi.json', catalogOpenApi],
      ['/catalog/asyncapi.json', catalogAsyncApi],
    ] as const) {
      app.get(path, (_request, reply) => reply.type('application/json; charset=utf-8').send(documentOf(deps.catalog.current, build)));
    }
  };
}
