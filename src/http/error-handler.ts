/**
 * One error format for every answer: HubErrors render themselves; errors Fastify raises before a
 * handler runs (body too large, media type, malformed JSON), those its router answers itself (bad
 * percent-encoding, over-long path parameter), the HTTP parser's (malformed request, request line
 * and headers too large, headers too slow), unknown routes (404) and known routes with another
 * method (405 with `Allow`) are translated; anything else is a 500 whose cause is logged but never
 * shown.
 */
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { escapePointer } from '../catalog/json-pointer.js';
import { HubError, type ErrorDetail, type ErrorType } from '../errors.js';
import { NOT_JSON } from './json-body.js';
import { newRequestId } from './request-id.js';
import { HUB_ERROR_KEYWORD, type HubErrorText } from './route-schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** `ok` or the error type answered; read by the audit log and metrics. */
    outcome?: string;
  }
  interface FastifyContextConfig {
    /** The setting a route's own `bodyLimit` comes from, named when a body is over it. */
    bodyLimitSetting?: string;
  }
}

const BY_STATUS: Record<number, ErrorType> = {
  400: 'InvalidRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
};

/** Where each part of a request is in a pointer: the body's pointers are into the body itself, as
 * the hub's own checks of bodies always said. */
const POINTER_PREFIX: Record<string, string> = { params: '/path', querystring: '/query', headers: '/headers', body: '' };
const PART_NAME: Record<string, string> = { params: 'path', querystring: 'query', headers: 'headers', body: 'body' };

/**
 * A route schema's failure (FST_ERR_VALIDATION) in the hub's format: the first problem, located by
 * a pointer, in the words of the schema's `x-hub-error` when it has one (Ajv runs with `verbose`,
 * so the failing schema is at hand), in Ajv's otherwise.
 */
function fromValidation(errors: NonNullable<FastifyError['validation']>, context: string): HubError {
  const first = errors[0]!;
  const params = first.params;
  let pointer = `${POINTER_PREFIX[context] ?? `/${context}`}${first.instancePath}`;
  let message = first.message ?? 'is not valid';
  if (first.keyword === 'required') {
    pointer = `${pointer}/${escapePointer(String(params.missingProperty))}`;
    message = 'is required';
  } else if (first.keyword === 'additionalProperties') {
    pointer = `${pointer}/${escapePointer(String(params.additionalProperty))}`;
    message = 'is not allowed here';
  } else if (first.keyword === 'enum') {
    message = `must be one of ${JSON.stringify(params.allowedValues)}`;
  }
  const verbose = first as { parentSchema?: Record<string, unknown>; data?: unknown };
  const text = verbose.parentSchema?.[HUB_ERROR_KEYWORD] as HubErrorText | undefined;
  const detail: ErrorDetail = { pointer, message: text?.message ?? message };
  if (text !== undefined) {
    const maxLength = typeof verbose.parentSchema?.maxLength === 'number' ? verbose.parentSchema.maxLength : 200;
    const value = typeof verbose.data === 'string' ? verbose.data.slice(0, maxLength) : JSON.stringify(verbose.data ?? null).slice(0, maxLength);
    return new HubError('InvalidRequest', text.error.replace('{value}', value), { details: [detail] });
  }
  return new HubError('InvalidRequest', `the ${PART_NAME[context] ?? context} is not valid: ${pointer || '/'} ${message}`, { details: [detail] });
}

function fromFastify(error: FastifyError, request: FastifyRequest, bodyLimit: number): HubError | undefined {
  if (error.validation !== undefined) return fromValidation(error.validation, error.validationContext ?? 'body');
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request.routeOptions.bodyLimit ?? bodyLimit;
      const setting = request.routeOptions.config?.bodyLimitSetting ?? 'HUB_BODY_LIMIT';
      return new HubError('PayloadTooLarge', `the body is larger than the limit of ${limit} bytes (${setting})`);
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HubError('UnsupportedMediaType', NOT_JSON);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HubError('InvalidRequest', 'the content-length header does not match the body');
  }
  const type = error.statusCode === undefined ? undefined : BY_STATUS[error.statusCode];
  return type === undefined ? undefined : new HubError(type, error.message);
}

