/** GET /services/discover/:action — the providers of an action installed in the caller's community. */
import type { FastifyRequest } from 'fastify';
import { forbidden, notFound } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import { identifyCaller, integerParam } from './caller.js';
import { actionIdParam } from '../http/params.js';

export interface DiscoveredProvider {
  id: string;
  displayName: string;
  icon?: string;
  versions: number[];
}

export function discover(deps: HubDeps, request: FastifyRequest): DiscoveredProvider[] {
  const registry = deps.registry.snapshot;
  const caller = identifyCaller(request, registry);
  const action = actionIdParam(request);
  request.trail.action = action;
  const version = integerParam(request, 'version');
  const catalog = deps.catalog.current;
  if (catalog.kindOf(action) !== 'request') throw notFound(`unknown request action "${action}"`);
  if (version !== undefined && !catalog.hasVersion(action, version)) throw notFound(`action "${action}" has no version ${version}`);
  if (!caller.app.manifest.services.requests.some((r) => r.action === action)) {
    throw forbidden(`app "${caller.app.id}" does not list "${action}" in services.requests of its manifest`);
  }
  const result: DiscoveredProvider[] = [];
  for (const { app, responds } of registry.providers(caller.communityId, action)) {
    const versions = (responds.versions ?? [1]).filter((v) => catalog.hasVersion(action, v));
    if (version !== undefined && !versions.includes(version)) continue;
    result.push({
      id: app.id,
      displayName: app.manifest.displayName,
      ...(app.manifest.icon !== undefined && { icon: app.manifest.icon }),
      versions,
    });
  }
  return result;
}
