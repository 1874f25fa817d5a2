/**
 * Manifest validation: the shape (a JSON Schema), then what the shape cannot say: every action is
 * known and of the right kind, versions exist, URLs are absolute http(s), and the URLs the hub
 * will call pass its outbound policy as far as can be told without resolving names.
 */
import type { ErrorDetail } from '../errors.js';
import { compileSchema } from '../catalog/validators.js';
import type { ActionKind } from '../catalog/definition.js';
import type { Manifest } from './types.js';

const ACTION = { type: 'string', minLength: 1, maxLength: 200 };
const REASON = { type: 'string', maxLength: 2000 };
const URL = { type: 'string', minLength: 1, maxLength: 2048 };
const entry = (extra: Record<string, unknown> = {}, required: string[] = []) => ({
  type: 'object',
  required: ['action', ...required],
  properties: { action: ACTION, reason: REASON, ...extra },
});

const MANIFEST_SCHEMA = {
  type: 'object',
  required: ['displayName'],
  properties: {
    id: { type: 'string' },
    displayName: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 10_000 },
    icon: { type: 'string', maxLength: 2048 },
    approval: { enum: ['automatic', 'manual'] },
    visibility: { enum: ['private', 'unlisted', 'public'] },
    services: {
      type: 'object',
      properties: {
        enabled: { type: 'boolean' },
        requests: { type: 'array', maxItems: 1000, items: entry() },
        responds: {
          type: 'array',
          maxItems: 1000,
          items: entry({ url: URL, versions: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 1 } } }, ['url']),
        },
        publishes: { type: 'array', maxItems: 1000, items: entry() },
        subscribes: { type: 'array', maxItems: 1000, items: entry({ url: URL }, ['url']) },
      },
    },
  },
};

const validateShape = compileSchema(MANIFEST_SCHEMA);

/** What manifest validation needs to know of the catalogue. */
export interface ActionLookup {
  kindOf(action: string): ActionKind | undefined;
  hasVersion(action: string, version: number): boolean;
}

/** What manifest validation needs to know of the outbound policy: why a URL the hub would call
 * may not be registered (credentials, a denied IP literal), or undefined. */
export interface OutboundUrlCheck {
  refusalOf(url: globalThis.URL): string | undefined;
}

export type ManifestResult = { manifest: Manifest } | { problems: ErrorDetail[] };

function isHttpUrl(value: string): boolean {
  try {
    const url = new globalThis.URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Validates a manifest for app `appId` and fills its defaults. */
export function validateManifest(appId: string, input: unknown, actions: ActionLookup, outbound: OutboundUrlCheck): ManifestResult {
  const shapeProblems = validateShape(input);
  if (shapeProblems) return { problems: shapeProblems };
  // The input's entries may lack the defaults (reason, versions) the Manifest type has filled.
  type Entry = { action: string; reason?: string; url: string; versions?: number[] };
  const raw = input as Partial<Omit<Manifest, 'services'>> & { services?: { enabled?: boolean } & Partial<Record<keyof Manifest['services'], Entry[]>> };
  const problems: ErrorDetail[] = [];
  if (raw.id !== undefined && raw.id !== appId) {
    problems.push({ pointer: '/id', message: `must be "${appId}", the app id in the path` });
  }
  const services = raw.services ?? {};
  const manifest: Manifest = {
    id: appId,
    displayName: raw.displayName!,
    ...(raw.description !== undefined && { description: raw.description }),
    ...(raw.icon !== undefined && { icon: raw.icon }),
    approval: raw.approval ?? 'automatic',
    visibility: raw.visibility ?? 'private',
    services: {
      enabled: services.enabled ?? true,
      requests: (services.requests ?? []).map((e) => ({ action: e.action, reason: e.reason ?? '' })),
      responds: (services.responds ?? []).map((e) => ({
        action: e.action,
        reason: e.reason ?? '',
        url: e.url,
        versions: [...(e.versions ?? [1])].sort((a, b) => a - b),
      })),
      publishes: (services.publishes ?? []).map((e) => ({ action: e.action, reason: e.reason ?? '' })),
      subscribes: (services.subscribes ?? []).map((e) => ({ action: e.action, reason: e.reason ?? '', url: e.url })),
    },
  };

  const checkList = (list: 'requests' | 'responds' | 'publishes' | 'subscribes', kind: ActionKind) => {
    const seen = new Set<string>();
    const entries: ReadonlyArray<{ action: string; url?: string; versions?: number[] }> = manifest.services[list];
    entries.forEach((entry, i) => {
      const at = `/services/${list}/${i}`;
      const actual = actions.kindOf(entry.action);
      if (actual === undefined) problems.push({ pointer: `${at}/action`, message: `unknown action "${entry.action}"` });
      else if (actual !== kind)
        problems.push({
          pointer: `${at}/action`,
          message: `"${entry.action}" is ${actual === 'event' ? 'an event' : 'a request'} action; ${list} takes ${kind === 'event' ? 'event' : 'request'} actions`,
        });
      if (seen.has(entry.action)) problems.push({ pointer: `${at}/action`, message: `"${entry.action}" is listed twice` });
      seen.add(entry.action);
      if (entry.url !== undefined) {
        const refusal = isHttpUrl(entry.url) ? outbound.refusalOf(new globalThis.URL(entry.url)) : 'must be an absolute http(s) URL';
        if (refusal !== undefined) problems.push({ pointer: `${at}/url`, message: refusal });
      }
      if (actual !== undefined) {
        (entry.versions ?? []).forEach((v, j) => {
          if (!actions.hasVersion(entry.action, v)) problems.push({ pointer: `${at}/versions/${j}`, message: `"${entry.action}" has no version ${v}` });
        });
      }
    });
  };
  checkList('requests', 'request');
  checkList('responds', 'request');
  checkList('publishes', 'event');
  checkList('subscribes', 'event');
  if (manifest.icon !== undefined && !isHttpUrl(manifest.icon)) problems.push({ pointer: '/icon', message: 'must be an absolute http(s) URL' });
  return problems.length > 0 ? { problems } : { manifest };
}

/**
 * A manifest read back from storage. Hubs before 0.1 stored `responds` entries as sent, without
 * `versions`; the Manifest type promises it, so the default is filled here once, at load.
 */
export function withStoredDefaults(stored: Manifest): Manifest {
  if (stored.services.responds.every((e) => Array.isArray(e.versions))) return stored;
  const responds = stored.services.responds.map((e) => (Array.isArray(e.versions) ? e : { ...e, versions: [1] }));
  return { ...stored, services: { ...stored.services, responds } };
}
