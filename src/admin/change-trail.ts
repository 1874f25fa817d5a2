/**
 * The change trail of the admin API: one record per admin write an admin key made or tried
 * (refusals by scope included; requests without a valid key are not writes of anyone). A handler
 * notes what it changed (`noteChange`: ids it created, before and after); `changeRecord` builds the
 * record from the request and that note, without I/O; `ChangeTrail` stores it before the answer
 * leaves, and prunes old records. A write that failed is recorded with its error as outcome and
 * without before or after: it is never shown as made. Secrets never enter it: keys' are never
 * noted, and the apps' secrets and the bootstrap token are redacted from whatever is.
 */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { redactValue } from '../relay/redaction.js';
import type { AdminStore } from '../store/store.js';
import type { AdminPrincipal } from './admin-keys.js';
import type { ChangeRecord } from './change-types.js';

/** What a handler says about the write it made. */
export interface ChangeNote {
  /** The main thing changed, when the path does not name it (an id the write created). */
  target?: string;
  /** Ids beyond the path parameters (an issued token's id). */
  targets?: Record<string, string>;
  before?: unknown;
  after?: unknown;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The kind of change an admin write route makes, e.g. `app.put`. */
    changeKind?: string;
  }
  interface FastifyRequest {
    change?: ChangeNote;
  }
}

export function noteChange(request: FastifyRequest, note: ChangeNote): void {
  request.change = { ...request.change, ...note };
}

/** Path parameters as target names. */
const TARGET_NAMES: Record<string, string> = {
  appId: 'app',
  community: 'community',
  action: 'action',
  version: 'version',
  tokenId: 'token',
  deliveryId: 'delivery',
  keyId: 'key',
};
/** The main target: the most specific id the path names. */
const MAIN_TARGET = ['delivery', 'key', 'token', 'action', 'app', 'community'];

export interface ChangeInput {
  at: number;
  key: AdminPrincipal;
  method: string;
  /** The route as registered (with or without the /v1 prefix). */
  route: string;
  kind: string | undefined;
  params: Record<string, string>;
  status: number;
  /** `ok` or the error type answered. */
  outcome: string;
  requestId: string;
  note: ChangeNote | undefined;
  /** Values to redact from before and after. */
  secrets: readonly string[];
}

/** A value with the secrets redacted; one too deep to walk is not kept. */
function redacted(value: unknown, secrets: readonly string[]): unknown {
  if (value === undefined || value === null) return null;
  const result = redactValue(value, secrets);
  return result === undefined ? '[too deep to record]' : result;
}

export function changeRecord(input: ChangeInput): ChangeRecord {
  const route = input.route.startsWith('/v1/') ? input.route : `/v1${input.route}`;
  const targets: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.params)) targets[TARGET_NAMES[name] ?? name] = value;
  Object.assign(targets, input.note?.targets);
  const made = input.outcome === 'ok';
  return {
    at: input.at,
    keyId: input.key.id,
    keyName: input.key.name,
    method: input.method,
    route,
    kind: input.kind ?? `${input.method.toLowerCase()} ${route}`,
    target: input.note?.target ?? MAIN_TARGET.map((name) => targets[name]).find((id) => id !== undefined) ?? null,
    appId: targets.app ?? null,
    communityId: targets.community ?? null,
    targets,
    before: made ? redacted(input.note?.before, input.secrets) : null,
    after: made ? redacted(input.note?.after, input.secrets) : null,
    status: input.status,
    outcome: input.outcome,
    requestId: input.requestId,
  };
}

export interface ChangeTrailOptions {
  retentionMs: number;
  /** The clock pruning reads; tests pass a fake one. */
  now?: () => number;
}

/** Stores change records and prunes those older than the retention, hourly. */
export class ChangeTrail {
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(
    private readonly store: Pick<AdminStore, 'insertChange' | 'pruneChanges'>,
    private readonly log: Pick<Logger, 'error'>,
    private readonly options: ChangeTrailOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.pruneTimer = setInterval(() => void this.prune(), 3_600_000).unref();
  }

  /** Stores the record; a failure is logged, not answered: the write itself was made (or not). */
  async record(change: ChangeRecord): Promise<void> {
    try {
      await this.store.insertChange(change);
    } catch (err) {
      this.log.error({ err, change: { kind: change.kind, requestId: change.requestId } }, 'recording an admin change failed');
    }
  }

  async prune(): Promise<number> {
    try {
      return await this.store.pruneChanges(this.now() - this.options.retentionMs);
    } catch (err) {
      this.log.error({ err }, 'change trail pruning failed');
      return 0;
    }
  }

  close(): void {
    clearInterval(this.pruneTimer);
  }
}
