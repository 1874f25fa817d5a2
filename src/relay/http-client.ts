/**
 * The hub's outbound HTTP client: POSTs to provider and subscriber apps over one undici Agent
 * (keep-alive pools per origin). One deadline covers the whole exchange (queueing, connecting,
 * sending, headers and body); answers are size-capped while they stream; redirects are never
 * followed (undici's dispatcher does not follow them); every failure is a RelayError.
 *
 * Every connection goes through the outbound policy: IP literals are checked before connecting,
 * host names on every address they resolve to, in the lookup the socket itself uses.
 *
 * It uses undici's dispatcher handler API directly rather than `request()`: the answer body is
 * collected straight from the parser's chunks, without a stream, an AbortController or closures
 * per request.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { RelayError } from './errors.js';
import { OutboundDeniedError, OutboundPolicy, unmapIPv4, type LookupFunction } from './outbound-policy.js';
import { setBounded } from '../bounded-map.js';

export interface OutboundClientOptions {
  /** Sockets per origin (default 128). */
  connections?: number;
  /** The longest deadline any exchange is given, ms (default 60000). A connection attempt may take
   * that long, so that no exchange is cut before its own deadline, which is what bounds it. */
  maxExchangeMs?: number;
  /** Which addresses may be connected to (default: the default policy). */
  policy?: OutboundPolicy;
  /** Resolves host names before the policy checks them (default `dns.lookup`). */
  lookup?: LookupFunction;
  /** How long an idle socket is kept when the server does not say (default 4000 ms). */
  keepAliveTimeoutMs?: number;
  /** Upper bound on a server's `Keep-Alive: timeout` hint (default 60000 ms). */
  keepAliveMaxTimeoutMs?: number;
}

export interface PostOptions {
  /** Deadline for the whole exchange, from the call until the last byte of the answer. */
  timeoutMs: number;
  /** Largest answer body accepted; a larger one aborts the exchange with RelayError('too_large'). */
  maxResponseBytes: number;
  /** Aborting it (shutdown) rejects the call with `signal.reason` and drops the socket. */
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** From the call to the last byte of the answer, ms (fractional). */
  durationMs: number;
}

interface Target {
  origin: string;
  path: string;
  /** host[:port], for messages. */
  host: string;
}

const EMPTY = Buffer.alloc(0);
const TARGET_CACHE_MAX = 1024;

// Where the exchange is when it fails (for the timeout message).
const QUEUED = 0; // waiting for a socket / connecting
const SENT = 1; // on a socket, waiting for the answer's headers
const BODY = 2; // reading the answer's body
const DONE = 3; // settled

export class OutboundClient {
  private readonly agent: Agent;
  private readonly targets = new Map<string, Target>();
  readonly policy: OutboundPolicy;

  constructor(options: OutboundClientOptions = {}) {
    const policy = options.policy ?? new OutboundPolicy();
    this.policy = policy;
    const connectWithLookup = buildConnector({
      timeout: options.maxExchangeMs ?? 60_000,
      lookup: policy.lookup(options.lookup),
    });
    this.agent = new Agent({
      connections: options.connections ?? 128,
      pipelining: 1,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
      keepAliveMaxTimeout: options.keepAliveMaxTimeoutMs ?? 60_000,
      // Drop a socket this long before the server's announced keep-alive end, to avoid reusing one
      // the server is closing (a POST is never retried).
      keepAliveTimeoutThreshold: 1000,
      connect(connectOptions, callback) {
        // Node connects to an IP literal without a lookup: the policy checks it here.
        const host = connectOptions.hostname;
        if (isIP(host) !== 0 && !policy.allows(host)) {
          callback(new OutboundDeniedError(host, unmapIPv4(host)), null);
          return;
        }
        connectWithLookup(connectOptions, callback);
      },
    });
  }

