/**
 * A small pool of random bytes for ids on the hot path (message ids, trace and span ids).
 * One `randomFillSync` per 4 KiB instead of one `randomBytes` call (and Buffer) per id.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** Reserves `n` (≤ 4096) fresh random bytes in the pool and returns where they start. */
function take(n: number): number {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

/** `n` random bytes as lower-case hex (2n characters). */
export function randomHex(n: number): string {
  const at = take(n);
  return pool.toString('hex', at, at + n);
}

/** `n` random bytes as base64url, without padding. */
export function randomBase64url(n: number): string {
  const at = take(n);
  return pool.toString('base64url', at, at + n);
}

/** `n` random bytes as lower-case hex that are not all zero (W3C trace context forbids zero ids). */
export function randomNonZeroHex(n: number): string {
  for (;;) {
    const at = take(n);
    for (let i = at; i < at + n; i++) {
      if (pool[i] !== 0) return pool.toString('hex', at, at + n);
    }
  }
}
