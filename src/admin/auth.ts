/**
 * Who may use the operator API, and for what. The bearer token is the bootstrap HUB_ADMIN_TOKEN
 * (compared in constant time, as SHA-256 digests of equal lengths) or an admin key, looked up by its
 * id on every request (so a revocation holds at once in every process sharing the database) and
 * its secret compared in constant time with the stored hash. Each route declares the scope it needs
 * in its config (`adminScope`, `admin` when absent, so a new route is closed until opened); a key
 * without it gets 403. Admin answers are never cached: they carry tokens, secrets and the registry.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';
import { tokenFromAuthorization } from '../registry/credentials.js';
import type { AdminStore } from '../store/store.js';
import { BOOTSTRAP, parseAdminKey, principalOf, scopeAllows, scopeRefusal, type AdminPrincipal, type AdminScope } from './admin-keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope an admin route needs; `admin` when absent. */
    adminScope?: AdminScope;
  }
  interface FastifyRequest {
    /** The admin key of the request, once the guard has let it through. */
    adminKey?: AdminPrincipal;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether an Authorization header carries `expected`, compared in constant time; undefined when
 * it carries no token at all. */
export function bearerMatcher(expected: string): (authorization: string | undefined) => boolean | undefined {
  const expectedDigest = digest(expected);
  return (authorization) => {
    const token = tokenFromAuthorization(authorization);
    return token === undefined ? undefined : timingSafeEqual(digest(token), expectedDigest);
  };
}

/** The scope a route needs: what it declares, `admin` otherwise. */
export const neededScope = (request: FastifyRequest): AdminScope => request.routeOptions.config?.adminScope ?? 'admin';

export function adminGuard(adminToken: string, store: Pick<AdminStore, 'getAdminKey'>) {
  const isBootstrap = bearerMatcher(adminToken);
  const principal = async (authorization: string | undefined): Promise<AdminPrincipal | undefined> => {
    if (isBootstrap(authorization) === true) return BOOTSTRAP;
    const parsed = parseAdminKey(tokenFromAuthorization(authorization) ?? '');
    return parsed === undefined ? undefined : principalOf(parsed.secret, await store.getAdminKey(parsed.id));
  };
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    void reply.header('cache-control', 'no-store');
    const authorization = request.headers.authorization;
    if (tokenFromAuthorization(authorization) === undefined) throw unauthorized('no admin token: send Authorization: Bearer <admin token or admin key>');
    const key = await principal(authorization);
    if (key === undefined) throw unauthorized('the admin token is wrong, or the admin key is unknown or revoked');
    // Known before the scope check: a write refused for its scope is in the change trail too.
    request.adminKey = key;
    const needed = neededScope(request);
    if (!scopeAllows(key.scope, needed)) throw forbidden(scopeRefusal(key, needed));
  };
}
