/** The audit log's own records: one line per call of an authenticated app, and how they are queried. */
/** One line of the call audit log. */
export interface CallRecord {
  /** Order of insertion, assigned by the store; the pagination cursor. */
  seq?: number;
  /** The requestId of the call. */
  id: string;
  at: number;
  communityId: string | null;
  consumer: string | null;
  provider: string | null;
  action: string | null;
  version: number | null;
  /** HTTP status answered to the consumer. */
  status: number;
  /** `ok`, or the error type answered. */
  outcome: string;
  latencyMs: number;
  /** Status the provider answered, when the call reached it. */
  providerStatus: number | null;
  /** Why the call failed, for the operator (may name hosts and addresses); null when it did not. */
  error: string | null;
}

export interface CallQuery {
  communityId?: string;
  action?: string;
  provider?: string;
  consumer?: string;
  /** Only calls that ended so (`ok`, `Timeout`, `ProviderError`, …). */
  outcome?: string;
  /** The call of this requestId. */
  id?: string;
  /** Only calls at or after this time. */
  since?: number;
  /** Only calls at or before this time. */
  until?: number;
  /** Cursor: only rows with a smaller seq (rows come newest first). */
  beforeSeq?: number;
  limit: number;
}
