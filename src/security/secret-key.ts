/**
 * The key that encrypts app secrets at rest: 32 random bytes, written as base64 (44 characters,
 * `openssl rand -base64 32`) or hex (64 characters, `openssl rand -hex 32`). It comes from
 * HUB_SECRET_KEY or, with SQLite and no key set, from a key file beside the database.
 *
 * The key's bytes stay inside KeyObjects, which print and serialise as nothing, so a logged
 * configuration cannot leak them. Two keys are derived from it with HKDF: the AES-256-GCM key, and
 * an id written in front of every ciphertext so that a stored value names the key that sealed it
 * without revealing anything about that key.
 */
import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/** The hub was not given the key its storage needs, or was given one it cannot use: the operator
 * fixes it by setting or restoring a key, so the binary prints the message alone (no stack) and
 * exits as for any configuration error. */
export class SecretKeyError extends Error {}

export interface SecretKey {
  /** 16 hex digits derived from the key; tells keys apart in ciphertexts and messages. */
  id: string;
  /** The AES-256-GCM key (derived, not the configured bytes themselves). */
  cipherKey: KeyObject;
  /** Where the key came from, for messages: `HUB_SECRET_KEY`, `key file ./data/hub.db.key`. */
  source: string;
}

const KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** How a key is written in HUB_SECRET_KEY, for messages. */
export const KEY_FORMAT = '32 random bytes written as base64 (44 characters, `openssl rand -base64 32`) or hex (64 characters, `openssl rand -hex 32`)';

function derive(material: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), `api-hub ${info}`, KEY_BYTES));
}

/** The key written in `text`; throws naming `source`, never echoing the value. */
export function parseSecretKey(text: string, source: string): SecretKey {
  const trimmed = text.trim();
  const bytes = HEX_KEY.test(trimmed) ? Buffer.from(trimmed, 'hex') : BASE64_KEY.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
  if (bytes === undefined || bytes.length !== KEY_BYTES) {
    throw new SecretKeyError(`${source}: not a valid key (${trimmed.length} characters); it must be ${KEY_FORMAT}`);
  }
  // A placeholder such as 64 zeros is a mistake, not a key.
  if (bytes.every((byte) => byte === bytes[0])) throw new SecretKeyError(`${source}: the key repeats one byte; it must be ${KEY_FORMAT}`);
  return {
    id: derive(bytes, 'secret key id').subarray(0, 8).toString('hex'),
    cipherKey: createSecretKey(derive(bytes, 'app secrets aes-256-gcm v1')),
    source,
  };
}

/** A new key, as base64, in the form HUB_SECRET_KEY takes. */
export function generateSecretKeyText(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
