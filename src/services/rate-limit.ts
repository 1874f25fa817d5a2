/**
 * Token buckets per (app, community): `rate` calls per second with bursts up to twice that. Kept
 * in this process's memory, so with several hub processes each enforces the limit on its share.
 */
import { HubError } from '../errors.js';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;

  /** `rate` 0 disables the limit. */
  constructor(
    private readonly rate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = rate * 2;
  }

  /** Takes one token or throws 429 with the seconds to wait in Retry-After. */
  take(appId: string, communityId: string): void {
    if (this.rate === 0) return;
    const key = `${appId}\u0000${communityId}`;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size > 100_000) this.evictFull(now);
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) * this.rate) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens < 1) {
      const waitSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate));
      throw new HubError('TooManyRequests', `app "${appId}" exceeded ${this.rate} calls per second in community "${communityId}"`, {
        headers: { 'retry-after': String(waitSeconds) },
      });
    }
    bucket.tokens -= 1;
  }

  /** Drops buckets that have refilled: they hold no information. */
  private evictFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.rate) / 1000 >= this.capacity) this.buckets.delete(key);
    }
  }
}
