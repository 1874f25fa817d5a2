/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` the hub sends on.
 * `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, lower-case hex, ids not all zero.
 */
import { randomNonZeroHex } from './random.js';

const TRACEPARENT_LENGTH = 55;

/** True for lower-case hex digits (0-9, a-f). */
function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

/** True when `s[from, to)` is lower-case hex and, if `nonZero`, not all '0'. */
function hexRun(s: string, from: number, to: number, nonZero: boolean): boolean {
  let zero = true;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isHex(c)) return false;
    if (c !== 48) zero = false;
  }
  return !(nonZero && zero);
}

/** Whether `value` is a valid version-00 `traceparent`. */
export function isValidTraceparent(value: string | undefined): value is string {
  return (
    value !== undefined &&
    value.length === TRACEPARENT_LENGTH &&
    value.charCodeAt(0) === 48 && // '0'
    value.charCodeAt(1) === 48 && // '0'
    value.charCodeAt(2) === 45 && // '-'
    value.charCodeAt(35) === 45 &&
    value.charCodeAt(52) === 45 &&
    hexRun(value, 3, 35, true) &&
    hexRun(value, 36, 52, true) &&
    hexRun(value, 53, 55, false)
  );
}

/** A fresh `traceparent`: new trace id, new span id, sampled. */
export function newTraceparent(): string {
  return '00-' + randomNonZeroHex(16) + '-' + randomNonZeroHex(8) + '-01';
}

/**
 * The `traceparent` to send on: the incoming trace id and flags with a new span id when `incoming`
 * is a valid version-00 traceparent, otherwise a fresh one.
 */
export function nextTraceparent(incoming: string | undefined): string {
  if (!isValidTraceparent(incoming)) return newTraceparent();
  // '00-<trace id>-' is the first 36 characters, '-<flags>' the last 3.
  return incoming.slice(0, 36) + randomNonZeroHex(8) + incoming.slice(52);
}

/** The trace id of a valid traceparent, or undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return isValidTraceparent(traceparent) ? traceparent.slice(3, 35) : undefined;
}
