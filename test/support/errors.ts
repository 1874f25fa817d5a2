/**
 * The hub's error format checked whole: status, type, the reason phrase as `name`, a sentence in
 * `error`, and the `requestId` equal to the `x-request-id` header.
 */
import { STATUS_CODES } from 'node:http';
import { expect } from 'vitest';

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Asserts `answer` is the hub's error `type` with `status`; `extra` fields (details, provider…) must match too. */
export function expectError(answer: ErrorAnswer, status: number, type: string, extra: Record<string, unknown> = {}): void {
  expect({ status: answer.status, body: answer.body }).toMatchObject({
    status,
    body: { status, type, name: STATUS_CODES[status], error: expect.stringMatching(/\S/), requestId: expect.stringMatching(/\S/), ...extra },
  });
  expect(answer.body.requestId).toBe(answer.headers['x-request-id']);
}

/** Asserts the whole answer: exactly the body `{ status, type, name, error, requestId, ...extra }`,
 * as JSON, with `x-content-type-options: nosniff`. */
export function expectExactError(answer: ErrorAnswer, status: number, type: string, error: string | RegExp, extra: Record<string, unknown> = {}): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: {
      status,
      type,
      name: STATUS_CODES[status],
      error: typeof error === 'string' ? error : expect.stringMatching(error),
      requestId: answer.headers['x-request-id'],
      ...extra,
    },
  });
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
}

/** Asserts the 409 of a publish whose Idempotency-Key `key` was used by `app` in `community` for
 * another request, answered by event `eventId`. */
export function expectIdempotencyConflict(answer: ErrorAnswer, key: string, eventId: string, app = 'gate', community = 'school-a'): void {
  expectExactError(
    answer,
    409,
    'Conflict',
    `the Idempotency-Key "${key}" was already used by app "${app}" in community "${community}" for another request (event ${eventId}); send new data with a new key`,
    { details: [{ pointer: '/headers/idempotency-key', message: 'was used with another action, version or body' }] },
  );
}
