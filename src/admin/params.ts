/** Query parameters of the admin lists, once their route schemas (src/http/route-schemas.ts) have
 * checked them: the page asked for, and the filters. */
import { invalidRequest } from '../errors.js';

export interface PageQuery {
  limit: number;
  cursor?: string;
}

export interface Page {
  limit: number;
  /** Rows strictly older than this sequence number (from the previous page's nextCursor). */
  beforeSeq: number | undefined;
}

export function pageParams(query: PageQuery): Page {
  return { limit: query.limit, beforeSeq: query.cursor === undefined || query.cursor === '' ? undefined : Number(query.cursor) };
}

/** A page of rows, newest first, with the cursor of the next page (null at the end). */
export function pageOf<T extends { seq?: number }>(rows: T[], page: Page): { items: T[]; nextCursor: string | null } {
  const last = rows[rows.length - 1];
  return { items: rows, nextCursor: rows.length === page.limit && last?.seq !== undefined ? String(last.seq) : null };
}

/** A filter: an empty one is no filter. */
export const filter = (value: string | undefined): string | undefined => (value === '' ? undefined : value);

export interface TimeRangeQuery {
  since?: string;
  until?: string;
}

/** `since` and `until` (checked for their form by timeRangeQuery: epoch milliseconds or an RFC 3339
 * date-time) as epoch milliseconds. A date the form allows but the calendar does not (February 30)
 * and a range that ends before it starts are refused, with the pointer of the parameter at fault. */
export function timeRange(query: TimeRangeQuery): { since?: number; until?: number } {
  const at = (name: 'since' | 'until'): number | undefined => {
    const text = query[name];
    if (text === undefined || text === '') return undefined;
    if (/^\d+$/.test(text)) return Number(text);
    const millis = Date.parse(text);
    // Date.parse rolls February 30 over to March 2: the day must come back as written.
    if (Number.isNaN(millis) || !sameDay(text, millis)) {
      throw invalidRequest(`${name} is not a date-time that exists: "${text}"`, [{ pointer: `/query/${name}`, message: 'is not a date-time that exists' }]);
    }
    return millis;
  };
  const since = at('since');
  const until = at('until');
  if (since !== undefined && until !== undefined && since > until) {
    throw invalidRequest(`since (${query.since}) is after until (${query.until})`, [{ pointer: '/query/since', message: 'is after until' }]);
  }
  return { since, until };
}

/** The calendar day written in an RFC 3339 text is the day of the instant it names, at its offset. */
function sameDay(text: string, millis: number): boolean {
  const offset = /([+-])(\d\d):(\d\d)$/.exec(text);
  const shift = offset === null ? 0 : (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000;
  return new Date(millis + shift).toISOString().slice(0, 10) === text.slice(0, 10);
}
