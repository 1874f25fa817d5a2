/** GET /services/discover/:action — the providers of an action installed in the caller's community. */
import { checkCallerAndAction, type CallerDeps, type PublicRequest } from './caller.js';

export interface DiscoveredProvider {
  id: string;
  displayName: string;
  /** The app's icon URL, `null` when its manifest has none (Layers always sends the field). */
  icon: string | null;
  versions: readonly number[];
}

export function discover(deps: CallerDeps, request: PublicRequest): DiscoveredProvider[] {
  const { communityId, action, requestedVersion: version } = checkCallerAndAction(deps, request, 'request');
  const catalog = deps.catalog.current;
  const result: DiscoveredProvider[] = [];
  for (const { app, responds } of deps.registry.current.providers(communityId, action)) {
    const versions = responds.versions.filter((v) => catalog.hasVersion(action, v));
    if (version !== undefined && !versions.includes(version)) continue;
    result.push({
      id: app.id,
      displayName: app.manifest.displayName,
      icon: app.manifest.icon ?? null,
      versions,
    });
  }
  return result;
}
