/**
 * Handlers for what the hub sends an app: calls to a provider, deliveries to a subscriber. One
 * core (`handle`: raw request in, status and body out) and adapters for `node:http`, Express and
 * Fastify. A bad signature, timestamp or secret answers 401 and a bad envelope 400, before the
 * app's function runs; a subscriber's duplicate delivery (same `webhook-id`) is acknowledged
 * without running it again. The app's errors answer 500 without their text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActionData, ActionMap, ActionResponse, EventActionId, RequestActionId, VersionOf } from './client.js';
import type { WebhookIdStore } from './dedupe.js';
import { WebhookVerificationError } from './errors.js';
import type { BuiltinActions } from './generated/builtin-actions.js';
import { checkFunction, checkNumber, checkObject, checkSecrets, checkString, fail } from './options.js';
import { verifyAndParse, type Envelope, type EventContext, type RequestContext, type VerifyOptions, type WebhookHeaders } from './webhooks.js';

/** An answer other than 200 with the returned value: `return reply(404, { error: '…' })`. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {}
}

export function reply(status: number, body?: unknown): Reply {
  return new Reply(status, body);
}

export interface HandlerOptions<Id extends string, V extends number = number> extends VerifyOptions {
  /** The action this handler serves; a request for another action answers 400. */
  action: Id;
  /** The version it serves; a request for another answers 400. Every version when not given. */
  version?: V;
  /** Largest body read, in bytes; 2 MiB when not given (the hub sends at most 1 MiB of data). */
  maxBodyBytes?: number;
  /** Told of every error of the app's function (answered 500). */
  onError?: (error: unknown) => void;
}

export interface SubscriberOptions<Id extends string, V extends number = number> extends HandlerOptions<Id, V> {
  /** Where handled `webhook-id`s are remembered; without one, duplicates are handled again. */
  dedupe?: WebhookIdStore;
}

/** An answer to the hub. */
export interface HandlerResult {
  status: number;
  body?: unknown;
}

/** Any fastify instance (typed loosely so the SDK needs no fastify types). */
export interface FastifyInstanceLike {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  removeAllContentTypeParsers(...args: any[]): unknown;
  addContentTypeParser(...args: any[]): unknown;
  post(...args: any[]): unknown;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

export interface HubRequestHandler {
  /** The core: verify, parse, run; never throws. */
  handle(request: { headers: WebhookHeaders; rawBody: string | Buffer }): Promise<HandlerResult>;
  /** A `node:http` request listener: `http.createServer(handler.node)`. */
  node(this: void, req: IncomingMessage, res: ServerResponse): void;
  /** An Express handler: `app.post('/path', handler.express)`, before any body parser (or after
   * `express.raw({ type: '*\/*' })`). */
  express(this: void, req: IncomingMessage & { body?: unknown }, res: ServerResponse): void;
  /** A Fastify plugin serving `POST path` with the raw body: `app.register(handler.fastify('/path'))`. */
  fastify(path: string): (app: FastifyInstanceLike) => Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;

/** A provider's function: the verified envelope in, the answer (or a `reply`) out. */
export type Provide<A extends ActionMap, Id extends keyof A, V> = (
  request: Envelope<RequestContext, ActionData<A, Id, V>>,
) => ActionResponse<A, Id, V> | Reply | Promise<ActionResponse<A, Id, V> | Reply>;
/** A subscriber's function: the verified envelope in; returning acknowledges. */
export type Subscribe<A extends ActionMap, Id extends keyof A, V> = (
  event: Envelope<EventContext, ActionData<A, Id, V>>,
) => void | Reply | Promise<void | Reply>;

/** The handler factories for an action map: `handlersFor<BuiltinActions & CustomActions>()`.
 * The action id is inferred from `options.action` and types the function. (An answer with enum
 * literals returned from the function needs the id as a type argument,
 * `createProviderHandler<typeof ACTION>(…)`: TypeScript widens literals it checks while still
 * inferring.) */
export function handlersFor<A extends ActionMap>() {
  return {
    /** A provider's handler of one request action: the function gets the verified envelope and
     * returns the answer (typed by the action), or a `reply(status, body)`. */
    provider<Id extends RequestActionId<A>, V extends VersionOf<A, Id> = VersionOf<A, Id>>(
      this: void,
      options: HandlerOptions<Id, V>,
      run: Provide<A, NoInfer<Id>, NoInfer<V>>,
    ): HubRequestHandler {
      checkHandlerOptions('createProviderHandler', options, run);
      return adapters(options, async (headers, rawBody) => {
        const envelope = verifyAndParse<RequestContext, ActionData<A, Id, V>>(headers, rawBody, options);
        checkTarget(envelope.context, options);
        return run(envelope);
      });
    },
    /** A subscriber's handler of one event action: the function gets the verified envelope;
     * returning acknowledges (204), throwing has the hub retry. With `dedupe`, a `webhook-id`
     * already handled is acknowledged without running the function. */
    subscriber<Id extends EventActionId<A>, V extends VersionOf<A, Id> = VersionOf<A, Id>>(
      this: void,
      options: SubscriberOptions<Id, V>,
      run: Subscribe<A, NoInfer<Id>, NoInfer<V>>,
    ): HubRequestHandler {
      checkHandlerOptions('createSubscriberHandler', options, run);
      const store: unknown = options.dedupe;
      if (store !== undefined && (typeof (store as WebhookIdStore).claim !== 'function' || typeof (store as WebhookIdStore).release !== 'function'))
        fail('createSubscriberHandler', 'dedupe', 'a store with claim() and release() (e.g. new MemoryWebhookIdStore())', store);
      return adapters(options, async (headers, rawBody) => {
        const envelope = verifyAndParse<EventContext, ActionData<A, Id, V>>(headers, rawBody, options);
        checkTarget(envelope.context, options);
        const { dedupe } = options;
        if (dedupe === undefined) return run(envelope);
        if (!(await dedupe.claim(envelope.webhookId))) return undefined;
        try {
          const result = await run(envelope);
          if (result instanceof Reply && (result.status < 200 || result.status > 299)) await dedupe.release(envelope.webhookId);
          return result;
        } catch (error) {
          await dedupe.release(envelope.webhookId);
          throw error;
        }
      });
    },
  };
}

const builtinHandlers = handlersFor<BuiltinActions>();
/** A provider's handler of a built-in request action (see `handlersFor` for a hub's own). */
export const createProviderHandler = builtinHandlers.provider;
/** A subscriber's handler of a built-in event action (see `handlersFor` for a hub's own). */
export const createSubscriberHandler = builtinHandlers.subscriber;

/** Throws a TypeError naming the first bad option. */
function checkHandlerOptions(where: string, options: unknown, run: unknown): void {
  checkObject(where, options);
  checkString(where, options, 'action', 'an action id such as "@layers:Calendar:getRelated"');
  checkNumber(where, options, 'version', 1);
  checkSecrets(where, options);
  checkNumber(where, options, 'toleranceSeconds', 1, false);
  checkNumber(where, options, 'maxBodyBytes', 1);
  checkFunction(where, options, 'onError');
  checkFunction(where, options, 'now');
  if (typeof run !== 'function') fail(where, 'the second argument', 'the function handling each request', run);
}

function checkTarget(context: { action: string; version: number }, options: HandlerOptions<string>): void {
  if (context.action !== options.action) throw new WebhookVerificationError(400, `this endpoint serves ${options.action}, not ${context.action}`);
  if (options.version !== undefined && context.version !== options.version) {
    throw new WebhookVerificationError(400, `this endpoint serves version ${options.version} of ${options.action}, not ${context.version}`);
  }
}

function adapters(options: HandlerOptions<string>, run: (headers: WebhookHeaders, rawBody: string | Buffer) => Promise<unknown>): HubRequestHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  async function handle(request: { headers: WebhookHeaders; rawBody: string | Buffer }): Promise<HandlerResult> {
    try {
      const result = await run(request.headers, request.rawBody);
      if (result instanceof Reply) return { status: result.status, body: result.body };
      return result === undefined ? { status: 204 } : { status: 200, body: result };
    } catch (error) {
      if (error instanceof WebhookVerificationError) return { status: error.status, body: { error: error.message } };
      options.onError?.(error);
      return { status: 500, body: { error: 'the app failed to handle the request' } };
    }
  }

