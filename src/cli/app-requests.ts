/**
 * `api-hub call` and `api-hub publish`: one call or one event from the shell, as an app, with its
 * token. The payload comes from --data or, when absent, from stdin. What the hub answers is printed
 * (the call's data, the event's id; the whole answer with --json); a hub error goes to stderr with
 * its details and exits 1.
 */
import type { HubErrorBody } from '../errors.js';
import { HELP_OPTION, JSON_OPTION, optionalInteger, optionalString, parseOptions, requiredString, type Parsed } from './args.js';
import { coloursFor, EXIT_FAILED, EXIT_OK, printJson, UsageError, type Io } from './output.js';
import { requestHub } from './reach.js';

const APP_OPTIONS_HELP = `  --hub <url>                 the hub (default $API_HUB_URL)
  --token <token>             the app's token (default $API_HUB_TOKEN)
  --community <id>            the community (default $API_HUB_COMMUNITY)
  --data <json>               the payload; without it, read from stdin
  --json                      print the hub's whole answer as JSON
  --help                      show this help

Exit codes: 0 ok, 1 the hub answered an error (printed on stderr), 2 a usage error.
`;

export const CALL_HELP = `Usage: api-hub call --action <id> --provider <app> [options]

Calls a provider through the hub and prints the data it answered.

  --action <id>               the request action
  --provider <app>            the provider app's id
  --version <n>               the action version (default: the highest both sides know)
  --timeout <ms>              the call's timeout (default: the action's)
${APP_OPTIONS_HELP}`;

export const PUBLISH_HELP = `Usage: api-hub publish --action <id> [options]

Publishes an event through the hub and prints its id.

  --action <id>               the event action
  --version <n>               the action version (default: the highest)
  --idempotency-key <key>     publishing again with the same key publishes once
${APP_OPTIONS_HELP}`;

const APP_OPTIONS = {
  ...HELP_OPTION,
  ...JSON_OPTION,
  action: { type: 'string' },
  version: { type: 'string' },
  hub: { type: 'string' },
  token: { type: 'string' },
  community: { type: 'string' },
  data: { type: 'string' },
} as const;

const CALL_OPTIONS = { ...APP_OPTIONS, provider: { type: 'string' }, timeout: { type: 'string' } } as const;
const PUBLISH_OPTIONS = { ...APP_OPTIONS, 'idempotency-key': { type: 'string' } } as const;

export async function call(argv: string[], io: Io, stdin: AsyncIterable<Buffer | string> = process.stdin): Promise<number> {
  const { values } = parseOptions(argv, CALL_OPTIONS);
  if (values.help === true) {
    io.stdout.write(CALL_HELP);
    return EXIT_OK;
  }
  const action = requiredString(values, 'action');
  const provider = requiredString(values, 'provider');
  const query = new URLSearchParams();
  const version = optionalInteger(values, 'version', 1);
  const timeout = optionalInteger(values, 'timeout', 1);
  if (version !== undefined) query.set('version', String(version));
  if (timeout !== undefined) query.set('timeout', String(timeout));
  const path = `/v1/services/call/${encodeURIComponent(action)}/${encodeURIComponent(provider)}${query.size > 0 ? `?${query.toString()}` : ''}`;
  const answer = await send(values, io, path, {}, stdin);
  if (answer.status !== 200) return failed(answer, io, values);
  if (values.json === true) printJson(io, answer.body);
  else io.stdout.write(JSON.stringify((answer.body as { data: unknown }).data, null, 2) + '\n');
  return EXIT_OK;
}

export async function publish(argv: string[], io: Io, stdin: AsyncIterable<Buffer | string> = process.stdin): Promise<number> {
  const { values } = parseOptions(argv, PUBLISH_OPTIONS);
  if (values.help === true) {
    io.stdout.write(PUBLISH_HELP);
    return EXIT_OK;
  }
  const action = requiredString(values, 'action');
  const version = optionalInteger(values, 'version', 1);
  const key = optionalString(values, 'idempotency-key');
  const path = `/v1/services/publish/${encodeURIComponent(action)}${version === undefined ? '' : `?version=${version}`}`;
  const answer = await send(values, io, path, key === undefined ? {} : { 'idempotency-key': key }, stdin);
  if (answer.status !== 201) return failed(answer, io, values);
  const replayed = answer.replayed;
  if (values.json === true) printJson(io, { ...(answer.body as object), replayed });
  else io.stdout.write(`${replayed ? 'already published' : 'published'} event ${(answer.body as { id: string }).id}\n`);
  return EXIT_OK;
}

interface HubAnswer {
  status: number;
  body: unknown;
  replayed: boolean;
}

async function send(
  values: Parsed['values'],
  io: Io,
  path: string,
  headers: Record<string, string>,
  stdin: AsyncIterable<Buffer | string>,
): Promise<HubAnswer> {
  const hub = optionalString(values, 'hub') ?? io.env.API_HUB_URL;
  const token = optionalString(values, 'token') ?? io.env.API_HUB_TOKEN;
  const community = optionalString(values, 'community') ?? io.env.API_HUB_COMMUNITY;
  if (hub === undefined || hub === '') throw new UsageError('--hub (or API_HUB_URL) is required');
  if (!URL.canParse(hub) || !/^https?:$/.test(new URL(hub).protocol)) throw new UsageError(`--hub must be an http(s) URL, not "${hub}"`);
  if (token === undefined || token === '') throw new UsageError('--token (or API_HUB_TOKEN) is required');
  if (community === undefined || community === '') throw new UsageError('--community (or API_HUB_COMMUNITY) is required');
  if (values.data === undefined && (stdin as { isTTY?: boolean }).isTTY === true) throw new UsageError('give the payload with --data or on stdin');
  const body = optionalString(values, 'data') ?? (await readAll(stdin));
  try {
    JSON.parse(body);
  } catch (err) {
    throw new UsageError(`the payload (${values.data === undefined ? 'stdin' : '--data'}) is not JSON: ${(err as Error).message}`);
  }
  const res = await requestHub(hub, path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-community-id': community, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = res.text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, replayed: res.headers['idempotent-replayed'] === 'true' };
}

async function readAll(stdin: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}

/** A hub error: the whole body with --json (on stdout), else a readable summary on stderr. */
function failed(answer: HubAnswer, io: Io, values: Parsed['values']): number {
  if (values.json === true) {
    printJson(io, answer.body);
    return EXIT_FAILED;
  }
  const paint = coloursFor(io.stderr, io.env);
  const error = answer.body as Partial<HubErrorBody>;
  const lines = [paint.fail(`${answer.status} ${error.name ?? ''}: ${error.error ?? String(answer.body)}`)];
  for (const detail of (error.details ?? []) as { pointer?: string; message?: string }[])
    lines.push(`  ${detail.pointer === '' ? '(the payload)' : detail.pointer}: ${detail.message}`);
  if (error.provider !== undefined)
    lines.push(`  provider answered ${error.provider.status}${error.provider.body === undefined ? '' : `: ${JSON.stringify(error.provider.body)}`}`);
  if (error.requestId !== undefined) lines.push(paint.dim(`  request id ${error.requestId}`));
  io.stderr.write(lines.join('\n') + '\n');
  return EXIT_FAILED;
}
