/**
 * POST /services/call/:action/:provider — checks in the SPEC's order, then forwards the body as
 * received inside the signed envelope, validates the provider's answer and wraps it in `data`.
 * Nothing that fails a check is forwarded, and a call that reached the provider is never retried.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_CALL_TIMEOUT_MS } from '../catalog/definition.js';
import { HubError, invalidRequest, notFound } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import { secretsInEffect } from '../registry/app-secrets.js';
import type { Provider, RegistrySnapshot } from '../registry/registry.js';
import { RelayError } from '../relay/errors.js';
import { signedHeaders } from '../relay/envelope.js';
import { checkCallerAndAction, integerParam } from './caller.js';

/** Largest provider error body echoed to the consumer under `provider.body`. */
const MAX_ECHOED_ERROR_BYTES = 4096;

function findProvider(registry: RegistrySnapshot, communityId: string, providerId: string, action: string): Provider {
  const provider = registry.provider(communityId, providerId, action);
  if (provider !== undefined) return provider;
  if (!registry.apps.has(providerId)) throw notFound(`no app "${providerId}"`);
  if (!registry.isActive(communityId, providerId)) throw notFound(`app "${providerId}" is not installed in community "${communityId}"`);
  throw notFound(`app "${providerId}" does not respond to "${action}"`);
}

/** The version to call: the one asked for, or the highest both the action and provider support. */
function chooseVersion(actionVersions: readonly number[], provider: Provider, requested: number | undefined, action: string): number {
  const providerVersions = provider.responds.versions ?? [1];
  if (requested !== undefined) {
    if (!providerVersions.includes(requested)) throw notFound(`app "${provider.app.id}" does not respond to version ${requested} of "${action}"`);
    return requested;
  }
  const common = providerVersions.filter((v) => actionVersions.includes(v));
  if (common.length === 0) throw notFound(`app "${provider.app.id}" responds to no version of "${action}" that the hub knows`);
  return Math.max(...common);
}

function parseProviderJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HubError('InvalidProviderResponse', 'the provider answered something that is not JSON');
  }
}

function providerErrorBody(body: Buffer): unknown {
  if (body.length === 0 || body.length > MAX_ECHOED_ERROR_BYTES) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function relayFailure(err: unknown, providerId: string, timeoutMs: number): HubError {
  if (!(err instanceof RelayError)) return new HubError('ProviderUnavailable', `could not reach app "${providerId}"`, { cause: err });
  switch (err.kind) {
    case 'timeout':
      return new HubError('ProviderTimeout', `app "${providerId}" gave no complete answer within ${timeoutMs} ms`);
    case 'too_large':
      return new HubError('InvalidProviderResponse', `app "${providerId}" answered more than the hub accepts: ${err.message}`);
    case 'unavailable':
      return new HubError('ProviderUnavailable', `could not reach app "${providerId}": ${err.message}`);
  }
}

export async function call(deps: HubDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { app: consumer, communityId, action, versions: actionVersions, requestedVersion } = checkCallerAndAction(deps, request, 'request');
  const requestedTimeout = integerParam(request, 'timeout');
  const providerId = (request.params as { provider: string }).provider;
  request.trail.provider = providerId;
  const provider = findProvider(deps.registry.snapshot, communityId, providerId, action);
  const version = chooseVersion(actionVersions, provider, requestedVersion, action);
  request.trail.version = version;
  const entry = deps.catalog.current.get(action, version)!;

  const data = request.body === undefined ? null : request.body;
  const problems = entry.validateData(data);
  if (problems) throw invalidRequest(`the body does not match the request schema of "${action}" version ${version}`, problems);

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
    throw relayFailure(err, providerId, timeoutMs);
  }
  request.trail.providerStatus = answer.status;
  if (answer.status < 200 || answer.status > 299) {
    const echoed = providerErrorBody(answer.body);
    throw new HubError('ProviderError', `app "${providerId}" answered ${answer.status}`, {
      provider: echoed === undefined ? { status: answer.status } : { status: answer.status, body: echoed },
    });
  }
  const text = answer.body.length === 0 ? 'null' : answer.body.toString('utf8');
  const responseProblems = entry.validateResponse!(parseProviderJson(text));
  if (responseProblems) {
    throw new HubError('InvalidProviderResponse', `the answer of app "${providerId}" does not match the response schema of "${action}" version ${version}`, {
      details: responseProblems,
    });
  }
  request.outcome = 'ok';
  return reply.code(200).type('application/json; charset=utf-8').send(`{"data":${text}}`);
}