  function send(res: ServerResponse, result: HandlerResult): void {
    if (result.body === undefined) {
      res.writeHead(result.status).end();
      return;
    }
    const text = JSON.stringify(result.body);
    res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  function readAndHandle(req: IncomingMessage, res: ServerResponse): void {
    readBody(req, maxBodyBytes).then(
      async (rawBody) =>
        send(
          res,
          rawBody === null ? { status: 413, body: { error: `the body is over ${maxBodyBytes} bytes` } } : await handle({ headers: req.headers, rawBody }),
        ),
      () => res.destroy(),
    );
  }

  return {
    handle,
    node: readAndHandle,
    express(req, res) {
      if (Buffer.isBuffer(req.body) || typeof req.body === 'string') {
        void handle({ headers: req.headers, rawBody: req.body }).then((result) => send(res, result));
      } else if (req.readableEnded) {
        // A JSON parser ran first: the exact bytes, which the signature covers, are gone.
        send(res, { status: 500, body: { error: 'the body was parsed before verification: mount the handler before express.json(), or use express.raw()' } });
      } else {
        readAndHandle(req, res);
      }
    },
    fastify(path) {
      // eslint-disable-next-line @typescript-eslint/require-await -- the public type is an async plugin
      return async (app) => {
        // In this plugin's own context only: the body stays raw bytes, as the signature covers them.
        app.removeAllContentTypeParsers();
        app.addContentTypeParser(
          '*',
          { parseAs: 'buffer', bodyLimit: maxBodyBytes },
          (_request: unknown, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body),
        );
        app.post(
          path,
          async (request: { headers: WebhookHeaders; body?: Buffer }, fastifyReply: { code(status: number): { send(body?: unknown): unknown } }) => {
            const result = await handle({ headers: request.headers, rawBody: request.body ?? Buffer.alloc(0) });
            return fastifyReply.code(result.status).send(result.body);
          },
        );
      };
    },
  };
}

/** The body's bytes, or null when over the limit. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
