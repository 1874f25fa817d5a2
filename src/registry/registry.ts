/**
 * The registry in memory: apps, tokens, communities and installations, indexed for the checks of
 * the call and publish paths. It is a snapshot of the store, rebuilt after every admin write (and
 * when another hub process sharing the store says it wrote), so a revoked token or an uninstalled
 * app stops working as soon as the write is answered.
 */
import type { RegistryStore } from '../store/store.js';
import { parseToken, secretMatches } from './credentials.js';
import type { AppRecord, InstallationRecord, ServiceResponse, ServiceSubscribe, TokenRecord } from './types.js';

export interface Provider {
  app: AppRecord;
  responds: ServiceResponse;
}

export interface Subscriber {
  app: AppRecord;
  subscribes: ServiceSubscribe;
}

const key = (a: string, b: string) => `${a}\u0000${b}`;

export class RegistrySnapshot {
  readonly apps = new Map<string, AppRecord>();
  readonly communities = new Set<string>();
  /** (community, app) → installation */
  readonly installations = new Map<string, InstallationRecord>();
  /** Live tokens by id: the app and the stored hash, decoded once. */
  private readonly tokens = new Map<string, { appId: string; hash: Buffer }>();
  /** (community, app, action) of subscriptions switched off */
  private readonly disabled = new Set<string>();

  constructor(data: {
    apps: AppRecord[];
    tokens: TokenRecord[];
    communities: string[];
    installations: InstallationRecord[];
    disabled: Array<{ communityId: string; appId: string; action: string }>;
  }) {
    for (const app of data.apps) this.apps.set(app.id, app);
    for (const token of data.tokens) {
      if (token.revokedAt === null) this.tokens.set(token.id, { appId: token.appId, hash: Buffer.from(token.hash, 'hex') });
    }
    for (const id of data.communities) this.communities.add(id);
    for (const i of data.installations) this.installations.set(key(i.communityId, i.appId), i);
    for (const d of data.disabled) this.disabled.add(key(key(d.communityId, d.appId), d.action));
  }

  /** The app a bearer token belongs to; undefined for an unknown, malformed or revoked token. */
  authenticate(token: string): AppRecord | undefined {
    const parsed = parseToken(token);
    if (parsed === undefined) return undefined;
    const record = this.tokens.get(parsed.id);
    if (record === undefined || !secretMatches(parsed.secret, record.hash)) return undefined;
    return this.apps.get(record.appId);
  }

  installation(communityId: string, appId: string): InstallationRecord | undefined {
    return this.installations.get(key(communityId, appId));
  }

  /** Installed, and its manifest's services enabled: the only state in which an app takes part. */
  isActive(communityId: string, appId: string): boolean {
    const app = this.apps.get(appId);
    return app !== undefined && app.manifest.services.enabled && this.installation(communityId, appId)?.status === 'installed';
  }

  /** How `appId` responds to `action` in the community, when it is an active provider of it. */
  provider(communityId: string, appId: string, action: string): Provider | undefined {
    if (!this.isActive(communityId, appId)) return undefined;
    const app = this.apps.get(appId)!;
    const responds = app.manifest.services.responds.find((r) => r.action === action);
    return responds === undefined ? undefined : { app, responds };
  }

  /** Active providers of an action in a community, by app id. */
  providers(communityId: string, action: string): Provider[] {
    const result: Provider[] = [];
    for (const app of this.apps.values()) {
      const provider = this.provider(communityId, app.id, action);
      if (provider !== undefined) result.push(provider);
    }
    return result.sort((a, b) => (a.app.id < b.app.id ? -1 : 1));
  }

  /** Active subscribers of an event action in a community, without disabled subscriptions. */
  subscribers(communityId: string, action: string): Subscriber[] {
    const result: Subscriber[] = [];
    for (const app of this.apps.values()) {
      if (!this.isActive(communityId, app.id)) continue;
      const subscribes = app.manifest.services.subscribes.find((s) => s.action === action);
      if (subscribes === undefined || this.isDisabled(communityId, app.id, action)) continue;
      result.push({ app, subscribes });
    }
    return result;
  }

  /** Whether any app subscribes to anything: without one there is nothing to deliver. */
  hasSubscriptions(): boolean {
    for (const app of this.apps.values()) if (app.manifest.services.subscribes.length > 0) return true;
    return false;
  }

  isDisabled(communityId: string, appId: string, action: string): boolean {
    return this.disabled.has(key(key(communityId, appId), action));
  }
}

/** Holds the current snapshot and rebuilds it from the store; reloads never overlap. */
export class Registry {
  private snapshot: RegistrySnapshot = new RegistrySnapshot({ apps: [], tokens: [], communities: [], installations: [], disabled: [] });
  private reloading: Promise<void> = Promise.resolve();
  private readAt = 0;

  constructor(private readonly store: RegistryStore) {}

  /** The snapshot in effect, as `CatalogService.current` is the catalogue in effect. */
  get current(): RegistrySnapshot {
    return this.snapshot;
  }

  /** When the store was read for the snapshot in effect (0 before the first load): anything
   * written before then is in it. */
  get currentAsOf(): number {
    return this.readAt;
  }

  /** Rebuilds the snapshot from the store. Calls made meanwhile wait for one fresh rebuild. */
  reload(): Promise<void> {
    const next = this.reloading.then(async () => {
      const readAt = Date.now();
      const [apps, tokens, communities, installations, disabled] = await Promise.all([
        this.store.listApps(),
        this.store.listTokens(),
        this.store.listCommunities(),
        this.store.listInstallations(),
        this.store.listDisabledSubscriptions(),
      ]);
      this.snapshot = new RegistrySnapshot({ apps, tokens, communities: communities.map((c) => c.id), installations, disabled });
      this.readAt = readAt;
    });
    this.reloading = next.catch(() => undefined);
    return next;
  }
}
