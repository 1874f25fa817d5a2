/**
 * Admin keys and their scopes. A key is `hub_admin_<id>_<secret>` (src/registry/credentials.ts):
 * the id finds its record, only the SHA-256 of the secret is stored. Scopes are ordered: `read`
 * (every GET), `operate` (day-to-day changes: installations, approvals, replays, tokens, secret
 * rotation, subscriptions), `admin` (everything, keys, manifests and action definitions included);
 * a key holds its scope and every lower one. HUB_ADMIN_TOKEN is the bootstrap key, scope `admin`.
 * Pure: no I/O.
 */
import { parseToken, secretMatches } from '../registry/credentials.js';

export const ADMIN_SCOPES = ['read', 'operate', 'admin'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** A stored admin key: never its secret, only the hash of it. */
export interface AdminKeyRecord {
  /** 16 hex digits, the middle part of the key. */
  id: string;
  name: string;
  scope: AdminScope;
  /** SHA-256 (hex) of the key's secret part. */
  hash: string;
  createdAt: number;
  revokedAt: number | null;
}

/** Who made an admin request: a key's id, name and scope; the bootstrap token is `bootstrap`. */
export interface AdminPrincipal {
  id: string;
  name: string;
  scope: AdminScope;
}

export const BOOTSTRAP: AdminPrincipal = { id: 'bootstrap', name: 'bootstrap', scope: 'admin' };

/** Whether a key of scope `held` may use a route needing `needed`. */
export const scopeAllows = (held: AdminScope, needed: AdminScope): boolean => ADMIN_SCOPES.indexOf(held) >= ADMIN_SCOPES.indexOf(needed);

/** The id of a presented admin key, with its secret; undefined when it is not one. */
export const parseAdminKey = (token: string) => parseToken(token, 'hub_admin');

/** The principal of a presented key against its stored record (looked up by the parsed id):
 * undefined when unknown, revoked or the secret does not match. */
export function principalOf(secret: string, record: AdminKeyRecord | null): AdminPrincipal | undefined {
  if (record === null || record.revokedAt !== null) return undefined;
  if (!secretMatches(secret, Buffer.from(record.hash, 'hex'))) return undefined;
  return { id: record.id, name: record.name, scope: record.scope };
}

/** The sentence of the 403 for a key without the scope a route needs. */
export const scopeRefusal = (principal: AdminPrincipal, needed: AdminScope): string =>
  `this route needs an admin key with the "${needed}" scope; the key "${principal.name}" (${principal.id}) has the "${principal.scope}" scope`;
