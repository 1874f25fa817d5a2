/**
 * The consumer and publisher client: discover, call and publish through a hub, over `fetch`.
 * Typed by an action map (the built-in catalogue's by default): the action id and version pick
 * the payload and answer types. Retries only what cannot have reached a provider twice: a 429 or
 * a 503 with `Retry-After` (the hub refused before forwarding), and publishes, which carry an
 * `Idempotency-Key` so the hub stores the event once.
 */
import { randomUUID } from 'node:crypto';
import { HubApiError, HubConnectionError, type HubErrorBody } from './errors.js';
import type { BuiltinActions } from './generated/builtin-actions.js';
import { checkFunction, checkHttpUrl, checkNumber, checkObject, checkString } from './options.js';

/** Action id → version → `{ kind, data, response }` (`response: never` for an event), as the
 * generated files declare. */
export type ActionMap = { [id: string]: { [version: number]: { kind: 'request' | 'event'; data: unknown; response: unknown } } };

/** The versions of an action in a map. */
export type VersionOf<A extends ActionMap, Id extends keyof A> = keyof A[Id] & number;
type Entry<A extends ActionMap, Id extends keyof A, V> = A[Id][V & number];
type KindOf<T> = T extends { kind: infer K } ? K : never;
/** Ids of the request actions of a map. */
export type RequestActionId<A extends ActionMap> = { [Id in keyof A]: 'request' extends KindOf<A[Id][keyof A[Id]]> ? Id : never }[keyof A] & string;
/** Ids of the event actions of a map. */
export type EventActionId<A extends ActionMap> = { [Id in keyof A]: 'event' extends KindOf<A[Id][keyof A[Id]]> ? Id : never }[keyof A] & string;
/** The payload of an action version; of any of its versions when the version is not fixed. */
// Indexed access types, not conditional ones: TypeScript can then type a handler's returned
// literal against them while it still infers the action id.
export type ActionData<A extends ActionMap, Id extends keyof A, V = VersionOf<A, Id>> = Entry<A, Id, V>['data'];
/** The provider's answer (what the hub returns under `data`) of a request action version. */
export type ActionResponse<A extends ActionMap, Id extends keyof A, V = VersionOf<A, Id>> = Entry<A, Id, V>['response'];

export interface ClientOptions {
  /** The hub's base URL, e.g. `https://hub.example.org`. */
  hubUrl: string;
  /** The app's token (`hub_…`). */
  token: string;
  /** The community every request is made in. */
  community: string;
  /** How many times a refused-before-forwarding request (429, 503 with Retry-After) or a
   * publish is tried again; 2 when not given. */
  retries?: number;
  /** Longest wait between two tries, in ms; a longer Retry-After is not waited for (the error is
   * thrown). 30 s when not given. */
  maxRetryDelayMs?: number;
  /** Time for a discover or publish, in ms (10 s when not given); a call waits for its own timeout
   * plus this margin, the hub answering ProviderTimeout first. */
  requestTimeoutMs?: number;
  /** The `fetch` to use; the global one when not given. */
  fetch?: typeof fetch;
}

export interface Provider {
  id: string;
  displayName: string;
  icon: string | null;
  versions: number[];
}

export interface CallOptions<V> {
  /** The action version; the hub picks the highest both sides support when not given. */
  version?: V;
  /** How long the provider may take, in ms (the hub caps it). */
  timeoutMs?: number;
  /** Sent as `x-request-id`; a new UUID when not given. */
  requestId?: string;
  signal?: AbortSignal;
}

export interface PublishOptions<V> {
  version?: V;
  /** The `Idempotency-Key`; a new UUID when not given. Pass your own to make a publish
   * idempotent across restarts of your app (the hub honours it for 24 h). */
  idempotencyKey?: string;
  requestId?: string;
  signal?: AbortSignal;
}

export interface HubClient<A extends ActionMap> {
  discover<Id extends keyof A & string>(action: Id, options?: { version?: VersionOf<A, Id>; signal?: AbortSignal }): Promise<Provider[]>;
  call<Id extends RequestActionId<A>, V extends VersionOf<A, Id> = VersionOf<A, Id>>(
    action: Id,
    provider: string,
    data: ActionData<A, Id, V>,
    options?: CallOptions<V>,
  ): Promise<ActionResponse<A, Id, V>>;
  publish<Id extends EventActionId<A>, V extends VersionOf<A, Id> = VersionOf<A, Id>>(
    action: Id,
    data: ActionData<A, Id, V>,
    options?: PublishOptions<V>,
  ): Promise<{ id: string; idempotencyKey: string }>;
}

const DEFAULT_RETRIES = 2;
const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** A client for one app in one community. `A` is the action map: the built-in catalogue's by
 * default; `createClient<BuiltinActions & CustomActions>(…)` adds a hub's own. */