  /**
   * POSTs `body` to `url`. Resolves with any HTTP answer (including 3xx, 4xx and 5xx); rejects with
   * RelayError on timeout, connection failure or an oversized answer, or with `signal.reason` when
   * `signal` aborts.
   */
  post(url: string, body: string | Buffer, headers: Record<string, string>, options: PostOptions): Promise<OutboundResponse> {
    const start = performance.now();
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let target: Target;
    try {
      target = this.target(url);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<OutboundResponse>((resolve, reject) => {
      const exchange = new Exchange(resolve, reject, target, options, start);
      try {
        this.agent.dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: 'POST',
            headers,
            body,
            // Backstops; the exchange's own deadline normally fires first.
            headersTimeout: options.timeoutMs,
            bodyTimeout: options.timeoutMs,
          },
          exchange,
        );
      } catch (err) {
        exchange.fail(exchange.classify(err));
      }
    });
  }

  /** Waits for in-flight requests, then closes every socket. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Aborts in-flight requests (they reject with RelayError('unavailable')) and closes every socket. */
  async destroy(): Promise<void> {
    await this.agent.destroy();
  }

  private target(url: string): Target {
    let target = this.targets.get(url);
    if (target === undefined) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new RelayError('unavailable', `invalid URL ${JSON.stringify(url)}`, { publicReason: 'its URL is not valid' });
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new RelayError('unavailable', `unsupported URL scheme ${parsed.protocol} in ${url}`, { publicReason: 'its URL is not valid' });
      }
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search, host: parsed.host };
      setBounded(this.targets, url, target, TARGET_CACHE_MAX);
    }
    return target;
  }
}

function onDeadline(exchange: Exchange): void {
  exchange.fail(exchange.timeoutError());
}

