/**
 * The operator's bearer token, compared in constant time (as SHA-256 digests, equal lengths).
 * Admin answers are never cached: they carry tokens, secrets and the registry.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.js';
import { tokenFromAuthorization } from '../registry/credentials.js';

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

export function adminGuard(adminToken: string) {
  const matches = bearerMatcher(adminToken);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    void reply.header('cache-control', 'no-store');
    const match = matches(request.headers.authorization);
    if (match === undefined) throw unauthorized('no admin token: send Authorization: Bearer <admin token>');
    if (!match) throw unauthorized('the admin token is wrong');
  };
}
