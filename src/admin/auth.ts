/** The operator's bearer token, compared in constant time (as SHA-256 digests, equal lengths). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.js';
import { tokenFromAuthorization } from '../registry/credentials.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function adminGuard(adminToken: string) {
  const expected = digest(adminToken);
  return async (request: FastifyRequest): Promise<void> => {
    const token = tokenFromAuthorization(request.headers.authorization);
    if (token === undefined) throw unauthorized('no admin token: send Authorization: Bearer <admin token>');
    if (!timingSafeEqual(digest(token), expected)) throw unauthorized('the admin token is wrong');
  };
}
