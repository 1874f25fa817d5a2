/**
 * Seals and opens the app secrets kept in storage, with AES-256-GCM (node:crypto). A sealed value
 * reads `enc:v1:<key id>:<base64url of 12-byte IV, ciphertext, 16-byte tag>`; the additional
 * authenticated data names the row and column (e.g. `apps/erp/secret`), so a sealed value copied
 * into another row or column does not open. A value without the `enc:` prefix is plaintext from
 * before encryption (or from an older hub process sharing PostgreSQL during an upgrade): it is
 * given back as it is, and sealed at the next start.
 *
 * Values are sealed with the current key; the previous key (HUB_SECRET_KEY_PREVIOUS) only opens.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretKeyError, type SecretKey } from './secret-key.js';
import { setBounded } from '../bounded-map.js';

const PREFIX = 'enc:v1:';

/** Whether a stored value is sealed (by any key), rather than plaintext from before encryption. */
export const isSealed = (stored: string): boolean => stored.startsWith('enc:');

/** A sealed value: the id of the key that sealed it, and the IV, ciphertext and tag. */
const SEALED = /^enc:v1:([0-9a-f]{16}):([A-Za-z0-9_-]+)$/;

/** The id of the key that sealed a stored value; undefined for plaintext or an unknown format. */
export const sealingKeyId = (stored: string): string | undefined => SEALED.exec(stored)?.[1];
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Opened values kept (see `opened`); far more than the secrets of any registry. */
const OPENED_MAX = 20_000;

export class SecretBox {
  /**
   * Plaintexts by sealed value and place. The registry is read again after every admin write, and
   * a decipher costs some 15 µs: with a thousand apps that held the event loop for tens of ms each
   * time. A sealed value never changes meaning (a fresh IV per seal), so what opened once is kept.
   */
  private readonly opened = new Map<string, string>();

  constructor(
    private readonly current: SecretKey,
    private readonly previous?: SecretKey,
  ) {}

  /** Where the current key came from, and its id, for the start-up log. */
  get currentKey(): { id: string; source: string } {
    return { id: this.current.id, source: this.current.source };
  }

  seal(plaintext: string, where: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.cipherKey, iv);
    cipher.setAAD(Buffer.from(where, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.current.id}:${sealed.toString('base64url')}`;
  }

  /** The plaintext of a stored value; throws a message an operator can act on when it cannot. */
  open(stored: string, where: string): string {
    if (!isSealed(stored)) return stored;
    const match = SEALED.exec(stored);
    if (match === null) throw new Error(`${where} in storage is not a value this hub can read (unknown format)`);
    const cacheKey = `${where}\n${stored}`;
    const cached = this.opened.get(cacheKey);
    if (cached !== undefined) return cached;
    const key = this.keyWithId(match[1]!);
    if (key === undefined) {
      const known = [this.current, this.previous].filter((k) => k !== undefined).map((k) => `${k.source} is key ${k.id}`);
      throw new SecretKeyError(
        `${where} in storage was encrypted with key ${match[1]}, which this hub was not given (${known.join(', ')}). ` +
          'Start the hub with the key the database was written with: HUB_SECRET_KEY, or HUB_SECRET_KEY_PREVIOUS while rotating (see docs/secrets.md)',
      );
    }
    const sealed = Buffer.from(match[2]!, 'base64url');
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error(`${where} in storage is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key.cipherKey, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(where, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    let plaintext: string;
    try {
      plaintext = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`${where} in storage does not open with ${key.source} (key ${key.id}): the stored value was altered or moved`);
    }
    setBounded(this.opened, cacheKey, plaintext, OPENED_MAX);
    return plaintext;
  }

  /** Whether a stored value should be sealed again: plaintext, or sealed with another key. */
  needsSealing(stored: string): boolean {
    return !stored.startsWith(`${PREFIX}${this.current.id}:`);
  }

  private keyWithId(id: string): SecretKey | undefined {
    if (id === this.current.id) return this.current;
    return id === this.previous?.id ? this.previous : undefined;
  }
}
