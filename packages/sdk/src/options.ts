/**
 * Checks of the options given to the SDK's constructors (createClient, the handler factories):
 * a mistake in them, typically an unset environment variable, throws a TypeError naming the
 * option and the expected form at construction, instead of a 401 or a confusing failure at the
 * first request. The checks are for JavaScript callers too, whom the types do not reach.
 */

/** A signing secret as the hub issues it, `whsec_` and base64 (bare base64 as Standard Webhooks
 * also accepts). */
const SIGNING_SECRET = /^(whsec_)?[A-Za-z0-9+/]+={0,2}$/;

/** The value as a message may show it: never the text of a secret or token, which would end
 * up in logs. */
function shown(value: unknown, secret: boolean): string {
  if (value === undefined) return 'undefined (an unset environment variable?)';
  if (typeof value === 'string') {
    if (value === '') return 'an empty string (an unset environment variable?)';
    if (secret) return `a string of ${value.length} characters${value.startsWith('whsec_') ? ' starting with whsec_' : ''}`;
    return `"${value.length > 60 ? value.slice(0, 60) + '…' : value}"`;
  }
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

export function fail(where: string, name: string, expected: string, value: unknown, secret = false): never {
  throw new TypeError(`${where}: ${name} must be ${expected}, not ${shown(value, secret)}`);
}

export function checkObject(where: string, options: unknown): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail(where, 'options', 'an object', options);
}

export function checkString(where: string, options: Record<string, unknown>, name: string, expected = 'a non-empty string', secret = false): void {
  const value = options[name];
  if (typeof value !== 'string' || value === '') fail(where, name, expected, value, secret);
}

export function checkHttpUrl(where: string, options: Record<string, unknown>, name: string): void {
  const value = options[name];
  const ok = typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
  if (!ok) fail(where, name, 'an http(s) URL such as "https://hub.example.org"', value);
}

/** An optional number option: absent, or an integer (or any number when `integer` is false) ≥ min. */
export function checkNumber(where: string, options: Record<string, unknown>, name: string, min: number, integer = true): void {
  const value = options[name];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value)))
    fail(where, name, `${integer ? 'an integer' : 'a number'} of at least ${min}`, value);
}

export function checkFunction(where: string, options: Record<string, unknown>, name: string): void {
  const value = options[name];
  if (value !== undefined && typeof value !== 'function') fail(where, name, 'a function', value);
}

/** `signingSecrets`: a non-empty array of `whsec_…` secrets; `secrets`, when given, an array of strings. */
export function checkSecrets(where: string, options: Record<string, unknown>): void {
  const signing = options.signingSecrets;
  if (!Array.isArray(signing) || signing.length === 0)
    fail(where, 'signingSecrets', 'a non-empty array of signing secrets (whsec_…, from GET /v1/admin/apps/<app>/secrets)', signing, true);
  signing.forEach((secret: unknown, i) => {
    if (typeof secret !== 'string' || !SIGNING_SECRET.test(secret))
      fail(where, `signingSecrets[${i}]`, 'a signing secret: whsec_ followed by base64', secret, true);
  });
  const legacy = options.secrets;
  if (legacy === undefined) return;
  if (!Array.isArray(legacy)) fail(where, 'secrets', 'an array of strings', legacy, true);
  legacy.forEach((secret: unknown, i) => {
    if (typeof secret !== 'string' || secret === '') fail(where, `secrets[${i}]`, "the app's legacy secret, a non-empty string", secret, true);
  });
}
