/**
 * The console's only way to the hub: the admin API, with the operator's token from
 * sessionStorage (this tab only, gone when it closes; never in a URL, a cookie or a log). An
 * answer is returned whatever its status; a 401 signs the operator out.
 */
const TOKEN_KEY = 'api-hub-admin-token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export interface ErrorDetail {
  pointer: string;
  message: string;
}

export interface Answer<T = unknown> {
  status: number;
  ok: boolean;
  body: T;
  /** The hub's error sentence, when it answered one. */
  error: string | undefined;
  details: ErrorDetail[];
  requestId: string | null;
}

let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void) {
  onUnauthorized = handler;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read as the page expects them
export async function admin<T = any>(method: string, path: string, body?: unknown, tokenValue = token.get()): Promise<Answer<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokenValue ?? ''}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/v1/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (err) {
    return { status: 0, ok: false, body: undefined as T, error: `the hub cannot be reached (${(err as Error).message})`, details: [], requestId: null };
  }
  const text = await res.text();
  let parsed: { error?: unknown; details?: unknown } | undefined;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as typeof parsed);
  } catch {
    parsed = undefined;
  }
  if (res.status === 401 && tokenValue === token.get()) onUnauthorized();
  const error = res.ok ? undefined : typeof parsed?.error === 'string' ? parsed.error : `the hub answered ${res.status}`;
  return {
    status: res.status,
    ok: res.ok,
    body: parsed as T,
    error,
    details: Array.isArray(parsed?.details) ? (parsed.details as ErrorDetail[]) : [],
    requestId: res.headers.get('x-request-id'),
  };
}

/** `?a=1&b=2` from the filters that are set. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '') as Array<[string, string]>;
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}

/** Path segments are encoded: action ids carry `:` and `@`. */
export const seg = (value: string) => encodeURIComponent(value);
