/**
 * The request actions of the catalogue as an OpenAPI 3.1 document, in the shape of Layers' API Hub
 * reference: a `POST /services/call/<action>/{provider}` operation per action, whose `version`
 * parameter lists the action's versions and whose bodies are the versions' schemas (one version:
 * its schema; several: `anyOf` them, as OpenAPI gives a path one POST); and, under `webhooks`, one
 * operation per action version for what the provider receives: the signed envelope `{ context,
 * secret, data }` and the answer it must give. Retired versions are left out; a deprecated version's
 * webhook operation is `deprecated`, and so is the call operation once all its versions are.
 * Built from a catalogue, pure.
 */
import type { Catalog, CatalogEntry } from '../catalog/catalog.js';
import { DEFAULT_CALL_TIMEOUT_MS } from '../catalog/definition.js';
import { HubError, type ErrorType } from '../errors.js';
import { embedSchema } from './embed-schema.js';
import {
  CALL_CONTEXT_SCHEMA,
  HUB_ERROR_SCHEMA,
  SECRET_SCHEMA,
  TRACEPARENT_HEADER,
  WEBHOOK_HEADERS,
  acceptedExamples,
  componentName,
  entriesOfKind,
  pascalName,
  type CatalogDocumentInfo,
} from './shared.js';

type Json = Record<string, unknown>;

const ref = (...path: string[]) => ({ $ref: `#/${path.join('/')}` });
const schemaRef = (name: string) => ref('components', 'schemas', name);

/** The errors a call can answer, in the order a client meets them. */
const CALL_ERRORS: Array<{ type: ErrorType; when: string; example: string }> = [
  {
    type: 'InvalidRequest',
    when: "Malformed JSON, a bad parameter, a missing or conflicting community, or a body that does not match the action's schema (`details`).",
    example: 'the body does not match the request schema of "@scope:Name:verb" version 1',
  },
  { type: 'Unauthorized', when: 'No token, or an unknown or revoked one.', example: 'no token: send Authorization: Bearer <app token>' },
  {
    type: 'Forbidden',
    when: 'The caller is not installed in the community, or does not list the action in `services.requests`.',
    example: 'app "student-viewer" does not list "@scope:Name:verb" in services.requests of its manifest',
  },
  {
    type: 'NotFound',
    when: 'Unknown action or version; the provider unknown, not installed, or not responding to it (one answer for the three).',
    example: 'no provider "erp-modelo" of "@scope:Name:verb" in this community',
  },
  {
    type: 'PayloadTooLarge',
    when: "A body over the hub's limit (1 MiB by default).",
    example: 'the body is larger than the limit of 1048576 bytes (HUB_BODY_LIMIT)',
  },
  { type: 'UnsupportedMediaType', when: 'A body that is not JSON, or not UTF-8.', example: 'the body must be JSON, sent with content-type: application/json' },
  {
    type: 'TooManyRequests',
    when: 'Over the rate limit of the app in the community; `Retry-After` says when to try again.',
    example: 'app "student-viewer" exceeded 100 calls per second in community "escola-modelo"',
  },
  {
    type: 'ProviderError',
    when: 'The provider answered a status other than 2xx: its status, and its small JSON body, under `provider`.',
    example: 'app "erp-modelo" answered 500',
  },
  {
    type: 'InvalidProviderResponse',
    when: 'The provider answered something that is not JSON, too much, or against the response schema (`details`).',
    example: 'the answer of app "erp-modelo" does not match the response schema of "@scope:Name:verb" version 1',
  },
  { type: 'ProviderUnavailable', when: 'The provider could not be reached.', example: 'could not reach app "erp-modelo": connection refused' },
  { type: 'ServiceUnavailable', when: 'The hub is shutting down.', example: 'the hub is shutting down; send the request again, to another instance or later' },
  { type: 'ProviderTimeout', when: 'No complete answer within the timeout.', example: 'app "erp-modelo" gave no complete answer within 10000 ms' },
];

const EXAMPLE_CONTEXT = {
  issuedAt: '2024-03-18T10:12:00.000Z',
  community: 'escola-modelo',
  consumer: 'student-viewer',
  requestId: '5f0c6d2e-8a4b-4c1d-9e3f-7a2b1c0d9e8f',
};
const EXAMPLE_SECRET = 'qL0b1Xv7m3Jc9yR2tW5kZp8sN4hG6dF1aE0uI7oY3cB';

/** One response per status, each error type of that status an example. */
function errorResponses(): Json {
  const byStatus = new Map<number, typeof CALL_ERRORS>();
  for (const error of CALL_ERRORS) {
    const status = new HubError(error.type, '').status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), error]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, errors]) => [
      `Error${status}`,
      {
        description: errors.map(({ type, when }) => `${type}: ${when}`).join(' '),
        content: jsonContent(
          schemaRef('HubError'),
          Object.fromEntries(errors.map(({ type, example }) => [type, { value: new HubError(type, example).toBody(EXAMPLE_CONTEXT.requestId) }])),
        ),
      },
    ]),
  );
}

