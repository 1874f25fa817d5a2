/**
 * The hub's error model. Every error from every route is rendered as
 * `{ status, type, name, error, details?, requestId }`; the first four fields are Layers' format.
 */

export type ErrorType =
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
  | 'HeadersTooLarge';

const STATUS: Record<ErrorType, number> = {
  InvalidRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  ProviderError: 502,
  InvalidProviderResponse: 502,
  ProviderUnavailable: 502,
  ProviderTimeout: 504,
  RequestTimeout: 408,
  UriTooLong: 414,
  HeadersTooLarge: 431,
};

/** HTTP reason phrases, used as the `name` field like Layers does. */
const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

/** One problem in a payload, located by a JSON pointer (RFC 6901) into the checked document. */
export interface ErrorDetail {
  /** JSON pointer into the checked document; '' is the document itself. */
  pointer: string;
  message: string;
  /** The JSON Schema keyword that failed, when the problem comes from a schema. */
  keyword?: string;
}

export interface HubErrorBody {
  status: number;
  type: ErrorType;
  name: string;
  error: string;
  details?: unknown[];
  provider?: { status: number; body?: unknown };
  requestId?: string;
}

export class HubError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly details: unknown[] | undefined;
  /** Extra headers for the answer, e.g. Retry-After. */
  readonly headers: Record<string, string> | undefined;
  /** For ProviderError: what the provider answered. */
  readonly provider: { status: number; body?: unknown } | undefined;

  constructor(
    type: ErrorType,
    message: string,
    opts: {
      details?: unknown[];
      headers?: Record<string, string>;
      provider?: { status: number; body?: unknown };
      cause?: unknown;
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HubError';
    this.type = type;
    this.status = STATUS[type];
    this.details = opts.details;
    this.headers = opts.headers;
    this.provider = opts.provider;
  }

  toBody(requestId?: string): HubErrorBody {
    const body: HubErrorBody = {
      status: this.status,
      type: this.type,
      name: REASON[this.status] ?? 'Error',
      error: this.message,
    };
    if (this.details !== undefined && this.details.length > 0) body.details = this.details;
    if (this.provider !== undefined) body.provider = this.provider;
    if (requestId !== undefined) body.requestId = requestId;
    return body;
  }
}

export const invalidRequest = (message: string, details?: ErrorDetail[]) =>
  new HubError('InvalidRequest', message, details ? { details } : {});
export const notFound = (message: string) => new HubError('NotFound', message);
export const forbidden = (message: string) => new HubError('Forbidden', message);
export const unauthorized = (message: string) => new HubError('Unauthorized', message);
export const conflict = (message: string, details?: unknown[]) =>
  new HubError('Conflict', message, details ? { details } : {});
