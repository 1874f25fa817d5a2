/**
 * Token buckets per (app, community): `rate` calls per second with bursts up to twice that. Kept
 * in this process's memory: with `shares` hub processes behind one port (HUB_WORKERS), each
 * enforces 1/shares of the rate and burst, so together they never allow more than the limit
 * (docs/scaling.md says what that costs a caller whose calls all reach one process).
 */
import { HubError } from '../errors.js';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  /** This process's share of the rate, in calls per second. */
  private readonly refill: number;

  /** `rate` 0 disables the limit. */
  constructor(
    private readonly rate: number,
    private readonly now: () => number = Date.now,
    shares = 1,
  ) {
    this.refill = rate / shares;
    this.capacity = this.refill * 2;
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
      bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) * this.refill) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens < 1) {
      const waitSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.refill));
      throw new HubError('TooManyRequests', `app "${appId}" exceeded ${this.rate} calls per second in community "${communityId}"`, {
        headers: { 'retry-after': String(waitSeconds) },
      });
    }
    bucket.tokens -= 1;
  }

  /** Drops buckets that have refilled: they hold no information. */
  private evictFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.refill) / 1000 >= this.capacity) this.buckets.delete(key);
    }
  }
}
