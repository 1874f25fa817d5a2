/**
 * The conformance checks of a provider for one request action: what the hub needs of it, tried
 * over HTTP as the hub would send it. Each check sends one signed (or deliberately badly signed)
 * request and says whether the answer is what a conformant provider gives:
 * - each example of the action, and the unknown-fields variant: a 2xx within the action's timeout,
 *   JSON that matches the response schema (each problem with its JSON pointer);
 * - generated inputs at the schema's bounds (minimal and maximal): an answer within the timeout
 *   that is not a 5xx (a 4xx is the provider's right), and when 2xx one that matches the schema;
 * - a missing signature, a wrong signature, a timestamp 10 minutes old: refused with a 4xx.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { DEFAULT_CALL_TIMEOUT_MS } from '../catalog/definition.js';
import { compileAction, type CompiledAction } from '../catalog/validators.js';
import type { ErrorDetail } from '../errors.js';
import { generateSigningSecret, newMessageId, sign } from '../relay/signing.js';
import { excerpt, noAnswerReason } from './reach.js';
import type { ActionVersion } from './actions.js';
import { sampleFromSchema, seededRandom, type SampleMode } from './schema-sample.js';

export interface CheckResult {
  name: string;
  passed: boolean;
  /** What happened, in a sentence. */
  summary: string;
  /** The answer's status, when there was one. */
  status?: number;
  durationMs?: number;
  /** The answer's problems against the response schema. */
  problems?: ErrorDetail[];
  /** When the check failed on an answer: the start of its body (at most 300 characters), so the
   * report shows what the provider said. */
  body?: string;
}

export interface ConformanceReport {
  action: string;
  version: number;
  url: string;
  passed: boolean;
  checks: CheckResult[];
}

export interface ConformanceOptions {
  url: string;
  signingSecret: string;
  /** The legacy secret put in each body (default empty). */
  secret?: string;
  /** Overrides the action's timeout, in ms. */
  timeoutMs?: number;
  /** Seed of the generated inputs. */
  seed?: number;
}

/** Providers must refuse a timestamp this old; Standard Webhooks' tolerance is 5 minutes. */
const OLD_TIMESTAMP_SECONDS = 600;
const UNKNOWN_FIELD = 'x-conformance-unknown-field';

interface Answer {
  status: number;
  body: string;
  durationMs: number;
}

type Signing = 'valid' | 'missing' | 'wrong' | 'old';

export async function runConformance(action: ActionVersion, options: ConformanceOptions): Promise<ConformanceReport> {
  const { definition } = action;
  if (definition.kind !== 'request') throw new Error(`"${definition.id}" is an event action; conformance checks providers of request actions`);
  const compiled = compileAction(definition);
  const timeoutMs = options.timeoutMs ?? definition.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const send = (data: unknown, signing: Signing, extra: Record<string, unknown> = {}) =>
    post(definition.id, definition.version, data, signing, extra, options, timeoutMs);

  const examples = action.examples?.data.valid ?? [];
  const random = seededRandom(options.seed ?? 1);
  const generated = (['minimal', 'maximal'] as SampleMode[])
    .map((mode) => ({ mode, data: sampleFromSchema(definition.dataSchema, random, mode) }))
    .filter(({ data }) => compiled.validateData(data) === null);
  const reference = examples[0] ?? generated[0]?.data ?? null;

  const checks: CheckResult[] = [];
  for (const [i, data] of examples.entries()) checks.push(answered(`example ${i + 1}`, await send(data, 'valid'), compiled, timeoutMs, true));
  for (const { mode, data } of generated) checks.push(answered(`boundary values (${mode})`, await send(data, 'valid'), compiled, timeoutMs, false));
  checks.push(answered('unknown fields', await send(withUnknownField(reference, compiled), 'valid', { [UNKNOWN_FIELD]: true }), compiled, timeoutMs, true));
  checks.push(refused('missing signature', await send(reference, 'missing'), timeoutMs));
  checks.push(refused('wrong signature', await send(reference, 'wrong'), timeoutMs));
  checks.push(refused('old timestamp', await send(reference, 'old'), timeoutMs));
  return { action: definition.id, version: definition.version, url: options.url, passed: checks.every((c) => c.passed), checks };
}

