/**
 * Schemas of path and query parameters shared by the routes, of their answers, and the hub's
 * wording of their errors. A schema may carry `x-hub-error`: the sentence (`error`) and the detail
 * message (`message`) answered when a value fails it; `{value}` in the sentence is the value given,
 * cut to the schema's maxLength. Fastify validates with them (route-validation.ts); error-handler.ts turns a failure into the hub's format, pointer included
 * (`/path/<name>`, `/query/<name>`, or into the body). The schemas are inline and `$id`-free.
 */
import { MAX_ACTION_ID_LENGTH } from '../catalog/action-id.js';

/** The hub's wording of a parameter's error. */
export interface HubErrorText {
  error: string;
  message: string;
}

export const HUB_ERROR_KEYWORD = 'x-hub-error';

export type ParamSchema = Record<string, unknown> & { [HUB_ERROR_KEYWORD]?: HubErrorText };

/** App and community ids: what is safe in URLs, logs and keys. */
export const idSchema = (what: string): ParamSchema => ({
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$',
  maxLength: 100,
  description: `The ${what} id: 1 to 100 letters, digits, "_", "." or "-", starting with a letter or digit.`,
  [HUB_ERROR_KEYWORD]: {
    error: `"{value}" is not a valid ${what} id: 1 to 100 letters, digits, "_", "." or "-", starting with a letter or digit`,
    message: 'is not a valid id',
  },
});

/** The `:action` path parameter, raw or percent-encoded (decoded once by the router). */
export const actionIdSchema: ParamSchema = {
  type: 'string',
  pattern: '^@[A-Za-z0-9_-]+(?::[A-Za-z0-9_-]+){1,3}$',
  maxLength: MAX_ACTION_ID_LENGTH,
  description: 'An action id, @scope:Name:verb, @scope:area:Name:verb or @scope:verb, raw or percent-encoded.',
  examples: ['@layers:education:GradeBooks:getRelated'],
  [HUB_ERROR_KEYWORD]: {
    error: '"{value}" is not an action id (expected @scope:Name:verb, @scope:area:Name:verb or @scope:verb)',
    message: 'is not an action id',
  },
};

/** An opaque id the hub made (token, event, delivery): any string; an unknown one is a 404. */
export const opaqueIdSchema = (what: string): ParamSchema => ({ type: 'string', description: `The ${what} id.` });

/** Path parameters as an object schema: all of them required. */
export function pathParams(properties: Record<string, ParamSchema>) {
  return { type: 'object', required: Object.keys(properties), properties } as const;
}

/** Query parameters as an object schema: unknown ones are ignored, as they always were. */
export function queryParams(properties: Record<string, ParamSchema>) {
  return { type: 'object', properties } as const;
}

/** A filter of a list: one string of at most 200 characters; empty means no filter. */
export const filterSchema = (name: string, description: string): ParamSchema => ({
  type: 'string',
  maxLength: 200,
  description,
  [HUB_ERROR_KEYWORD]: { error: `${name} must be given once, as a string of at most 200 characters`, message: 'is not a valid filter' },
});

/** `limit` and `cursor` of the paginated admin lists, newest first. */
export const pageQuery = {
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 100,
    description: 'Rows per page.',
    [HUB_ERROR_KEYWORD]: { error: 'limit must be an integer from 1 to 1000', message: 'must be an integer from 1 to 1000' },
  },
  cursor: {
    type: 'string',
    pattern: '^(0*[1-9][0-9]{0,15})?$',
    description: 'The nextCursor of the previous page; absent or empty for the first page.',
    [HUB_ERROR_KEYWORD]: { error: 'cursor must be the nextCursor of a previous page', message: 'is not a cursor' },
  },
} satisfies Record<string, ParamSchema>;

/** A bound of a time range (`since`, `until`), in either of two forms: an RFC 3339 date-time with
 * its offset, the form the ISO 8601 profile of the web takes (`2026-01-31T12:00:00Z`, `…+01:00`,
 * fractions allowed), as the console sends it; or milliseconds since the epoch, the form of the
 * times in the lists' rows (`at`, `createdAt`), so a client can pass one back. 15 digits at most:
 * every such number is a time a date can hold. Empty is no bound, as an empty filter is no filter.
 * timeRange (src/admin/params.ts) reads both. */
const timeBoundQuery = (name: string, description: string): ParamSchema => ({
  type: 'string',
  pattern: '^(\\d{1,15}|\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?(Z|z|[+-]([01]\\d|2[0-3]):[0-5]\\d))?$',
  maxLength: 40,
  description,
  examples: ['2026-01-31T12:00:00Z', '1769860800000'],
  [HUB_ERROR_KEYWORD]: {
    error: `${name} must be an ISO 8601 date-time with a time zone, such as 2026-01-31T12:00:00Z, or milliseconds since the epoch, not "{value}"`,
    message: 'is not an ISO 8601 date-time with a time zone or milliseconds since the epoch',
  },
});

/** `since` and `until` of the admin lists (calls, changes, events, deliveries): both bounds included. */
export const timeRangeQuery = {
  since: timeBoundQuery('since', 'Only rows at or after this time: an ISO 8601 date-time with a time zone, or milliseconds since the epoch.'),
  until: timeBoundQuery('until', 'Only rows at or before this time: an ISO 8601 date-time with a time zone, or milliseconds since the epoch.'),
} satisfies Record<string, ParamSchema>;

/** A positive integer query parameter of the public routes. Checked as text: `1e3` and `1.5`
 * are refused, as they always were (Ajv's coercion would read `1e3` as 1000). */
export const positiveIntegerQuery = (name: string, description: string): ParamSchema => ({
  type: 'string',
  pattern: '^(0*[1-9][0-9]{0,14})?$',
  description,
  [HUB_ERROR_KEYWORD]: { error: `the ${name} parameter must be a positive integer`, message: 'must be a positive integer' },
});

/**
 * An answer's schema, for the document and for Fastify's serializer: the listed properties and,
 * `additionalProperties: true`, any other the route returns (the serializer drops undeclared
 * properties otherwise, and clients may rely on them).
 */
export function answerSchema(description: string, properties: Record<string, unknown>, required: string[] = Object.keys(properties)) {
  return { type: 'object', description, required, properties, additionalProperties: true } as const;
}

/** A page of an admin list: items, newest first, and the cursor of the next page. */
export function pageAnswer(description: string, item: Record<string, unknown>) {
  return answerSchema(description, {
    items: { type: 'array', items: item },
    nextCursor: { type: ['string', 'null'], description: 'Pass it as `cursor` for the next page; null on the last one.' },
  });
}

/** A timestamp of the registry: milliseconds since the epoch. */
export const MILLIS = { type: 'integer', description: 'Milliseconds since 1970-01-01 UTC.' } as const;