/** Sent with every answer: browsers must not guess a type the hub did not say. */
export const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff' } as const;

export function sendError(request: FastifyRequest, reply: FastifyReply, error: HubError): FastifyReply {
  request.outcome = error.type;
  if (error.headers) void reply.headers(error.headers);
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toBody(request.id));
}

/** `notFoundNote`: said after every 404 of an unknown route (a deliver process serves few). */
export function registerErrorHandling(app: FastifyInstance, bodyLimit: number, notFoundNote?: string): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const hubError = error instanceof HubError ? error : fromFastify(error, request, bodyLimit);
    if (hubError !== undefined) return sendError(request, reply, hubError);
    request.log.error({ err: error }, 'unexpected error');
    return sendError(
      request,
      reply,
      new HubError('InternalError', 'the hub failed to handle this request; the operator can find it in the logs by its requestId'),
    );
  });
  const note = notFoundNote === undefined ? '' : ` (${notFoundNote})`;
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new HubError('NotFound', `no route ${request.method} ${request.url.split('?')[0]}${note}`)),
  );
}

/** Fastify's `frameworkErrors`: errors its router answers before any hook runs. */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.headers(SECURITY_HEADERS).header('x-request-id', request.id);
  const hubError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new HubError('UriTooLong', 'a path segment of the URL is longer than any id the hub knows')
      : error.code === 'FST_ERR_BAD_URL'
        ? new HubError('InvalidRequest', 'the URL path is not valid: a percent-encoded sequence is malformed')
        : new HubError('InternalError', 'the hub failed to route this request');
  sendError(request, reply, hubError);
}

/** Node's limit on the request line and headers together (16 KiB unless `--max-http-header-size`). */
const HEADER_LIMIT = maxHeaderSize % 1024 === 0 ? `${maxHeaderSize / 1024} KiB` : `${maxHeaderSize} bytes`;

/** Node's parser counts the request line with the headers and reports both as HPE_HEADER_OVERFLOW,
 * so the message names both: a long URL gets it too. */
export const HEADERS_TOO_LARGE = `the request line and headers are larger than the hub accepts (${HEADER_LIMIT}): a URL or a header is too long`;

const CLIENT_ERRORS: Record<string, HubError> = {
  ERR_HTTP_REQUEST_TIMEOUT: new HubError('RequestTimeout', 'the request was not received in time'),
  HPE_HEADER_OVERFLOW: new HubError('HeadersTooLarge', HEADERS_TOO_LARGE),
};

/**
 * Fastify's `clientErrorHandler`: the HTTP parser failed (malformed request, request line and
 * headers too large, headers or body too slow). No request exists yet, so the answer is written on
 * the socket, which is then closed.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const hubError = CLIENT_ERRORS[err.code ?? ''] ?? new HubError('InvalidRequest', 'the request is not valid HTTP');
    const body = JSON.stringify(hubError.toBody(newRequestId()));
    socket.write(
      `HTTP/1.1 ${hubError.status} ${STATUS_CODES[hubError.status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `x-content-type-options: nosniff\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Answers 405 with `Allow` on a known route asked with another method. Call before the routes are
 * registered; call the function it returns once they all are: it adds, for each path, a route for
 * every other method, which fails in onRequest (before any body is read).
 */
export function methodNotAllowed(app: FastifyInstance): () => void {
  const methodsByUrl = new Map<string, Set<string>>();
  let sealed = false;
  app.addHook('onRoute', (route) => {
    if (sealed) return;
    const methods = methodsByUrl.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByUrl.set(route.url, methods);
  });
  return () => {
    sealed = true;
    for (const [url, methods] of methodsByUrl) {
      const allow = METHODS.filter((m) => methods.has(m)).join(', ');
      const missing = METHODS.filter((m) => !methods.has(m));
      if (missing.length === 0) continue;
      const refusal = new HubError('MethodNotAllowed', `this route answers ${allow} only`, { headers: { allow } });
      app.route({
        method: missing,
        url,
        config: { openapi: false },
        onRequest: (_request, _reply, done) => done(refusal),
        handler: () => undefined,
      });
    }
  };
}