const ERROR_RESPONSES = errorResponses();

/** The headers of an answer of a deprecated version (src/services/deprecation.ts). */
const DEPRECATION_HEADERS: Json = {
  Deprecation: {
    description: 'On the answers of a deprecated version: when it was deprecated, as `@<seconds since the Unix epoch>` (RFC 9745).',
    schema: { type: 'string', pattern: '^@[0-9]+$', examples: ['@1767225600'] },
  },
  Link: {
    description: 'On the answers of a deprecated version with a newer active one: `<its page in the reference>; rel="successor-version"`.',
    schema: { type: 'string', examples: ['</reference/#/actions/%40scope%3AName%3Averb/2>; rel="successor-version"'] },
  },
};

/** One schema for the versions: the version's own, or `anyOf` them. */
function eitherOf(names: string[]): Json {
  return names.length === 1 ? schemaRef(names[0]!) : { anyOf: names.map(schemaRef) };
}

function namedExamples(byVersion: Array<{ version: number; values: unknown[] }>, wrap: (value: unknown, version: number) => unknown): Json | undefined {
  const examples: Json = {};
  for (const { version, values } of byVersion) {
    values.forEach((value, i) => {
      examples[`v${version}-${i + 1}`] = { summary: `version ${version}, example ${i + 1}`, value: wrap(value, version) };
    });
  }
  return Object.keys(examples).length === 0 ? undefined : examples;
}

function jsonContent(schema: Json, examples: Json | undefined): Json {
  return { 'application/json': { schema, ...(examples !== undefined && { examples }) } };
}

function describeVersions(entries: readonly CatalogEntry[]): string {
  return entries
    .map(
      ({ definition, status }) =>
        `- version ${definition.version}${status === 'deprecated' ? ' (deprecated)' : ''}: ${definition.title}${definition.description === undefined ? '' : `. ${definition.description}`} (timeout ${definition.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS} ms by default)`,
    )
    .join('\n');
}

