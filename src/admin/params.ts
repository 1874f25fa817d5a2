/** Query parameters of the admin lists, once their route schemas (src/http/route-schemas.ts) have
 * checked them: the page asked for, and the filters. */
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
