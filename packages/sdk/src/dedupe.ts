/**
 * De-duplication of deliveries by `webhook-id`: the hub keeps the id across retries, so a
 * delivery handled once (acknowledged, but the acknowledgement lost) is recognised. The store is
 * pluggable (a database table in production); an in-memory one is included.
 */

export interface WebhookIdStore {
  /** Takes an id for handling: true when nobody has it, false when it was handled or is being
   * handled. */
  claim(webhookId: string): Promise<boolean>;
  /** Gives back an id whose handling failed, so the hub's retry is handled. */
  release(webhookId: string): Promise<void>;
}

export interface MemoryStoreOptions {
  /** How long an id is remembered, in ms; 3 days when not given (longer than the hub's retries). */
  ttlMs?: number;
  /** Most ids kept; the oldest are forgotten first. 100,000 when not given. */
  maxEntries?: number;
  now?: () => number;
}

/** Ids in a Map, in claiming order, each forgotten after `ttlMs` or when the map is full. For one
 * process: several instances of an app need a shared store. */
export class MemoryWebhookIdStore implements WebhookIdStore {
  private readonly expiries = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? 3 * 24 * 3600_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async for WebhookIdStore: a throw rejects
  async claim(webhookId: string): Promise<boolean> {
    const now = this.now();
    // Expired ids are at the front (insertion order, one TTL for all).
    for (const [id, expiry] of this.expiries) {
      if (expiry > now) break;
      this.expiries.delete(id);
    }
    if (this.expiries.has(webhookId)) return false;
    if (this.expiries.size >= this.maxEntries) {
      const oldest = this.expiries.keys().next();
      if (oldest.done !== true) this.expiries.delete(oldest.value);
    }
    this.expiries.set(webhookId, now + this.ttlMs);
    return true;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async for WebhookIdStore
  async release(webhookId: string): Promise<void> {
    this.expiries.delete(webhookId);
  }

  get size(): number {
    return this.expiries.size;
  }
}
