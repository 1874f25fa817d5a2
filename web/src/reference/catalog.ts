/** The catalogue as GET /v1/catalog/actions.json serves it, and the pure helpers of the reference. */
import type { Schema } from '../shared/schema-fields';

export interface Version {
  id: string;
  version: number;
  kind: 'request' | 'event';
  title: string;
  description?: string;
  dataSchema: Schema;
  responseSchema?: Schema;
  timeoutMs?: number;
  coalesce?: boolean;
  builtin: boolean;
  updatedAt: number | null;
  /** Set by the operator: `deprecated` is still callable, `retired` is refused. */
  status: 'active' | 'deprecated' | 'retired';
  statusChangedAt: number | null;
  examples: { data: { valid: unknown[] }; response?: { valid: unknown[] } } | null;
  changes: Array<{ path: string; change: string }>;
}

export interface Action {
  id: string;
  kind: 'request' | 'event';
  versions: Version[];
}

/** `@layers:education:GradeBooks:getRelated` → `@layers:education`; `@acme:Thing:do` → `@acme`. */
export function namespaceOf(id: string): string {
  const parts = id.split(':');
  return parts.slice(0, Math.max(1, parts.length - 2)).join(':');
}

/** The names of every declared field of a schema, for the search. */
export function fieldNames(schema: Schema | undefined, out: string[] = []): string[] {
  if (typeof schema !== 'object' || schema === null) return out;
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) out.push(...Object.keys(value));
    if (typeof value === 'object' && value !== null) fieldNames(value as Schema, out);
  }
  return out;
}

export function matches(action: Action, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  const latest = action.versions[action.versions.length - 1]!;
  const haystack = [action.id, ...action.versions.map((v) => v.title), ...fieldNames(latest.dataSchema), ...fieldNames(latest.responseSchema)];
  return haystack.some((text) => text.toLowerCase().includes(q));
}

/** The version to use instead of a deprecated or retired one: the newest active version. */
export function successorOf(action: Action, v: Version): Version | undefined {
  return action.versions.filter((other) => other !== v && other.status === 'active').at(-1);
}

/** A ready shell command for the action, with the hub's own origin. */
export function curlOf(origin: string, v: Version, data: unknown): string {
  const body = JSON.stringify(data ?? {});
  const quoted = `'${body.replaceAll("'", `'\\''`)}'`;
  if (v.kind === 'event') {
    return [
      `curl -sS -X POST '${origin}/v1/services/publish/${v.id}?version=${v.version}' \\`,
      `  -H "authorization: Bearer $APP_TOKEN" -H 'x-community-id: my-community' \\`,
      `  -H 'content-type: application/json' -d ${quoted}`,
    ].join('\n');
  }
  return [
    `# 1. Which providers answer it in your community`,
    `curl -sS '${origin}/v1/services/discover/${v.id}?version=${v.version}' \\`,
    `  -H "authorization: Bearer $APP_TOKEN" -H 'x-community-id: my-community'`,
    `# 2. Call one of them (its app id is in the discover answer)`,
    `curl -sS -X POST '${origin}/v1/services/call/${v.id}/$PROVIDER?version=${v.version}' \\`,
    `  -H "authorization: Bearer $APP_TOKEN" -H 'x-community-id: my-community' \\`,
    `  -H 'content-type: application/json' -d ${quoted}`,
  ].join('\n');
}

/** The body the hub POSTs to a provider (request) or a subscriber (event). */
export function envelopeOf(v: Version, data: unknown): unknown {
  const context =
    v.kind === 'event'
      ? { issuedAt: '2026-01-01T12:00:00.000Z', action: v.id, community: 'my-community', version: v.version, publisher: 'publisher-app', eventId: 'evt_…' }
      : { issuedAt: '2026-01-01T12:00:00.000Z', action: v.id, community: 'my-community', version: v.version, consumer: 'consumer-app', requestId: '…' };
  return { context, secret: '<the app secret>', data: data ?? {} };
}
