/**
 * The Fastify options of the hub's server: request ids, router limits, the framework's errors in
 * the hub's format, and the timeouts and limits that keep slow or idle clients from holding sockets.
 */
import type { Server } from 'node:http';
import { LogController, type FastifyBaseLogger, type FastifyHttpOptions } from 'fastify';
import type { Logger } from 'pino';
import { MAX_ACTION_ID_LENGTH } from '../catalog/action-id.js';
import type { HubConfig } from '../config.js';
import { clientError, frameworkError } from './error-handler.js';
import { newRequestId } from './request-id.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** Slack of the socket timeout over the longest call, for the body upload and the answer. */
const SOCKET_TIMEOUT_MARGIN_MS = 30_000;

type ServerConfig = Pick<HubConfig, 'bodyLimit' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'socketTimeoutMs' | 'maxCallTimeoutMs'>;

export function serverOptions(config: ServerConfig, log: Logger) {
  return {
    loggerInstance: log as FastifyBaseLogger,
    // One access line per request, written by the request hooks with what the route learned.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: config.bodyLimit,
    // A caller's X-Request-Id is kept when it is sane, so its logs and ours line up.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
    },
    // An action id may be percent-encoded whole: three characters for each of its own.
    routerOptions: { maxParamLength: 3 * MAX_ACTION_ID_LENGTH },
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    // Slow clients cannot hold sockets: headers, then the whole request, within these times (Node
    // checks them every `connectionsCheckingInterval`); a silent socket is closed after the
    // longest call plus a margin; idle keep-alive connections after keepAliveTimeout.
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionTimeout: config.socketTimeoutMs ?? config.maxCallTimeoutMs + SOCKET_TIMEOUT_MARGIN_MS,
    // The 503 while closing is answered by the request hooks, in the hub's format.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  } satisfies FastifyHttpOptions<Server, FastifyBaseLogger>;
}
