/**
 * `api-hub mock`: a provider that answers the given request actions (any path; the action and
 * version come from the body's context) with schema-valid, deterministic data (mock-answers.ts),
 * so consumers work without a real ERP. With --signing-secret it refuses, as a real provider must,
 * a request whose Standard Webhooks signature is missing, wrong or older than 5 minutes (401).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '../relay/signing.js';
import { actionVersions } from './actions.js';
import { HELP_OPTION, JSON_OPTION, optionalInteger, optionalString, parseOptions } from './args.js';
import { MockAnswers } from './mock-answers.js';
import { EXIT_OK, UsageError, type Io } from './output.js';

export const MOCK_HELP = `Usage: api-hub mock --action <id> [--action <id>…] [options]

Runs a provider that answers the given request actions with data that matches their response
schemas: one of the action's response examples, or values generated from the schema, always the
same for the same seed and data. Register its URL as the provider's endpoint of each action (any
path). Stops on SIGINT or SIGTERM.

  --action <id>               an action to answer (repeat for several); every version of it
  --port <n>                  port to listen on (default 4010; 0 picks a free one)
  --host <host>               address to listen on (default 127.0.0.1)
  --seed <n>                  seed of the answers (default 1)
  --signing-secret <whsec_…>  verify the hub's signature with this secret (401 when it fails)
  --hub <url>                 read the actions from this hub instead of the built-in catalogue
  --admin-token <token>       the hub's admin token (with --hub)
  --json                      print one JSON line at start and one per request
  --help                      show this help

Exit codes: 0 stopped by a signal, 1 failed to start, 2 a usage error.
`;

const OPTIONS = {
  ...HELP_OPTION,
  ...JSON_OPTION,
  action: { type: 'string', multiple: true },
  port: { type: 'string' },
  host: { type: 'string' },
  seed: { type: 'string' },
  'signing-secret': { type: 'string' },
  hub: { type: 'string' },
  'admin-token': { type: 'string' },
} as const;

const TOLERANCE_SECONDS = 300;
const MAX_BODY_BYTES = 1024 * 1024;

export async function mock(argv: string[], io: Io): Promise<number> {
  const { values } = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(MOCK_HELP);
    return EXIT_OK;
  }
  const ids = (values.action as string[] | undefined) ?? [];
  if (ids.length === 0) throw new UsageError('--action is required (repeat it for several actions)');
  const signingSecret = optionalString(values, 'signing-secret');
  if (signingSecret !== undefined && !/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(signingSecret))
    throw new UsageError('--signing-secret must be whsec_ followed by base64');
  const source = { hub: optionalString(values, 'hub'), adminToken: optionalString(values, 'admin-token') };
  const actions = (await Promise.all(ids.map((id) => actionVersions(id, source)))).flat();
  const event = actions.find((a) => a.definition.kind !== 'request');
  if (event !== undefined) throw new UsageError(`"${event.definition.id}" is an event action; the mock answers request actions`);
  const answers = new MockAnswers(actions, optionalInteger(values, 'seed') ?? 1);
  const json = values.json === true;
  const print = (entry: Record<string, unknown>, line: string) => io.stdout.write(json ? JSON.stringify(entry) + '\n' : line + '\n');

  const server = createServer((req, res) => {
    void handle(req, res, answers, signingSecret).then(({ status, action }) => print({ action, status }, `${status} ${action ?? '-'}`));
  });
  const host = optionalString(values, 'host') ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(optionalInteger(values, 'port') ?? 4010, host, () => resolve());
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  const names = [...new Set(actions.map((a) => `${a.definition.id} v${a.definition.version}`))];
  print(
    { listening: url, actions: names, verifiesSignatures: signingSecret !== undefined },
    `Mock provider listening on ${url}\n${names.map((n) => `  ${n}`).join('\n')}${signingSecret === undefined ? '\n  (signatures not checked: no --signing-secret)' : ''}`,
  );
  const stop = () => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return EXIT_OK;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  answers: MockAnswers,
  signingSecret: string | undefined,
): Promise<{ status: number; action?: string }> {
  const send = (status: number, body: unknown, action?: string) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    return { status, action };
  };
  if (req.method !== 'POST') return send(405, { error: 'use POST' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return send(413, { error: `the body is over ${MAX_BODY_BYTES} bytes` });
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (signingSecret !== undefined) {
    const problem = signatureProblem(req, body, signingSecret);
    if (problem !== null) return send(401, { error: problem });
  }
  let envelope: { context?: { action?: unknown; version?: unknown }; data?: unknown };
  try {
    envelope = JSON.parse(body.toString('utf8')) as typeof envelope;
  } catch {
    return send(400, { error: 'the body is not JSON' });
  }
  const { action, version } = envelope?.context ?? {};
  if (typeof action !== 'string' || typeof version !== 'number') return send(400, { error: 'the body has no context.action and context.version' });
  const answer = answers.answer(action, version, envelope.data ?? null);
  return send(answer.status, answer.body, action);
}

/** Why the Standard Webhooks signature does not hold, or null when it does. */
function signatureProblem(req: IncomingMessage, body: Buffer, signingSecret: string): string | null {
  const id = req.headers['webhook-id'];
  const timestamp = req.headers['webhook-timestamp'];
  const signature = req.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string')
    return 'missing webhook-id, webhook-timestamp or webhook-signature';
  const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!(Math.abs(Date.now() / 1000 - seconds) <= TOLERANCE_SECONDS)) return 'webhook-timestamp is missing or too far from now';
  const expected = Buffer.from(sign(id, seconds, body, signingSecret));
  const offered = signature.split(' ').map((s) => Buffer.from(s));
  return offered.some((s) => s.length === expected.length && timingSafeEqual(s, expected)) ? null : 'no valid signature';
}
