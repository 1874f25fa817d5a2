import { describe, expect, it } from 'vitest';
import { answerExcerpt, decide, parseRetryAfter, withJitter } from '../src/delivery/rules.js';

const SCHEDULE = [5_000, 300_000, 1_800_000];
const NOW = 1_700_000_000_000;
const middle = () => 0.5;

describe('delivery rules', () => {
  it('counts any 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(decide({ status, retryAfter: undefined }, 0, SCHEDULE, NOW)).toEqual({ status: 'delivered' });
  });

  it('takes 410 as the subscriber quitting', () => {
    expect(decide({ status: 410, retryAfter: undefined }, 0, SCHEDULE, NOW)).toEqual({ status: 'unsubscribe' });
  });

  it('retries other answers and failures on the schedule, then gives up', () => {
    for (const status of [undefined, 301, 400, 404, 429, 500, 503]) {
      expect(decide({ status, retryAfter: undefined }, 0, SCHEDULE, NOW, middle)).toEqual({ status: 'pending', nextAttemptAt: NOW + 5_000 });
    }
    expect(decide({ status: 500, retryAfter: undefined }, 2, SCHEDULE, NOW, middle)).toEqual({ status: 'pending', nextAttemptAt: NOW + 1_800_000 });
    expect(decide({ status: 500, retryAfter: undefined }, 3, SCHEDULE, NOW, middle)).toEqual({ status: 'dead' });
    expect(decide({ status: 500, retryAfter: undefined }, 0, [], NOW)).toEqual({ status: 'dead' });
  });

  it('spreads retries by ±20 %', () => {
    expect(withJitter(1000, 0.2, () => 0)).toBe(800);
    expect(withJitter(1000, 0.2, () => 0.999999)).toBe(1200);
    const delays = Array.from({ length: 200 }, () => withJitter(1000, 0.2));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1200);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });

  it('honours Retry-After in seconds or as an HTTP date, bounded to between a second and a day', () => {
    expect(decide({ status: 503, retryAfter: '120' }, 0, SCHEDULE, NOW)).toEqual({ status: 'pending', nextAttemptAt: NOW + 120_000 });
    expect(parseRetryAfter(new Date(NOW + 60_000).toUTCString(), NOW)).toBe(60_000);
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(1000);
    expect(parseRetryAfter('999999999', NOW)).toBe(24 * 3_600_000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    // Never sooner than a second, whatever the subscriber asks: 0 would spend the schedule at once.
    expect(parseRetryAfter('0', NOW)).toBe(1000);
    expect(parseRetryAfter(new Date(NOW).toUTCString(), NOW)).toBe(1000);
    expect(decide({ status: 503, retryAfter: '0' }, 0, SCHEDULE, NOW)).toEqual({ status: 'pending', nextAttemptAt: NOW + 1000 });
    // A Retry-After never turns the last failure into another attempt.
    expect(decide({ status: 503, retryAfter: '1' }, 3, SCHEDULE, NOW)).toEqual({ status: 'dead' });
  });
});

describe("what an attempt keeps of the subscriber's answer", () => {
  it('keeps an empty answer as null, a short one whole, a long one cut at 500 characters', () => {
    expect(answerExcerpt(Buffer.alloc(0))).toBeNull();
    expect(answerExcerpt(Buffer.from('{"error":"db down"}'))).toBe('{"error":"db down"}');
    const long = answerExcerpt(Buffer.from('é'.repeat(5000)));
    expect(long).toBe(`${'é'.repeat(500)}…`);
  });
});
