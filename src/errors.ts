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

/** Every error type, e.g. for documents describing the error format. */
export const ERROR_TYPES = Object.keys(STATUS) as ErrorType[];

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

/** At most this many details in an error answer: a large document can have a problem per value. */
export const MAX_ERROR_DETAILS = 20;
/** Longest pointer and message of a detail, in bytes of their JSON text: a pointer holds keys of
 * the checked document, a message values of the schema. With MAX_ERROR_DETAILS, an answer stays
 * under about 8 KB (a few hundred bytes, usually). */
const MAX_POINTER_BYTES = 120;
const MAX_MESSAGE_BYTES = 200;

/** Problems found in a document; when there were more than were kept, `unlisted` says how many
 * more, or 'uncounted' when the document was too large to look for all of them. */
export type ErrorDetails = ErrorDetail[] & { unlisted?: number | 'uncounted' };

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
    if (this.details !== undefined && this.details.length > 0) {
      const listed = this.details.slice(0, MAX_ERROR_DETAILS).map(clipDetail);
      body.details = listed;
      const unlisted = (this.details as ErrorDetails).unlisted;
      const more = (typeof unlisted === 'number' ? unlisted : 0) + this.details.length - listed.length;
      if (unlisted === 'uncounted')
        body.error += ` (only the first ${listed.length === 1 ? 'problem is' : `${listed.length} problems are`} listed: the document is too large to look for all of them)`;
      else if (more > 0) body.error += ` (${listed.length} problems listed, ${more} more not listed)`;
    }
    if (this.provider !== undefined) body.provider = this.provider;
    if (requestId !== undefined) body.requestId = requestId;
    return body;
  }
}

/** A detail with its pointer and message cut to their limits; other details as they are. */
function clipDetail(detail: unknown): unknown {
  if (typeof detail !== 'object' || detail === null) return detail;
  const { pointer, message } = detail as Partial<ErrorDetail>;
  return {
    ...detail,
    ...(typeof pointer === 'string' && { pointer: clip(pointer, MAX_POINTER_BYTES) }),
    ...(typeof message === 'string' && { message: clip(message, MAX_MESSAGE_BYTES) }),
  };
}

/** `text`, or its longest start whose JSON text fits in `maxBytes`, followed by '…'. */
function clip(text: string, maxBytes: number): string {
  const fits = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2 <= maxBytes;
  if (fits(text)) return text;
  // Each character takes 1 to 6 bytes once escaped: search the cut between those bounds.
  let low = Math.floor((maxBytes - 3) / 6);
  let high = Math.min(text.length, maxBytes);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(`${text.slice(0, middle)}…`)) low = middle;
    else high = middle - 1;
  }
  return `${text.slice(0, low)}…`;
}

export const invalidRequest = (message: string, details?: ErrorDetail[]) => new HubError('InvalidRequest', message, details ? { details } : {});
/** A body that does not match `schema` (e.g. `the request schema of "…" version 1`); an empty
 * body is read as null, which few schemas take, so the message says it was empty. */
export const invalidBody = (body: unknown, schema: string, details: ErrorDetail[]) =>
  invalidRequest(`${body === undefined ? 'the body is empty (read as null) and' : 'the body'} does not match ${schema}`, details);
export const notFound = (message: string) => new HubError('NotFound', message);
export const forbidden = (message: string) => new HubError('Forbidden', message);
export const unauthorized = (message: string) => new HubError('Unauthorized', message);
export const conflict = (message: string, details?: unknown[]) => new HubError('Conflict', message, details ? { details } : {});
