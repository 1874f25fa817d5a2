/**
 * POST /services/call/:action/:provider — checks in the SPEC's order, then forwards the body as
 * received inside the signed envelope, validates the provider's answer and wraps it in `data`.
 * Nothing that fails a check is forwarded, and a call that reached the provider is never retried.
 *
 * What the consumer sees of a failure names the provider and the kind of failure, never an address
 * nor which of "no such app", "not installed" or "not responding" it was; the full reason goes to
 * the log line and the audit log (`request.trail.error`). The provider's legacy secret is redacted
 * from everything passed on from its answer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_CALL_TIMEOUT_MS } from '../catalog/definition.js';
import { HubError, invalidBody, notFound } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import type { HubConfig } from '../config.js';
import { legacySecretsToHide, secretsInEffect } from '../registry/app-secrets.js';
import type { Provider, RegistrySnapshot } from '../registry/registry.js';
import { RelayError } from '../relay/errors.js';
import { signedHeaders } from '../relay/envelope.js';
import { redactJson, redactValue } from '../relay/redaction.js';
import type { Catalog } from '../catalog/catalog.js';
import { checkCallerAndAction, integerParam, type CallerDeps, type PublicRoute } from './caller.js';
import { deprecationHeaders, retiredError } from './deprecation.js';

export type CallDeps = CallerDeps & Pick<HubDeps, 'outbound'> & { config: Pick<HubConfig, 'maxCallTimeoutMs' | 'maxProviderResponseBytes'> };

/** The call route's parameters, checked by its route schema (routes.ts). */
export interface CallRoute {
  Params: PublicRoute['Params'] & { provider: string };
  Querystring: PublicRoute['Querystring'];
}
type CallRequest = FastifyRequest<CallRoute>;

/** Largest provider error body echoed to the consumer under `provider.body`. */
const MAX_ECHOED_ERROR_BYTES = 4096;
/** Longest reason kept in the audit log. */
const MAX_TRAIL_ERROR_LENGTH = 1000;

/** The provider, or one 404 whatever is missing, so that an app cannot learn which apps exist. */
function findProvider(registry: RegistrySnapshot, communityId: string, providerId: string, action: string, request: FastifyRequest): Provider {
  const provider = registry.provider(communityId, providerId, action);
  if (provider !== undefined) return provider;
  request.trail.error = !registry.apps.has(providerId)
    ? `no app "${providerId}"`
    : !registry.isActive(communityId, providerId)
      ? `app "${providerId}" is not installed (or not enabled) in community "${communityId}"`
      : `app "${providerId}" does not respond to "${action}"`;
  throw notFound(`no provider "${providerId}" of "${action}" in this community`);
}

/** The version to call: the one asked for, or the highest both the action (retired versions left
 * out) and provider support. A provider left with retired versions only gets the retired answer. */
function chooseVersion(catalog: Catalog, actionVersions: readonly number[], provider: Provider, requested: number | undefined, action: string): number {
  const providerVersions = provider.responds.versions;
  if (requested !== undefined) {
    if (!providerVersions.includes(requested)) throw notFound(`app "${provider.app.id}" does not respond to version ${requested} of "${action}"`);
    return requested;
  }
  const common = providerVersions.filter((v) => actionVersions.includes(v));
  if (common.length === 0) {
    const retired = providerVersions.filter((v) => catalog.hasVersion(action, v));
    if (retired.length > 0) throw retiredError(catalog, action, Math.max(...retired));
    throw notFound(`app "${provider.app.id}" responds to no version of "${action}" that the hub knows`);
  }
  return Math.max(...common);
}

function parseProviderJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HubError('InvalidProviderResponse', 'the provider answered something that is not JSON');
  }
}

/** A small JSON error body, with the provider's secrets redacted; undefined when there is none to
 * echo. */
function providerErrorBody(body: Buffer, secrets: readonly string[]): unknown {
  if (body.length === 0 || body.length > MAX_ECHOED_ERROR_BYTES) return undefined;
  try {
    return redactValue(JSON.parse(body.toString('utf8')), secrets);
  } catch {
    return undefined;
  }
}

