/**
 * `GET /openapi.json`: the hub's own API (public, admin, health, catalogue documents) as an
 * OpenAPI 3.1 document, built from the routes as they are registered. An onRoute hook collects
 * each route's method, URL and schema (params, querystring, body, response) and its
 * `config.openapi` (summary, tag, answers); the document is built once, on the first request, from
 * what was collected. The same route schemas validate requests (route-validation.ts), so the
 * document cannot drift from what the hub checks. Building is pure; no I/O.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { catalogDir } from '../catalog/builtin.js';
import { HUB_ERROR_SCHEMA } from '../catalog-docs/shared.js';
import { ERROR_TYPES, HubError, type ErrorType } from '../errors.js';
import { HEADERS_TOO_LARGE } from '../http/error-handler.js';
import { HUB_ERROR_KEYWORD } from '../http/route-schemas.js';

type Json = Record<string, unknown>;

/** What a route says about itself in the document, beside its schema. */
export interface RouteDoc {
  summary: string;
  /** The answer on success: its status, what it is, and its schema when the route has no
   * `response` schema of its own. */
  success?: { status: number; description: string; schema?: Json; contentType?: string };
  /** More successful answers (e.g. 200 when an existing thing is replaced, 201 when created). */
  otherSuccess?: Array<{ status: number; description: string }>;
  /** The error types the route answers, beyond those every route of its kind answers. */
  errors?: ErrorType[];
  /** Request headers the route reads. */
  headers?: Array<{ name: string; description: string; schema?: Json }>;
  /** A body the hub validates itself (no body schema on the route), described. */
  body?: { description: string; schema: Json };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route in /openapi.json; `false` keeps it out (the 405 routes). */
    openapi?: RouteDoc | false;
  }
}

interface CollectedRoute {
  method: string;
  url: string;
  schema: Json;
  doc: RouteDoc | undefined;
  /** The admin scope the route declares (admin routes without one need `admin`). */
  adminScope: string | undefined;
}

/** Security schemes of the document. */
const SECURITY_SCHEMES = {
  appToken: { type: 'http', scheme: 'bearer', description: 'An app token (`hub_…`), issued by POST /v1/admin/apps/{appId}/tokens.' },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'The bootstrap operator token, HUB_ADMIN_TOKEN (at least 16 characters, scope `admin`), or an admin key (`hub_admin_…`, POST /v1/admin/keys) whose scope covers the operation (`x-admin-scope`).',
  },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'HUB_METRICS_TOKEN, when it is set; /metrics is open otherwise.' },
};

/** The area of a path: its tag, its security and the errors all its routes share. */
function areaOf(url: string): { tag: string; security: Json[]; errors: ErrorType[] } {
  if (url.startsWith('/v1/admin')) return { tag: 'admin', security: [{ adminToken: [] }], errors: ['Unauthorized', 'Forbidden'] };
  if (url.startsWith('/v1/services')) return { tag: 'services', security: [{ appToken: [] }], errors: ['Unauthorized', 'Forbidden', 'TooManyRequests'] };
  if (url === '/metrics') return { tag: 'health', security: [{ metricsToken: [] }, {}], errors: ['Unauthorized'] };
  if (url.startsWith('/v1/catalog') || url === '/openapi.json') return { tag: 'documents', security: [], errors: [] };
  return { tag: 'health', security: [], errors: [] };
}

const TAGS = [
  { name: 'services', description: 'The public routes of apps (Layers-compatible): discover, call, publish.' },
  { name: 'admin', description: 'The operator API: catalogue, apps, tokens, secrets, communities, logs.' },
  { name: 'health', description: 'Liveness, readiness and Prometheus metrics.' },
  { name: 'documents', description: 'The documents of the hub and of its catalogue.' },
];

/** A schema as the document shows it: without the hub's error wording. */
function documented(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(documented);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== HUB_ERROR_KEYWORD)
      .map(([key, value]) => [key, documented(value)]),
  );
}

function parametersOf(schema: Json, location: 'path' | 'query'): Json[] {
  const part = (location === 'path' ? schema.params : schema.querystring) as { properties?: Record<string, Json>; required?: string[] } | undefined;
  return Object.entries(part?.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = documented(property) as Json;
    return {
      name,
      in: location,
      required: location === 'path' || (part?.required ?? []).includes(name),
      ...(description !== undefined && { description }),
      schema: rest,
    };
  });
}

const errorRef = (type: ErrorType) => `#/components/responses/${type}`;

/** One reusable answer per error type, each with an example of the body. */
function errorResponses(): Json {
  const types = ERROR_TYPES;
  return Object.fromEntries(
    types.map((type) => {
      const example = new HubError(
        type,
        EXAMPLE_SENTENCES[type],
        type === 'InvalidRequest' ? { details: [{ pointer: '/query/limit', message: 'must be an integer from 1 to 1000' }] } : {},
      );
      return [
        type,
        {
          description: `${example.status} ${type}`,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/HubError' }, example: example.toBody('6b1d4c1e-51a3-4f4b-9a51-5a6c1f0d2e7b') },
          },
        },
      ];
    }),
  );
}

