/**
 * A consumer app over raw HTTP, no SDK: it documents the Layers protocol that `consumer.ts` (the
 * same app on @api-hub/sdk, the shorter path) speaks. It calls the hub exactly as Layers apps do: a bearer token, the community in
 * `X-Community-Id`, `GET /v1/services/discover/:action?version=1` to find providers, then
 * `POST /v1/services/call/:action/:provider?version=1&timeout=10000` with `{ user }`, reading
 * `data.result` from the answer.
 *
 * Run on its own against a hub: `HUB_URL=http://127.0.0.1:8080 APP_TOKEN=hub_… COMMUNITY=escola-modelo
 * npx tsx examples/consumer-http.ts` (optional USER_ID, USER_NAME, USER_ALIAS).
 */
import { pathToFileURL } from 'node:url';
import { request } from 'undici';

export const ACTIONS = ['@layers:Calendar:getRelated', '@layers:education:GradeBooks:getRelated', '@layers:payments:Payables:getRelated'] as const;

export interface HubClient {
  hubUrl: string;
  token: string;
  community: string;
}

export interface User {
  id: string;
  name: string;
  alias: string;
}

export interface ProviderEntry {
  id: string;
  displayName: string;
  icon: string | null;
  versions: number[];
}

/** A hub answer: the status and the parsed JSON body (the text when it is not JSON). */
export interface HubAnswer<T = unknown> {
  status: number;
  body: T;
  requestId: string | undefined;
}

/** Layers' error format, with the hub's extras. */
export interface HubError {
  status: number;
  type: string;
  name: string;
  error: string;
  details?: { pointer: string; message: string }[];
  requestId?: string;
}

async function send<T>(client: HubClient, method: 'GET' | 'POST', path: string, body?: string): Promise<HubAnswer<T>> {
  const res = await request(new URL(path, client.hubUrl), {
    method,
    headers: {
      authorization: `Bearer ${client.token}`,
      'x-community-id': client.community,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body,
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  const requestId = res.headers['x-request-id'];
  return { status: res.statusCode, body: parsed as T, requestId: typeof requestId === 'string' ? requestId : undefined };
}

/** The providers of an action installed in the client's community. */
export function discover(client: HubClient, action: string, version = 1): Promise<HubAnswer<ProviderEntry[] | HubError>> {
  return send(client, 'GET', `/v1/services/discover/${action}?version=${version}`);
}

/**
 * Calls an action of a provider. `data` is the action's request payload, sent as given: an object
 * is serialised, a string is sent as it is (to show what the hub does with a bad body).
 */
export function callAction<R = unknown>(
  client: HubClient,
  action: string,
  provider: string,
  data: unknown,
  options: { version?: number; timeoutMs?: number } = {},
): Promise<HubAnswer<{ data: R } | HubError>> {
  const query = `?version=${options.version ?? 1}&timeout=${options.timeoutMs ?? 10_000}`;
  return send(client, 'POST', `/v1/services/call/${action}/${provider}${query}`, typeof data === 'string' ? data : JSON.stringify(data));
}

/** Calls `action` for `user` and returns `data.result`; throws with the hub's error otherwise. */
export async function getRelated(client: HubClient, action: string, provider: string, user: User): Promise<unknown[]> {
  const answer = await callAction<{ result: unknown[] }>(client, action, provider, { user });
  if (answer.status !== 200) {
    const error = answer.body as HubError;
    throw new Error(`${action} via ${provider}: ${answer.status} ${error.type}: ${error.error}`);
  }
  return (answer.body as { data: { result: unknown[] } }).data.result;
}

// ---------------------------------------------------------------------------------------------
// One-line summaries of the three answers, as a viewer app would show them.
// ---------------------------------------------------------------------------------------------

interface GradeBook {
  student: string;
  course: string;
  terms: { label: string; status: string; subjects?: { abbr?: string; label: string; overall?: { scoreGiven: string | number; featured?: boolean }[] }[] }[];
}
interface Calendar {
  summary: string;
  events: { summary: string; start: string }[];
}
interface PayableGroup {
  title: string;
  payables: { status: string; centsTotal: number; centsPaid: number; dueAt: string }[];
}

const money = (cents: number) => `R$ ${(cents / 100).toFixed(2)}`;

/** Readable lines describing an action's `result`. */
export function summarize(action: string, result: unknown[]): string[] {
  if (action.endsWith(':GradeBooks:getRelated')) {
    return (result as GradeBook[]).map((book) => {
      const graded = book.terms.filter((t) => t.subjects !== undefined);
      const latest = graded[graded.length - 1];
      const scores = (latest?.subjects ?? []).map((s) => `${s.abbr ?? s.label} ${s.overall?.find((o) => o.featured)?.scoreGiven ?? '–'}`).join(', ');
      return `${book.student} (${book.course}): ${book.terms.length} terms${latest ? `; ${latest.label} averages: ${scores}` : ''}`;
    });
  }
  if (action.endsWith(':Calendar:getRelated')) {
    const today = new Date().toISOString().slice(0, 10);
    return (result as Calendar[]).map((cal) => {
      const next = cal.events.filter((e) => e.start.slice(0, 10) >= today).sort((a, b) => a.start.localeCompare(b.start))[0];
      return `${cal.summary}: ${cal.events.length} events${next ? `; next: ${next.summary} on ${next.start.slice(0, 10)}` : ''}`;
    });
  }
  if (action.endsWith(':Payables:getRelated')) {
    return (result as PayableGroup[]).map((group) => {
      const count = (status: string) => group.payables.filter((p) => p.status === status).length;
      const due = group.payables.filter((p) => p.status === 'late' || p.status === 'open').reduce((sum, p) => sum + p.centsTotal - p.centsPaid, 0);
      return `${group.title}: ${count('paid')} paid, ${count('late')} late, ${count('open')} open, ${count('pending')} pending; due now ${money(due)}`;
    });
  }
  return [`${result.length} items`];
}

async function main(): Promise<void> {
  const client: HubClient = {
    hubUrl: process.env.HUB_URL ?? 'http://127.0.0.1:8080',
    token: process.env.APP_TOKEN ?? '',
    community: process.env.COMMUNITY ?? 'escola-modelo',
  };
  if (client.token === '') {
    console.error('Set APP_TOKEN (from POST /v1/admin/apps/<app>/tokens), and HUB_URL and COMMUNITY if not the defaults.');
    process.exit(2);
  }
  const user: User = {
    id: process.env.USER_ID ?? 'u-61b087e1',
    name: process.env.USER_NAME ?? 'Carla Mendes',
    alias: process.env.USER_ALIAS ?? 'carla.mendes',
  };
  let failed = false;
  for (const action of ACTIONS) {
    const found = await discover(client, action);
    if (found.status !== 200) {
      console.log(`discover ${action}: ${found.status} ${(found.body as HubError).error}`);
      failed = true;
      continue;
    }
    const providers = found.body as ProviderEntry[];
    console.log(`discover ${action}: ${providers.map((p) => p.id).join(', ') || 'no provider'}`);
    for (const provider of providers) {
      try {
        const result = await getRelated(client, action, provider.id, user);
        for (const line of summarize(action, result)) console.log(`  ${provider.id}: ${line}`);
      } catch (err) {
        console.log(`  ${(err as Error).message}`);
        failed = true;
      }
    }
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
