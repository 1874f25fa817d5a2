/** Path and query parameters of the admin API, checked before use. */
import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../errors.js';

/** App and community ids: what is safe in URLs, logs and keys. */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function idParam(request: FastifyRequest, name: string, what: string): string {
  const value = (request.params as Record<string, string | undefined>)[name] ?? '';
  if (!ID.test(value)) {
    throw invalidRequest(`"${value.slice(0, 100)}" is not a valid ${what} id: 1 to 100 letters, digits, "_", "." or "-", starting with a letter or digit`, [
      { pointer: `/path/${name}`, message: 'is not a valid id' },
    ]);
  }
  return value;
}

export interface Page {
  limit: number;
  /** Rows strictly older than this sequence number (from the previous page's nextCursor). */
  beforeSeq: number | undefined;
}

export function pageParams(request: FastifyRequest): Page {
  const query = request.query as Record<string, string | undefined>;
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalidRequest('limit must be an integer from 1 to 1000', [{ pointer: '/query/limit', message: 'must be an integer from 1 to 1000' }]);
  }
  const cursor = query.cursor === undefined || query.cursor === '' ? undefined : Number(query.cursor);
  if (cursor !== undefined && (!Number.isInteger(cursor) || cursor < 1)) {
    throw invalidRequest('cursor must be the nextCursor of a previous page', [{ pointer: '/query/cursor', message: 'is not a cursor' }]);
  }
  return { limit, beforeSeq: cursor };
}

/** A page of rows, newest first, with the cursor of the next page (null at the end). */
export function pageOf<T extends { seq?: number }>(rows: T[], page: Page): { items: T[]; nextCursor: string | null } {
  const last = rows[rows.length - 1];
  return { items: rows, nextCursor: rows.length === page.limit && last?.seq !== undefined ? String(last.seq) : null };
}

export function stringFilter(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 200) {
    throw invalidRequest(`${name} must be given once, as a string of at most 200 characters`, [{ pointer: `/query/${name}`, message: 'is not a valid filter' }]);
  }
  return value;
}
