/**
 * Credentials the hub sends to apps, and Standard Webhooks signatures
 * (https://www.standardwebhooks.com/): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`, one `v1,` entry
 * per active signing secret (several during a rotation overlap), separated by spaces.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { randomBase64url } from './random.js';
import { setBounded } from '../bounded-map.js';

const SECRET_PREFIX = 'whsec_';

/** The three signature headers, named as Standard Webhooks names them. */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * A new legacy secret (put in the body of what the hub sends): 32 random bytes, base64url, drawn
 * again when it starts with `-`: one in 64 did, and a command line (`--secret $SECRET`) then reads
 * it as an option.
 */
export function generateLegacySecret(): string {
  for (;;) {
    const secret = randomBytes(32).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

/** A new message id: `msg_` + 128 random bits (base64url, 22 characters). */
export function newMessageId(): string {
  return 'msg_' + randomBase64url(16);
}

// Decoded keys, keyed by the secret string. Secrets are few (one or two per app), so the map stays
// small; the bound only protects against unbounded growth when secrets churn.
const KEY_CACHE_MAX = 4096;
const keyCache = new Map<string, Buffer>();

/**
 * The HMAC key of a signing secret (`whsec_<base64>`; a bare base64 string is accepted too, as
 * Standard Webhooks libraries do). Decoded once, then served from a cache.
 */
export function signingKey(secret: string): Buffer {
  let key = keyCache.get(secret);
  if (key === undefined) {
    const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
    key = Buffer.from(encoded, 'base64');
    if (key.length === 0) throw new Error('signing secret is empty or not base64');
    setBounded(keyCache, secret, key, KEY_CACHE_MAX);
  }
  return key;
}

/** One signature, `v1,<base64>`, of `${messageId}.${timestampSeconds}.${body}` with one secret. */
export function sign(messageId: string, timestampSeconds: number, body: string | Buffer, secret: string): string {
  return 'v1,' + digest(messageId + '.' + timestampSeconds + '.', body, signingKey(secret));
}

function digest(prefix: string, body: string | Buffer, key: Buffer): string {
  // The body goes into the HMAC as is: no concatenation with the prefix, no copy of a Buffer.
  return createHmac('sha256', key).update(prefix).update(body).digest('base64');
}

/**
 * The Standard Webhooks headers for one message, signed with every given secret (the new one and
 * the old one during a rotation overlap). `body` must be the exact bytes sent.
 */
export function signatureHeaders(messageId: string, timestampSeconds: number, body: string | Buffer, secrets: readonly string[]): SignatureHeaders {
  if (secrets.length === 0) throw new Error('no signing secret to sign with');
  const timestamp = String(Math.floor(timestampSeconds));
  const prefix = messageId + '.' + timestamp + '.';
  let signature = 'v1,' + digest(prefix, body, signingKey(secrets[0]!));
  for (let i = 1; i < secrets.length; i++) {
    signature += ' v1,' + digest(prefix, body, signingKey(secrets[i]!));
  }
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}

/** Seconds since the epoch, as `webhook-timestamp` wants it. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
