/** Path parameters shared by the public and admin routes. */
import type { FastifyRequest } from 'fastify';
import { MAX_ACTION_ID_LENGTH, parseActionIdParam } from '../catalog/action-id.js';
import { invalidRequest } from '../errors.js';

/** The `:action` path parameter, raw or percent-encoded (decoded once by the router). */
export function actionIdParam(request: FastifyRequest): string {
  const raw = (request.params as { action?: string }).action ?? '';
  const action = parseActionIdParam(raw);
  if (action === undefined) {
    throw invalidRequest(`"${raw.slice(0, MAX_ACTION_ID_LENGTH)}" is not an action id (expected @scope:Name:verb or @scope:area:Name:verb)`, [
      { pointer: '/path/action', message: 'is not an action id' },
    ]);
  }
  return action;
}