/** The error answered for a failed exchange; what the consumer reads names no host or address. */
function relayFailure(err: unknown, providerId: string, timeoutMs: number): HubError {
  if (!(err instanceof RelayError)) return new HubError('ProviderUnavailable', `could not reach app "${providerId}"`, { cause: err });
  switch (err.kind) {
    case 'timeout':
      return new HubError('ProviderTimeout', `app "${providerId}" gave no complete answer within ${timeoutMs} ms`);
    case 'too_large':
      return new HubError('InvalidProviderResponse', `app "${providerId}" answered more than the hub accepts: ${err.message}`);
    case 'unavailable':
    case 'denied':
      return new HubError('ProviderUnavailable', `could not reach app "${providerId}": ${err.publicReason}`);
  }
}

export async function call(deps: CallDeps, request: CallRequest, reply: FastifyReply): Promise<FastifyReply> {
  try {
    return await forward(deps, request, reply);
  } catch (err) {
    // The operator's reason: the one set where it is more precise than the answer, else the answer's.
    const reason = request.trail.error ?? (err instanceof Error ? err.message : String(err));
    request.trail.error = reason.length > MAX_TRAIL_ERROR_LENGTH ? `${reason.slice(0, MAX_TRAIL_ERROR_LENGTH)}…` : reason;
    throw err;
  }
}

async function forward(deps: CallDeps, request: CallRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { app: consumer, communityId, action, versions: actionVersions, requestedVersion } = checkCallerAndAction(deps, request, 'request');
  const requestedTimeout = integerParam(request, 'timeout');
  const providerId = request.params.provider;
  request.trail.provider = providerId;
  const provider = findProvider(deps.registry.current, communityId, providerId, action, request);
  const catalog = deps.catalog.current;
  const version = chooseVersion(catalog, actionVersions, provider, requestedVersion, action);
  request.trail.version = version;
  const entry = catalog.get(action, version)!;

  const data = request.body === undefined ? null : request.body;
  const problems = entry.validateData(data);
  if (problems) throw invalidBody(request.body, `the request schema of "${action}" version ${version}`, problems);

  const timeoutMs = Math.min(requestedTimeout ?? entry.definition.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, deps.config.maxCallTimeoutMs);
  const now = Date.now();
  const context = JSON.stringify({
    issuedAt: new Date(now).toISOString(),
    action,
    community: communityId,
    version,
    consumer: consumer.id,
    requestId: request.id,
  });
  const body = `{"context":${context},"secret":${JSON.stringify(secretsInEffect(provider.app, now).legacySecret)},"data":${request.rawBody ?? 'null'}}`;
  const headers = signedHeaders(provider.app, body, now, request.headers.traceparent);
  headers['x-request-id'] = request.id;

  let answer;
  try {
    answer = await deps.outbound.post(provider.responds.url, body, headers, {
      timeoutMs,
      maxResponseBytes: deps.config.maxProviderResponseBytes,
    });
  } catch (err) {
    if (err instanceof RelayError) request.trail.error = `${err.kind}: ${err.message}`;
    throw relayFailure(err, providerId, timeoutMs);
  }
  request.trail.providerStatus = answer.status;
  const secrets = legacySecretsToHide(provider.app);
  if (answer.status < 200 || answer.status > 299) {
    const echoed = providerErrorBody(answer.body, secrets);
    throw new HubError('ProviderError', `app "${providerId}" answered ${answer.status}`, {
      provider: echoed === undefined ? { status: answer.status } : { status: answer.status, body: echoed },
    });
  }
  const text = answer.body.length === 0 ? 'null' : answer.body.toString('utf8');
  const parsed = parseProviderJson(text);
  const responseProblems = entry.validateResponse!(parsed);
  if (responseProblems) {
    // Pointers name the answer's keys, which may hold a secret too.
    throw new HubError('InvalidProviderResponse', `the answer of app "${providerId}" does not match the response schema of "${action}" version ${version}`, {
      details: redactValue(responseProblems, secrets) ?? [],
    });
  }
  const passed = redactJson(text, parsed, secrets);
  if (passed === undefined) throw new HubError('InvalidProviderResponse', `the answer of app "${providerId}" is nested too deeply`);
  request.outcome = 'ok';
  return reply
    .code(200)
    .headers(deprecationHeaders(catalog, action, version))
    .type('application/json; charset=utf-8')
    .send(`{"data":${passed}}`);
}
