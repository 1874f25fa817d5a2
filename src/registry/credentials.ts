/**
 * Bearer credentials the hub issues: app tokens `hub_<id>_<secret>` and admin keys
 * `hub_admin_<id>_<secret>`. The id finds the record; only SHA-256 of the secret part is stored,
 * and it is compared in constant time. 256 random bits make a slow hash unnecessary.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix of app tokens and that of admin keys; neither parses as the other. */
export type TokenPrefix = 'hub' | 'hub_admin';

const FORMATS: Record<TokenPrefix, RegExp> = {
  hub: /^hub_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/,
  hub_admin: /^hub_admin_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/,
};

export interface IssuedToken {
  id: string;
  /** Shown once to the operator, never stored. */
  token: string;
  hash: string;
}

export function issueToken(prefix: TokenPrefix = 'hub'): IssuedToken {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${prefix}_${id}_${secret}`, hash: hashSecret(secret) };
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Splits a presented token into its id and secret; undefined when it is not a token of that kind. */
export function parseToken(token: string, prefix: TokenPrefix = 'hub'): { id: string; secret: string } | undefined {
  const match = FORMATS[prefix].exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** Whether `secret` hashes to `storedHash` (the raw bytes of a stored hex hash). */
export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const presented = createHash('sha256').update(secret).digest();
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}

/**
 * The token in an Authorization header. Old clients store the value with its `Bearer ` prefix and
 * send it prefixed again, so any number of leading `Bearer ` words is accepted, as is none.
 */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const token = header.replace(/^\s*(?:bearer(?:\s+|$))+/i, '').trim();
  return token === '' ? undefined : token;
}
