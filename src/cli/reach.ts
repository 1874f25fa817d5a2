/**
 * Requests of the CLI to a hub or a provider, and what it says when there is no answer: the URL it
 * tried and why in words (`cannot reach the hub at http://127.0.0.1:8080: connection refused
 * (ECONNREFUSED)`), not undici's bare `connect ECONNREFUSED 127.0.0.1:8080`.
 */
import { request } from 'undici';

type RequestOptions = NonNullable<Parameters<typeof request>[1]>;

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the name could not be resolved',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the connection closed before an answer',
};

/** Why a request got no answer, in words, with the system's code. */
export function noAnswerReason(error: unknown): string {
  // fetch wraps the network error in `cause`; undici's request throws it as is.
  const inner = error instanceof TypeError && error.cause instanceof Error ? error.cause : error;
  const code = (inner as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && REASONS[code] !== undefined) return `${REASONS[code]} (${code})`;
  return (inner as Error).message ?? String(inner);
}

/** A request to a hub; a request that gets no answer throws an Error naming the hub's URL. */
export async function requestHub(hub: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  try {
    const res = await request(new URL(path, hub), options);
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  } catch (error) {
    throw new Error(`cannot reach the hub at ${hub}: ${noAnswerReason(error)}`, { cause: error });
  }
}

// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A short excerpt of a body for a message: at most `max` characters, on one line, its control
 * characters replaced (a body must not drive the terminal it is printed on). */
export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').replace(CONTROL, '\ufffd').trim();
  return line.length > max ? `${line.slice(0, max)}… (${text.length} characters)` : line;
}