export function catalogOpenApi(catalog: Catalog, info: CatalogDocumentInfo): Json {
  const schemas: Json = { HubError: HUB_ERROR_SCHEMA, CallContext: CALL_CONTEXT_SCHEMA };
  const paths: Json = {};
  const webhooks: Json = {};
  const tags: Json[] = [];
  const operationIds = new Set<string>();
  const uniqueOperationId = (wanted: string): string => {
    let id = wanted;
    for (let n = 2; operationIds.has(id); n += 1) id = `${wanted}${n}`;
    operationIds.add(id);
    return id;
  };

  for (const { id, entries } of entriesOfKind(catalog, 'request')) {
    const newest = entries[entries.length - 1]!.definition;
    tags.push({ name: id, description: newest.title });
    const dataNames: string[] = [];
    const answerNames: string[] = [];
    const dataExamples: Array<{ version: number; values: unknown[] }> = [];
    const responseExamples: Array<{ version: number; values: unknown[] }> = [];
    for (const entry of entries) {
      const { version, title, description, dataSchema, responseSchema } = entry.definition;
      const name = componentName(id, version);
      const place = (part: string) => ['components', 'schemas', `${name}.${part}`];
      schemas[`${name}.data`] = embedSchema(dataSchema, place('data'));
      schemas[`${name}.response`] = embedSchema(responseSchema ?? true, place('response'));
      schemas[`${name}.answer`] = {
        type: 'object',
        description: `What the hub answers the consumer: the provider's answer under \`data\`.`,
        required: ['data'],
        properties: { data: schemaRef(`${name}.response`) },
      };
      schemas[`${name}.envelope`] = {
        type: 'object',
        description: "What the provider receives: the consumer's data exactly as sent, with context and the provider's secret.",
        required: ['context', 'secret', 'data'],
        properties: { context: schemaRef('CallContext'), secret: SECRET_SCHEMA, data: schemaRef(`${name}.data`) },
      };
      dataNames.push(`${name}.data`);
      answerNames.push(`${name}.answer`);
      const examples = acceptedExamples(entry, info);
      dataExamples.push({ version, values: examples.data });
      responseExamples.push({ version, values: examples.response });

      const envelopeExample = (data: unknown) => ({ context: { ...EXAMPLE_CONTEXT, action: id, version }, secret: EXAMPLE_SECRET, data });
      webhooks[`${id} v${version}`] = {
        post: {
          operationId: uniqueOperationId(`provide${pascalName(id)}V${version}`),
          ...(entry.status === 'deprecated' && { deprecated: true }),
          tags: [id],
          summary: `${title}: what the provider receives (version ${version})`,
          description: `What the hub POSTs to the URL a provider gave for \`${id}\` in \`services.responds\`, and the answer it expects.${description === undefined ? '' : `\n\n${description}`}`,
          security: [],
          parameters: [
            ...Object.keys(WEBHOOK_HEADERS).map((header) => ref('components', 'parameters', header)),
            ref('components', 'parameters', 'traceparent'),
            ref('components', 'parameters', 'x-request-id'),
          ],
          requestBody: {
            required: true,
            content: jsonContent(schemaRef(`${name}.envelope`), namedExamples([{ version, values: examples.data }], envelopeExample)),
          },
          responses: {
            '200': {
              description:
                'The answer, checked against the response schema before it reaches the consumer (any 2xx status will do; an empty body counts as `null`).',
              content: jsonContent(
                schemaRef(`${name}.response`),
                namedExamples([{ version, values: examples.response }], (value) => value),
              ),
            },
            default: { description: 'Any other status: the consumer receives a ProviderError (502) with this status and a small JSON body.' },
          },
        },
      };
    }

    paths[`/services/call/${id}/{provider}`] = {
      post: {
        operationId: uniqueOperationId(`call${pascalName(id)}`),
        // One operation for every version: deprecated once none of them is left active.
        ...(entries.every((entry) => entry.status === 'deprecated') && { deprecated: true }),
        tags: [id],
        summary: newest.title,
        description: `Calls a provider of \`${id}\` installed in the community. The hub checks the body against the version's request schema, forwards it to the provider, checks the answer against the response schema and returns it under \`data\`.\n\n${describeVersions(entries)}`,
        parameters: [
          ref('components', 'parameters', 'provider'),
          ref('components', 'parameters', 'X-Community-Id'),
          ref('components', 'parameters', 'community-id'),
          {
            name: 'version',
            in: 'query',
            required: false,
            description: 'The version to call. By default the highest version both the hub and the provider support.',
            schema: { type: 'integer', enum: entries.map((entry) => entry.definition.version) },
          },
          ref('components', 'parameters', 'timeout'),
        ],
        requestBody: {
          required: true,
          content: jsonContent(
            eitherOf(dataNames),
            namedExamples(dataExamples, (value) => value),
          ),
        },
        responses: {
          '200': {
            description: "The provider's answer, checked.",
            ...(entries.some((entry) => entry.status === 'deprecated') && { headers: DEPRECATION_HEADERS }),
            content: jsonContent(
              eitherOf(answerNames),
              namedExamples(responseExamples, (value) => ({ data: value })),
            ),
          },
          ...Object.fromEntries(Object.keys(ERROR_RESPONSES).map((name) => [name.slice('Error'.length), ref('components', 'responses', name)])),
        },
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'API Hub action catalogue',
      version: info.version,
      description:
        'The request actions this hub knows, built-in and defined by its operator, as the hub runs them now. A consumer app calls a provider through `POST /services/call/<action>/{provider}`; the provider receives what `webhooks` describes. Event actions are described by `asyncapi.json` beside this document.',
    },
    servers: [{ url: '/v1', description: 'This hub' }],
    tags,
    security: [{ appToken: [] }],
    paths,
    webhooks,
    components: {
      schemas,
      parameters: {
        provider: { name: 'provider', in: 'path', required: true, description: 'Id of the provider app, as discover lists it.', schema: { type: 'string' } },
        'X-Community-Id': {
          name: 'X-Community-Id',
          in: 'header',
          required: true,
          description:
            'The community the call is made in (what Layers apps send). `community-id` or `?_community=` are accepted instead; when several are given they must agree.',
          schema: { type: 'string', maxLength: 200 },
        },
        'community-id': {
          name: 'community-id',
          in: 'header',
          required: false,
          description: "The community, as Layers' documentation names the header.",
          schema: { type: 'string', maxLength: 200 },
        },
        timeout: {
          name: 'timeout',
          in: 'query',
          required: false,
          description: `How long to wait for the provider, in ms: the action's timeout by default (${DEFAULT_CALL_TIMEOUT_MS} ms unless the action says otherwise), and never more than the hub's HUB_MAX_CALL_TIMEOUT.`,
          schema: { type: 'integer', minimum: 1 },
        },
        ...Object.fromEntries(
          Object.entries(WEBHOOK_HEADERS).map(([header, schema]) => [
            header,
            { name: header, in: 'header', required: true, description: schema.description, schema },
          ]),
        ),
        traceparent: { name: 'traceparent', in: 'header', required: true, description: TRACEPARENT_HEADER.description, schema: TRACEPARENT_HEADER },
        'x-request-id': {
          name: 'x-request-id',
          in: 'header',
          required: true,
          description: "The id of the consumer's request, as `context.requestId`.",
          schema: { type: 'string' },
        },
      },
      responses: ERROR_RESPONSES,
      securitySchemes: {
        appToken: { type: 'http', scheme: 'bearer', description: "The calling app's token, issued by the hub's operator." },
      },
    },
  };
}
