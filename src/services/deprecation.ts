/**
 * What the public routes say of an action version's status, decided from the catalogue alone:
 * the 404 of a retired version (naming the version to use instead), and the headers of a
 * successful answer of a deprecated one: `Deprecation: @<unix seconds>` (RFC 9745) and, when a
 * newer active version exists, a `successor-version` link (RFC 5829) to its page in the web
 * reference. Pure.
 */
import type { Catalog } from '../catalog/catalog.js';
import { notFound, type HubError } from '../errors.js';

/** The web reference's page of an action version (web/src/reference). */
export function referenceUrl(id: string, version: number): string {
  return `/reference/#/actions/${encodeURIComponent(id)}/${version}`;
}

export function retiredError(catalog: Catalog, id: string, version: number): HubError {
  const instead = catalog.replacementOf(id, version);
  return notFound(`version ${version} of "${id}" is retired; ${instead === undefined ? 'no version of it is in service' : `use version ${instead}`}`);
}

/** The headers of a successful answer of this version; none unless it is deprecated. */
export function deprecationHeaders(catalog: Catalog, id: string, version: number): Record<string, string> {
  const entry = catalog.get(id, version);
  if (entry?.status !== 'deprecated') return {};
  const headers: Record<string, string> = { deprecation: `@${Math.floor((entry.statusChangedAt ?? 0) / 1000)}` };
  const successor = catalog.successorOf(id, version);
  if (successor !== undefined) headers.link = `<${referenceUrl(id, successor)}>; rel="successor-version"`;
  return headers;
}
