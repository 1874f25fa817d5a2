/**
 * What the SDK throws. `HubApiError` is an error answer of the hub, carrying its `type`,
 * `details` and `requestId` as the hub sent them; `HubConnectionError` is a request that got no
 * answer (refused, reset, timed out on the client's side), with the request id the client sent.
 */

/** The error types of the hub (its `type` field); another string if a newer hub adds one. */
export type HubErrorType =
  | 'InvalidRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'ProviderError'
  | 'InvalidProviderResponse'
  | 'ProviderUnavailable'
  | 'ProviderTimeout'
  | 'RequestTimeout'
  | 'UriTooLong'
  | 'HeadersTooLarge'
  | (string & {});

/** One problem of a payload, located by a JSON pointer into it. */
export interface HubErrorDetail {
  pointer: string;
  message: string;
  keyword?: string;
}

/** The hub's error body: `{ status, type, name, error, details?, provider?, requestId }`. */
export interface HubErrorBody {
  status: number;
  type: HubErrorType;
  name: string;
  error: string;
  details?: HubErrorDetail[];
  provider?: { status: number; body?: unknown };
  requestId?: string;
}

export class HubApiError extends Error {
  override readonly name = 'HubApiError';
  readonly status: number;
  readonly type: HubErrorType;
  readonly details: HubErrorDetail[];
  /** For a ProviderError: the provider's status and small JSON body. */
  readonly provider: { status: number; body?: unknown } | undefined;
  readonly requestId: string | undefined;
  /** Seconds the hub asked to wait (`Retry-After`), when it did. */
  readonly retryAfterSeconds: number | undefined;
  /** The body as the hub sent it. */
  readonly body: HubErrorBody;

  constructor(body: HubErrorBody, retryAfterSeconds?: number) {
    super(`${body.type}: ${body.error}`);
    this.status = body.status;
    this.type = body.type;
    this.details = body.details ?? [];
    this.provider = body.provider;
    this.requestId = body.requestId;
    this.retryAfterSeconds = retryAfterSeconds;
    this.body = body;
  }
}

export class HubConnectionError extends Error {
  override readonly name = 'HubConnectionError';
  /** The `x-request-id` the client sent, to find the request in the hub's logs if it got there. */
  readonly requestId: string;
  /** Whether the client gave up waiting (its own timeout) rather than the connection failing. */
  readonly timedOut: boolean;

  constructor(message: string, requestId: string, timedOut: boolean, cause: unknown) {
    super(message, { cause });
    this.requestId = requestId;
    this.timedOut = timedOut;
  }
}

/** A request to an app that failed verification (401) or carried a bad envelope (400). */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  /** 401 for a signature, timestamp or secret problem; 400 for a malformed envelope. */
  readonly status: 400 | 401;

  constructor(status: 400 | 401, message: string) {
    super(message);
    this.status = status;
  }
}
