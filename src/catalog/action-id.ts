/**
 * Action ids: `@scope:Name:verb` or `@scope:area:Name:verb` (and `@scope:verb`, as Layers'
 * `@layers:getHomeInfo`). Each segment is letters, digits,
 * `_` or `-`; ids compare case-sensitively.
 */
const ACTION_ID = /^@[A-Za-z0-9_-]+(?::[A-Za-z0-9_-]+){1,3}$/;

/** Longest id accepted, so that ids never become a way to push large strings into logs or keys. */
export const MAX_ACTION_ID_LENGTH = 200;

export function isActionId(value: string): boolean {
  return value.length <= MAX_ACTION_ID_LENGTH && ACTION_ID.test(value);
}

/**
 * Reads an action id from a URL path segment. The HTTP layer has already percent-decoded it once,
 * so raw (`@layers:Calendar:getRelated`) and encoded (`%40layers%3ACalendar%3AgetRelated`) forms
 * arrive alike; it is not decoded a second time. Returns undefined when it is not an id.
 */
export function parseActionIdParam(segment: string): string | undefined {
  return isActionId(segment) ? segment : undefined;
}
