/**
 * One error format for every route: HubErrors render themselves; errors Fastify raises before a
 * handler runs (body too large, media type, malformed JSON) are translated; anything else is a 500
 * whose cause is logged but never shown.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError, type ErrorType } from '../errors.js';

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

function fromFastify(error: FastifyError, request: FastifyRequest, bodyLimit: number): HubError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request.routeOptions.bodyLimit ?? bodyLimit;
      const setting = request.routeOptions.config?.bodyLimitSetting ?? 'HUB_BODY_LIMIT';
      return new HubError('PayloadTooLarge', `the body is larger than the limit of ${limit} bytes (${setting})`);
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HubError('UnsupportedMediaType', 'the body must be JSON, sent with content-type: application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HubError('InvalidRequest', 'the content-length header does not match the body');
  }
  const type = error.statusCode === undefined ? undefined : BY_STATUS[error.statusCode];
  return type === undefined ? undefined : new HubError(type, error.message);
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: HubError): FastifyReply {
  request.outcome = error.type;
  if (error.headers) void reply.headers(error.headers);
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toBody(request.id));
}

export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const hubError = error instanceof HubError ? error : fromFastify(error, request, bodyLimit);
    if (hubError !== undefined) return sendError(request, reply, hubError);
    request.log.error({ err: error }, 'unexpected error');
    return sendError(request, reply, new HubError('InternalError', 'the hub failed to handle this request; the operator can find it in the logs by its requestId'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new HubError('NotFound', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