/** One POST in flight: undici handler, deadline and abort listener in one object. */
class Exchange implements Dispatcher.DispatchHandler {
  private phase = QUEUED;
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private headers: IncomingHttpHeaders | null = null;
  private first: Buffer | null = null;
  private rest: Buffer[] | null = null;
  private size = 0;
  private reason: unknown = undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly signal: AbortSignal | undefined;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly resolve: (response: OutboundResponse) => void,
    private readonly reject: (err: unknown) => void,
    private readonly target: Target,
    options: PostOptions,
    private readonly start: number,
  ) {
    this.maxBytes = options.maxResponseBytes;
    this.timeoutMs = options.timeoutMs;
    this.signal = options.signal;
    this.timer = setTimeout(onDeadline, options.timeoutMs, this);
    this.signal?.addEventListener('abort', this);
  }

  /** The abort listener (EventTarget calls `handleEvent` on listener objects). */
  handleEvent(): void {
    this.fail(this.signal?.reason);
  }

  timeoutError(): RelayError {
    const where = this.phase === QUEUED ? 'still waiting for a connection' : this.phase === SENT ? 'no response headers yet' : 'response body incomplete';
    return new RelayError('timeout', `no complete answer within ${this.timeoutMs} ms (${where})`);
  }

  /** Settles with an error (once) and drops the socket if the request is on one. */
  fail(err: unknown): void {
    if (this.phase === DONE) return;
    this.phase = DONE;
    this.reason = err;
    this.cleanup();
    this.first = null;
    this.rest = null;
    if (err instanceof RelayError) err.durationMs = performance.now() - this.start;
    this.reject(err);
    const controller = this.controller;
    if (controller !== null && !controller.aborted) {
      controller.abort(err instanceof Error ? err : new RelayError('unavailable', 'aborted'));
    }
  }

  private cleanup(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.phase === DONE) {
      // Timed out or aborted while waiting for a socket: never send it.
      controller.abort(this.reason instanceof Error ? this.reason : new RelayError('unavailable', 'aborted'));
      return;
    }
    this.controller = controller;
    this.phase = SENT;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (this.phase === DONE) return;
    const length = headers['content-length'];
    if (typeof length === 'string' && length.length > 0 && Number(length) > this.maxBytes) {
      this.fail(new RelayError('too_large', `answer larger than ${this.maxBytes} bytes (content-length ${length})`));
      return;
    }
    this.phase = BODY;
    this.status = statusCode;
    this.headers = headers;
    this.first = null;
    this.rest = null;
    this.size = 0;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.phase === DONE) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.fail(new RelayError('too_large', `answer larger than ${this.maxBytes} bytes`));
      return;
    }
    if (this.first === null) this.first = chunk;
    else if (this.rest === null) this.rest = [this.first, chunk];
    else this.rest.push(chunk);
  }

  onResponseEnd(): void {
    if (this.phase === DONE) return;
    this.phase = DONE;
    this.cleanup();
    const body = this.rest !== null ? Buffer.concat(this.rest, this.size) : (this.first ?? EMPTY);
    this.first = null;
    this.rest = null;
    this.resolve({
      status: this.status,
      headers: this.headers ?? {},
      body,
      durationMs: performance.now() - this.start,
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.phase === DONE) return;
    this.fail(this.classify(err));
  }

  /** Maps an undici or socket error to a RelayError (a programming error is passed through). */
  classify(err: unknown): unknown {
    if (err instanceof RelayError || !(err instanceof Error)) return err;
    const code = errorCode(err);
    const host = this.target.host;
    switch (code) {
      case 'UND_ERR_HEADERS_TIMEOUT':
      case 'UND_ERR_BODY_TIMEOUT':
      case 'UND_ERR_CONNECT_TIMEOUT':
        return this.timeoutError();
      case 'ERR_HUB_OUTBOUND_DENIED':
        return new RelayError('denied', `not connected: ${err.message}`, { cause: err });
      case 'ECONNREFUSED':
        return new RelayError('unavailable', `connection refused by ${host}`, { cause: err, publicReason: 'connection refused' });
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EAI_FAIL':
      case 'EAI_NONAME':
      case 'EAI_NODATA':
        return new RelayError('unavailable', `host name of ${host} could not be resolved (${code})`, {
          cause: err,
          publicReason: 'its host name could not be resolved',
        });
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
      case 'EHOSTDOWN':
      case 'ENETDOWN':
        return new RelayError('unavailable', `${host} is unreachable (${code})`, { cause: err, publicReason: 'its host is unreachable' });
      case 'ECONNRESET':
      case 'EPIPE':
      case 'ECONNABORTED':
      case 'UND_ERR_SOCKET':
      case 'UND_ERR_INFO':
        return new RelayError('unavailable', `connection to ${host} reset before a complete answer`, {
          cause: err,
          publicReason: 'connection reset before a complete answer',
        });
      case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
        return new RelayError('unavailable', `answer from ${host} does not match its content-length`, {
          cause: err,
          publicReason: 'the answer does not match its content-length',
        });
      case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
        return new RelayError('too_large', `answer larger than ${this.maxBytes} bytes`, { cause: err });
      case 'UND_ERR_CLOSED':
      case 'UND_ERR_DESTROYED':
        return new RelayError('unavailable', 'the outbound client is closed', { cause: err, publicReason: 'the hub is shutting down' });
      case 'UND_ERR_INVALID_ARG':
      case 'UND_ERR_NOT_SUPPORTED':
        return err;
      default:
        if (code !== undefined && code.startsWith('HPE_')) {
          return new RelayError('unavailable', `invalid HTTP answer from ${host} (${code})`, { cause: err, publicReason: 'the answer is not valid HTTP' });
        }
        return new RelayError('unavailable', `exchange with ${host} failed: ${err.message}`, { cause: err });
    }
  }
}

/** The error's code; for an AggregateError (several addresses tried), its first error's code. */
function errorCode(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const innerCode = (inner as { code?: unknown } | null)?.code;
      if (typeof innerCode === 'string') return innerCode;
    }
  }
  return undefined;
}