/** The data with an unknown property added when it is an object and the schema still accepts it. */
function withUnknownField(data: unknown, compiled: CompiledAction): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const extended = { ...data, [UNKNOWN_FIELD]: 'ignore me' };
  return compiled.validateData(extended) === null ? extended : data;
}

async function post(
  action: string,
  version: number,
  data: unknown,
  signing: Signing,
  extra: Record<string, unknown>,
  options: ConformanceOptions,
  timeoutMs: number,
): Promise<Answer | Error> {
  const context = {
    issuedAt: new Date().toISOString(),
    action,
    community: 'conformance',
    version,
    consumer: 'api-hub-conformance',
    requestId: randomUUID(),
    ...extra,
  };
  const body = JSON.stringify({ context, secret: options.secret ?? '', data, ...extra });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signing !== 'missing') {
    const id = newMessageId();
    const timestamp = Math.floor(Date.now() / 1000) - (signing === 'old' ? OLD_TIMESTAMP_SECONDS : 0);
    const secret = signing === 'wrong' ? generateSigningSecret() : options.signingSecret;
    Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': sign(id, timestamp, body, secret) });
  }
  const started = performance.now();
  try {
    const res = await request(options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.body.text();
    return { status: res.statusCode, body: text, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    const error = err as Error;
    return error.name === 'TimeoutError' || error.name === 'AbortError'
      ? new Error(`no answer within ${timeoutMs} ms`)
      : new Error(`no answer from ${options.url}: ${noAnswerReason(error)}`);
  }
}

/** A check of an answer that must come within the timeout and match the response schema;
 * `mustSucceed`: a 4xx fails too (examples must be answered). */
function answered(name: string, answer: Answer | Error, compiled: CompiledAction, timeoutMs: number, mustSucceed: boolean): CheckResult {
  if (answer instanceof Error) return { name, passed: false, summary: answer.message };
  const { status, durationMs } = answer;
  if (status < 200 || status > 299) {
    const passed = !mustSucceed && status >= 400 && status < 500;
    return {
      name,
      passed,
      status,
      durationMs,
      summary: `answered ${status}${passed ? ' (refused as the provider may)' : mustSucceed ? ', not 2xx' : ': a server error'}`,
      ...(!passed && { body: bodyExcerpt(answer) }),
    };
  }
  let parsed: unknown;
  try {
    parsed = answer.body === '' ? null : JSON.parse(answer.body);
  } catch {
    return {
      name,
      passed: false,
      status,
      durationMs,
      summary: `answered ${status} with a body that is not JSON`,
      problems: [{ pointer: '', message: 'is not JSON' }],
      body: bodyExcerpt(answer),
    };
  }
  const problems = compiled.validateResponse!(parsed);
  if (problems !== null)
    return {
      name,
      passed: false,
      status,
      durationMs,
      summary: `answered ${status} with JSON that does not match the response schema`,
      problems: [...problems],
      body: bodyExcerpt(answer),
    };
  return { name, passed: true, status, durationMs, summary: `answered ${status} within ${timeoutMs} ms, matching the response schema` };
}

/** A check of a request the provider must refuse with a 4xx. */
function refused(name: string, answer: Answer | Error, timeoutMs: number): CheckResult {
  if (answer instanceof Error) return { name, passed: false, summary: answer.message };
  const { status, durationMs } = answer;
  const passed = status >= 400 && status < 500;
  return {
    name,
    passed,
    status,
    durationMs,
    summary: passed ? `refused with ${status} within ${timeoutMs} ms` : `accepted with ${status}: the provider must refuse it (4xx)`,
    ...(!passed && { body: bodyExcerpt(answer) }),
  };
}

const BODY_EXCERPT_CHARS = 300;

function bodyExcerpt(answer: Answer): string {
  return answer.body === '' ? '(empty)' : excerpt(answer.body, BODY_EXCERPT_CHARS);
}