const EXAMPLE_SENTENCES: Record<ErrorType, string> = {
  InvalidRequest: 'limit must be an integer from 1 to 1000',
  Unauthorized: 'the token is unknown or revoked',
  Forbidden: 'app "student-viewer" is not installed in community "escola-modelo"',
  NotFound: 'no app "erp-modelo"',
  Conflict: 'delivery "d-1" is being attempted right now; replay it once the attempt is over',
  PayloadTooLarge: 'the body is larger than the limit of 1048576 bytes (HUB_BODY_LIMIT)',
  UnsupportedMediaType: 'the body must be JSON, sent with content-type: application/json',
  TooManyRequests: 'app "student-viewer" is over its rate limit in community "escola-modelo"',
  InternalError: 'the hub failed to handle this request; the operator can find it in the logs by its requestId',
  ServiceUnavailable: 'the storage cannot be reached',
  MethodNotAllowed: 'this route answers GET, HEAD only',
  ProviderError: 'app "erp-modelo" answered 500',
  InvalidProviderResponse: 'the answer of app "erp-modelo" does not match the response schema',
  ProviderUnavailable: 'app "erp-modelo" cannot be reached',
  ProviderTimeout: 'app "erp-modelo" did not answer within 10000 ms',
  RequestTimeout: 'the request was not received in time',
  UriTooLong: 'a path segment of the URL is longer than any id the hub knows',
  HeadersTooLarge: HEADERS_TOO_LARGE,
};

function operationOf(route: CollectedRoute, operationId: string): Json {
  const { schema, doc } = route;
  const area = areaOf(route.url);
  const headers = (doc?.headers ?? []).map(({ name, description, schema: value }) => ({
    name,
    in: 'header',
    required: false,
    description,
    schema: value ?? { type: 'string' },
  }));
  const parameters = [...parametersOf(schema, 'path'), ...parametersOf(schema, 'query'), ...headers];
  const responses: Json = {};
  const declared = (schema.response ?? {}) as Record<string, Json>;
  const success = doc?.success ?? { status: 200, description: 'Success' };
  const successSchema = declared[String(success.status)] ?? success.schema ?? {};
  const answer = (description: string, body: unknown, contentType = 'application/json') => ({
    description,
    content: { [contentType]: { schema: documented(body) } },
  });
  for (const [status, body] of Object.entries(declared)) responses[status] = answer(doc?.success?.description ?? 'Success', body);
  responses[String(success.status)] ??=
    success.status === 204 ? { description: success.description } : answer(success.description, successSchema, success.contentType);
  for (const other of doc?.otherSuccess ?? []) responses[String(other.status)] ??= answer(other.description, successSchema);
  const errors = new Set<ErrorType>([
    ...(parameters.length > 0 || schema.body !== undefined ? (['InvalidRequest'] as const) : []),
    ...area.errors,
    ...(doc?.errors ?? []),
  ]);
  // Types sharing a status (the 502s) are shown by the first the route lists.
  for (const type of errors) responses[String(new HubError(type, '').status)] ??= { $ref: errorRef(type) };
  responses.default = { $ref: errorRef('InternalError') };
  const body = schema.body === undefined ? doc?.body?.schema : (documented(schema.body) as Json);
  const scope = area.tag === 'admin' ? (route.adminScope ?? 'admin') : undefined;
  return {
    operationId,
    summary: doc?.summary ?? `${route.method} ${route.url}`,
    ...(scope !== undefined && {
      description: `Needs an admin key with the \`${scope}\` scope or a higher one (read < operate < admin); HUB_ADMIN_TOKEN has \`admin\`. Another key is answered 403.`,
      'x-admin-scope': scope,
    }),
    tags: [area.tag],
    security: area.security,
    ...(parameters.length > 0 && { parameters }),
    ...(body !== undefined && {
      requestBody: {
        required: false,
        ...(doc?.body !== undefined && { description: doc.body.description }),
        content: { 'application/json': { schema: body } },
      },
    }),
    responses,
  };
}

/** camelCase operation id from the method and the path: `get /v1/admin/apps/{appId}` → `getAdminAppsAppId`. */
function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(/^\/v1/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** Builds the document from the collected routes. Routes registered both under /v1 and without a
 * prefix are shown once, under /v1: the others are aliases. */
export function buildHubOpenApi(routes: readonly CollectedRoute[], version: string): Json {
  const urls = new Set(routes.map((r) => r.url));
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    if (urls.has(`/v1${route.url}`)) continue;
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operationOf(route, operationIdOf(route.method, path));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'API Hub',
      version,
      description:
        "The HTTP API of the hub itself: the public routes of apps, the operator API, health and the documents. Every error is `{ status, type, name, error, details?, provider?, requestId }` (`HubError`); a route schema's failure names the parameter by a JSON pointer (`/path/appId`, `/query/limit`, `/label`). The routes are also answered without the `/v1` prefix. The actions themselves are in /v1/catalog/openapi.json.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: TAGS,
    paths,
    components: { schemas: { HubError: HUB_ERROR_SCHEMA }, responses: errorResponses(), securitySchemes: SECURITY_SCHEMES },
  };
}

/** The hub's version, from the package.json beside the `catalog/` folder (run from src/ or dist/src/). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(dirname(catalogDir()), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

/** Collects the routes of `app` from now on; `GET /openapi.json` answers the document, built on
 * its first request from every route registered by then. */
export function registerHubOpenApi(app: FastifyInstance): void {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const doc = route.config?.openapi;
    if (doc === false) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, schema: (route.schema ?? {}) as Json, doc, adminScope: route.config?.adminScope });
    }
  });
  let text: string | undefined;
  app.get(
    '/openapi.json',
    {
      config: {
        openapi: {
          summary: "This document: the hub's API as OpenAPI 3.1.",
          success: { status: 200, description: 'The OpenAPI document.', schema: { type: 'object' } },
        },
      },
    },
    (_request, reply) => {
      text ??= JSON.stringify(buildHubOpenApi(routes, packageVersion()));
      return reply.type('application/json; charset=utf-8').send(text);
    },
  );
}