export function createClient<A extends ActionMap = BuiltinActions>(options: ClientOptions): HubClient<A> {
  checkOptions(options);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const retries = options.retries ?? DEFAULT_RETRIES;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const base = options.hubUrl.replace(/\/+$/, '');

  interface Attempt {
    method: 'GET' | 'POST';
    path: string;
    query?: Record<string, string | number | undefined>;
    body?: unknown;
    headers?: Record<string, string>;
    requestId: string;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    /** Whether a failure without an answer may be tried again (only a publish, idempotent). */
    retryWithoutAnswer: boolean;
  }

  async function send(attempt: Attempt): Promise<unknown> {
    const url = new URL(base + attempt.path);
    for (const [key, value] of Object.entries(attempt.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token}`,
      'x-community-id': options.community,
      'x-request-id': attempt.requestId,
      accept: 'application/json',
      ...attempt.headers,
    };
    const body = attempt.body === undefined ? undefined : JSON.stringify(attempt.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (let tried = 0; ; tried++) {
      const timeout = AbortSignal.timeout(attempt.timeoutMs);
      const signal = attempt.signal === undefined ? timeout : AbortSignal.any([timeout, attempt.signal]);
      let response: Response;
      let text: string;
      try {
        response = await fetchFn(url, { method: attempt.method, headers, body, signal, redirect: 'error' });
        text = await response.text();
      } catch (error) {
        const timedOut = timeout.aborted;
        if (attempt.retryWithoutAnswer && tried < retries && attempt.signal?.aborted !== true) {
          await sleep(Math.min(backoffMs(tried), maxRetryDelayMs), attempt.signal);
          continue;
        }
        const reason = timedOut
          ? `no answer within ${attempt.timeoutMs} ms`
          : attempt.signal?.aborted === true
            ? 'aborted'
            : `no answer: ${noAnswerReason(error)}`;
        throw new HubConnectionError(`${attempt.method} ${url.href}: ${reason}`, attempt.requestId, timedOut, error);
      }
      const parsed = parseJson(text);
      if (response.ok) return parsed;
      const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
      const error = new HubApiError(errorBody(response.status, parsed, text, response.headers.get('x-request-id')), retryAfter);
      const refusedBeforeForwarding = (response.status === 429 || response.status === 503) && retryAfter !== undefined;
      const retryable = refusedBeforeForwarding || (attempt.retryWithoutAnswer && response.status >= 500);
      const delay = retryAfter !== undefined ? retryAfter * 1000 : backoffMs(tried);
      if (!retryable || tried >= retries || delay > maxRetryDelayMs) throw error;
      await sleep(delay, attempt.signal);
    }
  }

  return {
    async discover(action, opts = {}) {
      return (await send({
        method: 'GET',
        path: `/v1/services/discover/${encodeURIComponent(action)}`,
        query: { version: opts.version },
        requestId: randomUUID(),
        timeoutMs: requestTimeoutMs,
        signal: opts.signal,
        // A discover reaches no provider: trying it again is safe.
        retryWithoutAnswer: true,
      })) as Provider[];
    },
    async call(action, provider, data, opts = {}) {
      const answer = (await send({
        method: 'POST',
        path: `/v1/services/call/${encodeURIComponent(action)}/${encodeURIComponent(provider)}`,
        query: { version: opts.version, timeout: opts.timeoutMs },
        body: data,
        requestId: opts.requestId ?? randomUUID(),
        // The hub answers ProviderTimeout at its timeout (10 s by default, capped by the hub);
        // the client waits a little longer so that answer arrives.
        timeoutMs: (opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) + requestTimeoutMs,
        signal: opts.signal,
        retryWithoutAnswer: false,
      })) as { data: ActionResponse<A, typeof action, NonNullable<typeof opts.version>> };
      return answer.data;
    },
    async publish(action, data, opts = {}) {
      const idempotencyKey = opts.idempotencyKey ?? randomUUID();
      const answer = (await send({
        method: 'POST',
        path: `/v1/services/publish/${encodeURIComponent(action)}`,
        query: { version: opts.version },
        body: data,
        headers: { 'idempotency-key': idempotencyKey },
        requestId: opts.requestId ?? randomUUID(),
        timeoutMs: requestTimeoutMs,
        signal: opts.signal,
        retryWithoutAnswer: true,
      })) as { id: string };
      return { id: answer.id, idempotencyKey };
    },
  };
}

/** Throws a TypeError naming the first bad option. */
function checkOptions(options: unknown): void {
  const where = 'createClient';
  checkObject(where, options);
  checkHttpUrl(where, options, 'hubUrl');
  checkString(where, options, 'token', "the app's token (hub_…, from POST /v1/admin/apps/<app>/tokens)", true);
  checkString(where, options, 'community', 'a community id');
  checkNumber(where, options, 'retries', 0);
  checkNumber(where, options, 'maxRetryDelayMs', 0, false);
  checkNumber(where, options, 'requestTimeoutMs', 1, false);
  checkFunction(where, options, 'fetch');
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// An answer that is not the hub's error format (a proxy's page, say) still becomes a HubApiError.
function errorBody(status: number, parsed: unknown, text: string, requestId: string | null): HubErrorBody {
  if (typeof parsed === 'object' && parsed !== null && typeof (parsed as HubErrorBody).type === 'string') return parsed as HubErrorBody;
  return {
    status,
    type: status === 429 ? 'TooManyRequests' : status === 503 ? 'ServiceUnavailable' : 'InternalError',
    name: 'Unexpected answer',
    error: `the hub answered ${status} without its error format: ${text.slice(0, 200)}`,
    ...(requestId !== null && { requestId }),
  };
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date), or undefined when absent or bad. */
function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function backoffMs(tried: number): number {
  return 250 * 2 ** tried * (0.8 + Math.random() * 0.4);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** Why fetch got no answer: its bare "fetch failed" hides the system's reason in `cause`. */
function noAnswerReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown }).code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
