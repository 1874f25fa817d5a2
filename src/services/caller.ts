/**
 * Who is calling, and for which community: the first checks of every public route, in the order
 * the SPEC fixes (token, then community, then installation, then the rate limit). They run in an
 * onRequest hook, before the body is read, so an unauthenticated request costs almost nothing.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { ActionKind } from '../catalog/definition.js';
import { forbidden, invalidRequest, notFound, unauthorized } from '../errors.js';
import type { HubDeps } from '../hub-deps.js';
import { tokenFromAuthorization } from '../registry/credentials.js';
import type { RegistrySnapshot } from '../registry/registry.js';
import type { AppRecord } from '../registry/types.js';
import '../http/call-trail.js';
import { retiredError } from './deprecation.js';

/** What authenticating a caller and checking its action read. */
export type CallerDeps = Pick<HubDeps, 'catalog' | 'registry' | 'rateLimiter'>;

export interface Caller {
  app: AppRecord;
  communityId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the `authenticateCaller` hook of the public routes. */
    caller?: Caller;
  }
}

const MAX_COMMUNITY_ID_LENGTH = 200;

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) {
    if (new Set(value).size > 1) throw invalidRequest(`${name} is given more than once with different values`);
    return value[0];
  }
  return value;
}

/** The community from `community-id`, `X-Community-Id` or `?_community=`; they must agree. */
export function communityOf(request: FastifyRequest): string {
  const query = request.query as Record<string, string | string[] | undefined>;
  // The common case, as Layers clients send it: one X-Community-Id and nothing else.
  const header = request.headers['x-community-id'];
  if (
    typeof header === 'string' &&
    header !== '' &&
    header.length <= MAX_COMMUNITY_ID_LENGTH &&
    request.headers['community-id'] === undefined &&
    query._community === undefined
  ) {
    return header;
  }
  const given = [
    single(request.headers['community-id'], 'the community-id header'),
    single(request.headers['x-community-id'], 'the X-Community-Id header'),
    single(query._community, 'the _community parameter'),
  ].filter((v): v is string => v !== undefined && v !== '');
  if (given.length === 0) {
    throw invalidRequest('no community: send it in the community-id or X-Community-Id header, or the _community query parameter');
  }
  const community = given[0]!;
  if (given.some((v) => v !== community)) {
    throw invalidRequest(`the community is given with different values (${[...new Set(given)].map((v) => JSON.stringify(v)).join(', ')})`);
  }
  if (community.length > MAX_COMMUNITY_ID_LENGTH) throw invalidRequest('the community id is too long');
  return community;
}

/** Authenticates the caller and checks it is installed in the community. */
export function identifyCaller(request: FastifyRequest, registry: RegistrySnapshot): Caller {
  const token = tokenFromAuthorization(request.headers.authorization);
  if (token === undefined) throw unauthorized('no token: send Authorization: Bearer <app token>');
  const app = registry.authenticate(token);
  if (app === undefined) throw unauthorized('the token is unknown or revoked');
  request.trail.consumer = app.id;
  const communityId = communityOf(request);
  request.trail.community = communityId;
  if (!registry.isActive(communityId, app.id)) {
    throw forbidden(`app "${app.id}" is not installed in community "${communityId}"`);
  }
  return { app, communityId };
}

/** What the route schemas of the public routes (routes.ts) have checked: an action id, a provider
 * id on the call route, positive integers as text in `version` and `timeout`. */
export interface PublicRoute {
  Params: { action: string };
  Querystring: { version?: string; timeout?: string };
}
export type PublicRequest = FastifyRequest<PublicRoute>;

/** An optional positive integer query parameter, already checked: absent or empty is undefined. */
export function integerParam(request: PublicRequest, name: 'version' | 'timeout'): number | undefined {
  const raw = request.query[name];
  return raw === undefined || raw === '' ? undefined : Number(raw);
}

export interface CheckedAction extends Caller {
  action: string;
  /** Versions of the action that can be used (none retired), ascending. */
  versions: readonly number[];
  /** The `version` query parameter, checked to exist. */
  requestedVersion: number | undefined;
}

const LIST_OF: Record<ActionKind, 'requests' | 'publishes'> = { request: 'requests', event: 'publishes' };
const KIND_NAME: Record<ActionKind, string> = { request: 'a request action', event: 'an event action' };
/** Said when an action is used through the other kind's route, so the client sees where it belongs. */
const KIND_ROUTE: Record<ActionKind, string> = {
  request: 'call it with POST /v1/services/call/:action/:provider',
  event: 'publish it with POST /v1/services/publish/:action',
};

/**
 * onRequest hook of the public routes: token, community, caller installed, rate limit — before
 * the body is read or parsed. In callback style, as it runs on every call.
 */
export function authenticateCaller(deps: CallerDeps) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    try {
      const caller = identifyCaller(request, deps.registry.current);
      deps.rateLimiter.take(caller.app.id, caller.communityId);
      request.caller = caller;
      done();
    } catch (err) {
      done(err as Error);
    }
  };
}

/**
 * The checks a call and a publish share, in the SPEC's order, after those of the onRequest hook:
 * action of that kind exists (and version), caller lists it in its manifest.
 */
export function checkCallerAndAction(deps: CallerDeps, request: PublicRequest, kind: ActionKind): CheckedAction {
  const caller = request.caller;
  if (caller === undefined) throw new Error('a public route was registered without the authenticateCaller hook');
  const action = request.params.action;
  request.trail.action = action;
  const requestedVersion = integerParam(request, 'version');
  const catalog = deps.catalog.current;
  const known = catalog.versions(action);
  const actualKind = catalog.kindOf(action);
  if (known.length === 0 || actualKind === undefined) throw notFound(`unknown action "${action}"`);
  if (actualKind !== kind) throw notFound(`"${action}" is ${KIND_NAME[actualKind]}, not ${KIND_NAME[kind]}: ${KIND_ROUTE[actualKind]}`);
  if (requestedVersion !== undefined && !known.includes(requestedVersion)) throw notFound(`action "${action}" has no version ${requestedVersion}`);
  const versions = catalog.liveVersions(action);
  if (requestedVersion !== undefined && !versions.includes(requestedVersion)) throw retiredError(catalog, action, requestedVersion);
  if (versions.length === 0) throw notFound(`every version of "${action}" is retired`);
  const list = LIST_OF[kind];
  if (!caller.app.manifest.services[list].some((entry) => entry.action === action)) {
    throw forbidden(`app "${caller.app.id}" does not list "${action}" in services.${list} of its manifest`);
  }
  return { ...caller, action, versions, requestedVersion };
}
