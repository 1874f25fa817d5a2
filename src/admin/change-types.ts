/** The change trail's records: one per admin write (made or refused), and how they are queried. */

/** One admin write. Secrets never appear: not the key's, not the apps' (redacted). */
export interface ChangeRecord {
  /** Order of insertion, assigned by the store; the pagination cursor. */
  seq?: number;
  at: number;
  /** The key that made it (`bootstrap` for HUB_ADMIN_TOKEN), by id and by name. */
  keyId: string;
  keyName: string;
  method: string;
  /** The route as registered, e.g. `/v1/admin/apps/:appId`. */
  route: string;
  /** What kind of change, e.g. `app.put`, `installation.approve`. */
  kind: string;
  /** The main thing changed (an app, action, community, delivery or key id), for filtering. */
  target: string | null;
  appId: string | null;
  communityId: string | null;
  /** Every id the request named (the path parameters, and ids it created). */
  targets: Record<string, string>;
  /** What the thing was before and after, for manifests, action definitions and installations;
   * null when it did not exist, or for other kinds, or when the write failed. */
  before: unknown;
  after: unknown;
  /** HTTP status answered. */
  status: number;
  /** `ok`, or the error type answered: a write that failed is recorded as not made. */
  outcome: string;
  requestId: string;
}

export interface ChangeQuery {
  keyId?: string;
  appId?: string;
  communityId?: string;
  target?: string;
  kind?: string;
  route?: string;
  /** At or after this time. */
  since?: number;
  /** At or before this time. */
  until?: number;
  /** Cursor: only rows with a smaller seq (rows come newest first). */
  beforeSeq?: number;
  limit: number;
}
