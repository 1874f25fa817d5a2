/**
 * The provider's and subscriber's side: verify what the hub sends (Standard Webhooks over the
 * raw body: `webhook-id`, `webhook-timestamp`, `webhook-signature` with one `v1,<base64 HMAC>`
 * per secret), then parse the envelope `{ context, secret, data }`. Several signing secrets are
 * accepted during a rotation; a timestamp outside the tolerance is refused (replay).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './errors.js';

export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

/** What a provider receives with each call. */
export interface RequestContext {
  issuedAt: string;
  action: string;
  community: string;
  version: number;
  consumer: string;
  requestId: string;
}

/** What a subscriber receives with each delivery. */
export interface EventContext {
  issuedAt: string;
  action: string;
  community: string;
  version: number;
  publisher: string;
  eventId: string;
}

export interface Envelope<Context, Data> {
  context: Context;
  /** The app's legacy secret, as the hub sends it. */
  secret: string;
  data: Data;
  /** The `webhook-id`: the same across retries of one delivery. */
  webhookId: string;
}

export interface VerifyOptions {
  /** The app's signing secrets (`whsec_…`): during a rotation, both the new and the previous. */
  signingSecrets: readonly string[];
  /** Legacy secrets accepted in the body's `secret` (during a rotation, the current and the next);
   * not checked when not given. */
  secrets?: readonly string[];
  /** How far `webhook-timestamp` may be from now, in seconds; 300 when not given. */
  toleranceSeconds?: number;
  /** Now, in ms since the epoch (for tests); `Date.now()` when not given. */
  now?: () => number;
}

const DEFAULT_TOLERANCE_SECONDS = 300;
const SECRET_PREFIX = 'whsec_';

/** The HMAC key of a signing secret: `whsec_<base64>`, or bare base64 as Standard Webhooks accepts. */
function signingKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new Error('a signing secret is empty or not base64');
  return key;
}

/** The `webhook-signature` entry (`v1,<base64>`) of a message for one secret. */
export function signWebhook(webhookId: string, timestampSeconds: number, body: string | Buffer, signingSecret: string): string {
  return 'v1,' + createHmac('sha256', signingKey(signingSecret)).update(`${webhookId}.${timestampSeconds}.`).update(body).digest('base64');
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}

/** Checks the signature of a request over its exact bytes; throws a WebhookVerificationError
 * (401) when no secret signed it or the timestamp is too old or too new. Returns the webhook id. */
export function verifyWebhook(headers: WebhookHeaders, rawBody: string | Buffer, options: VerifyOptions): string {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signature === undefined) {
    throw new WebhookVerificationError(401, 'missing webhook-id, webhook-timestamp or webhook-signature');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError(401, 'webhook-timestamp is not a number of seconds');
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) throw new WebhookVerificationError(401, 'webhook-timestamp is outside the tolerance');
  if (options.signingSecrets.length === 0) throw new Error('no signing secret to verify with');
  const offered = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  for (const secret of options.signingSecrets) {
    const expected = Buffer.from(signWebhook(id, Number(timestamp), rawBody, secret).slice(3), 'base64');
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) return id;
  }
  throw new WebhookVerificationError(401, 'no valid signature');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The envelope of a verified request; a WebhookVerificationError (400) when it is not one, and
 * (401) when `secret` is not one of `options.secrets`. */
export function parseEnvelope<Context extends RequestContext | EventContext, Data = unknown>(
  rawBody: string | Buffer,
  webhookId: string,
  options: Pick<VerifyOptions, 'secrets'> = {},
): Envelope<Context, Data> {
  let body: unknown;
  try {
    body = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch {
    throw new WebhookVerificationError(400, 'the body is not JSON');
  }
  if (!isObject(body) || !isObject(body.context) || !('data' in body) || typeof body.secret !== 'string') {
    throw new WebhookVerificationError(400, 'the body is not an envelope { context, secret, data }');
  }
  const context = body.context;
  if (
    typeof context.action !== 'string' ||
    typeof context.community !== 'string' ||
    typeof context.version !== 'number' ||
    typeof context.issuedAt !== 'string'
  ) {
    throw new WebhookVerificationError(400, "the envelope's context lacks action, community, version or issuedAt");
  }
  if (options.secrets !== undefined && !options.secrets.some((secret) => constantTimeEqual(secret, body.secret as string))) {
    throw new WebhookVerificationError(401, "the envelope's secret is not this app's");
  }
  return { context: context as unknown as Context, secret: body.secret, data: body.data as Data, webhookId };
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Verifies a request and parses its envelope: the signature first, then the body. */
export function verifyAndParse<Context extends RequestContext | EventContext, Data = unknown>(
  headers: WebhookHeaders,
  rawBody: string | Buffer,
  options: VerifyOptions,
): Envelope<Context, Data> {
  const webhookId = verifyWebhook(headers, rawBody, options);
  return parseEnvelope<Context, Data>(rawBody, webhookId, options);
}
