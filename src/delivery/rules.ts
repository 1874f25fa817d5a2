/**
 * The delivery rules, free of I/O: what an answer from a subscriber means, when to try again, and
 * what of its answer an attempt keeps.
 */
import type { AttemptOutcome } from './types.js';

/** Longest wait a Retry-After header may impose. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;
/** Shortest wait a Retry-After header may ask for: `Retry-After: 0` (or a date in the past) would
 * otherwise spend the whole schedule in milliseconds, against a subscriber that is failing. */
export const MIN_RETRY_AFTER_MS = 1000;

/** Seconds (`120`) or an HTTP date, as a wait of 1 s to 24 h; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, MIN_RETRY_AFTER_MS), MAX_RETRY_AFTER_MS) : undefined;
}

/** A delay spread by ±`spread` (0.2 = ±20 %) so that retries of many deliveries do not align. */
export function withJitter(delayMs: number, spread: number, random: () => number = Math.random): number {
  return Math.round(delayMs * (1 - spread + 2 * spread * random()));
}

export interface AttemptResult {
  /** HTTP status of the answer, or undefined when none came (timeout, connection error). */
  status: number | undefined;
  retryAfter: string | string[] | undefined;
}

/**
 * What happens after an attempt. `attemptsBefore` is how many attempts the delivery had before
 * this one: the first attempt is immediate and `schedule[n]` is the wait after the (n+1)-th failure.
 */
export function decide(
  result: AttemptResult,
  attemptsBefore: number,
  schedule: readonly number[],
  now: number,
  random: () => number = Math.random,
): AttemptOutcome | { status: 'unsubscribe' } {
  if (result.status !== undefined && result.status >= 200 && result.status <= 299) return { status: 'delivered' };
  if (result.status === 410) return { status: 'unsubscribe' };
  const delay = schedule[attemptsBefore];
  if (delay === undefined) return { status: 'dead' };
  const retryAfter = parseRetryAfter(result.retryAfter, now);
  return { status: 'pending', nextAttemptAt: now + (retryAfter ?? withJitter(delay, 0.2, random)) };
}

/** How much of the answer an attempt keeps: enough for an error message, bounded per row. */
const KEPT_ANSWER_CHARS = 500;

/** The start of an answer body as text, or null when it was empty. */
export function answerExcerpt(body: Buffer): string | null {
  if (body.length === 0) return null;
  const text = body.subarray(0, KEPT_ANSWER_CHARS * 4).toString('utf8');
  return text.length > KEPT_ANSWER_CHARS ? `${text.slice(0, KEPT_ANSWER_CHARS)}…` : text;
}
