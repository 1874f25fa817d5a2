/**
 * Keeps a provider's legacy secrets out of what the hub passes on from it. The hub sends each
 * provider its legacy `secret` in every request; a provider that echoes its request (in an error
 * body, or in a 2xx answer a permissive response schema allows) would otherwise hand that secret
 * to the consumer. Every occurrence, in string values and in keys, becomes `[redacted]`.
 *
 * The common case costs one scan of the answer text per secret plus one for `\u00` escapes, and
 * leaves the text byte for byte as the provider sent it; only an answer that may hold a secret is
 * walked and serialized again.
 */
export const REDACTED = '[redacted]';

/** Deeper answers are not walked (the walk is recursive): the caller refuses them. */
const MAX_DEPTH = 1000;

/** A secret whose every character JSON writes as itself, so it can be found in the raw text, and
 * spelled otherwise only with a `\u00XX` escape (printable ASCII except `"`, `\` and `/`). */
const PLAIN = /^[\x20-\x21\x23-\x2e\x30-\x5b\x5d-\x7e]+$/;

/** Whether JSON text may spell one of `secrets` once parsed: it holds one verbatim, or a `\u00XX`
 * escape of a character of one (Go escapes `<`, `>` and `&` that way, which base64url secrets
 * never hold, so such answers stay on the fast path). */
export function mayContainSecret(text: string, secrets: readonly string[]): boolean {
  let plain = true;
  for (const secret of secrets) {
    if (secret.length > 0 && text.includes(secret)) return true;
    if (!PLAIN.test(secret)) plain = false;
  }
  if (!plain) return text.includes('\\');
  let inSecrets: Uint8Array | undefined;
  for (let at = text.indexOf('\\u00'); at !== -1; at = text.indexOf('\\u00', at + 4)) {
    const high = hexDigit(text.charCodeAt(at + 4));
    // Printable ASCII only: \u0020 to \u007e (é and the like are \u00e9, not in any secret).
    if (high < 2 || high > 7) continue;
    const code = high * 16 + hexDigit(text.charCodeAt(at + 5));
    if (inSecrets === undefined) {
      inSecrets = new Uint8Array(128);
      for (const secret of secrets) for (let i = 0; i < secret.length; i++) inSecrets[secret.charCodeAt(i)] = 1;
    }
    if (code >= 0 && inSecrets[code] === 1) return true;
  }
  return false;
}

/** The value of a hex digit's character code, or -1000 when it is not one. */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1000;
}

function redactString(value: string, secrets: readonly string[]): string {
  let result = value;
  for (const secret of secrets) if (secret.length > 0 && result.includes(secret)) result = result.replaceAll(secret, REDACTED);
  return result;
}

const TOO_DEEP = Symbol('too deep');

function redactAt(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return redactString(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- a private sentinel, caught below
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const redacted = redactAt(item, secrets, depth + 1);
      if (redacted !== item) (copy ??= value.slice())[i] = redacted;
    });
    return copy ?? value;
  }
  // Entries are copied only from the first change on: most walks find nothing and allocate nothing.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let entries: Array<[string, unknown]> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = record[key];
    const redactedKey = redactString(key, secrets);
    const redacted = redactAt(item, secrets, depth + 1);
    if (entries === undefined && (redactedKey !== key || redacted !== item)) entries = keys.slice(0, i).map((k) => [k, record[k]]);
    entries?.push([redactedKey, redacted]);
  }
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return entries === undefined ? value : Object.fromEntries(entries);
}

/** `value` with the secrets replaced in its strings and keys; the same object when none occurs;
 * undefined when it is nested too deeply to be walked. */
export function redactValue<T>(value: T, secrets: readonly string[]): T | undefined {
  try {
    return redactAt(value, secrets, 0) as T;
  } catch (err) {
    if (err === TOO_DEEP) return undefined;
    throw err;
  }
}

/**
 * The JSON text to pass on for an answer `text` that parsed to `parsed`: `text` itself when it
 * holds no secret, else the redacted value serialized; undefined when it is nested too deeply to
 * be checked.
 */
export function redactJson(text: string, parsed: unknown, secrets: readonly string[]): string | undefined {
  if (!mayContainSecret(text, secrets)) return text;
  const redacted = redactValue(parsed, secrets);
  if (redacted === undefined) return undefined;
  return redacted === parsed ? text : JSON.stringify(redacted);
}
