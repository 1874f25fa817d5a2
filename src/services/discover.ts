/** GET /services/discover/:action — the providers of an action installed in the caller's community.
 * Retired versions are left out of `versions` (they cannot be called); deprecated ones stay in it
 * and are listed again in `deprecatedVersions`, a field only present when there are some, so an
 * answer without deprecations keeps Layers' shape exactly. */
import { checkCallerAndAction, type CallerDeps, type PublicRequest } from './caller.js';

export interface DiscoveredProvider {
  id: string;
  displayName: string;
  /** The app's icon URL, `null` when its manifest has none (Layers always sends the field). */
  icon: string | null;
  versions: readonly number[];
  /** Those of `versions` the operator deprecated: still callable, to be moved off. */
  deprecatedVersions?: readonly number[];
}

export function discover(deps: CallerDeps, request: PublicRequest): DiscoveredProvider[] {
  const { communityId, action, versions: live, requestedVersion: version } = checkCallerAndAction(deps, request, 'request');
  const catalog = deps.catalog.current;
  const result: DiscoveredProvider[] = [];
  for (const { app, responds } of deps.registry.current.providers(communityId, action)) {
    const versions = responds.versions.filter((v) => live.includes(v));
    if (version !== undefined && !versions.includes(version)) continue;
    const deprecated = versions.filter((v) => catalog.get(action, v)!.status === 'deprecated');
    result.push({
      id: app.id,
      displayName: app.manifest.displayName,
      icon: app.manifest.icon ?? null,
      versions,
      ...(deprecated.length > 0 && { deprecatedVersions: deprecated }),
    });
  }
  return result;
}
