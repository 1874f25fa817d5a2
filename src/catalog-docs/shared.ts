/**
 * What both catalogue documents say the same way: names of an action's parts inside a document,
 * the envelope an app receives from the hub, the Standard Webhooks headers, the hub's error format,
 * and the examples that may be shown (only those the action's own validators accept). Pure.
 */
import { createHash } from 'node:crypto';
import type { Catalog, CatalogEntry } from '../catalog/catalog.js';
import type { ActionExamples } from '../catalog/definition.js';
import { ERROR_TYPES, MAX_ERROR_DETAILS } from '../errors.js';

export interface CatalogDocumentInfo {
  /** `info.version` of the document. */
  version: string;
  /** Examples of an action version, when it has some (the built-in actions ship theirs). */
  examples(id: string, version: number): ActionExamples | undefined;
}

/** A name usable as a component key (`^[A-Za-z0-9._-]+$`), one per action version and part:
 * `@layers:education:GradeBooks:getRelated` version 1 → `layers.education.GradeBooks.getRelated.v1`.
 * Action ids hold letters, digits, `_`, `-` and `:`, so replacing `:` by `.` keeps names distinct. */
export function componentName(id: string, version: number): string {
  return `${id.slice(1).replaceAll(':', '.')}.v${version}`;
}

/** `@layers:education:GradeBooks:getRelated` → `LayersEducationGradeBooksGetRelated`. */
export function pascalName(id: string): string {
  return id
    .slice(1)
    .split(/[:_-]/)
    .filter((part) => part !== '')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** The entries of one kind that apps can use, by action id, versions ascending: retired versions
 * are left out, and an action whose every version is retired. */
export function entriesOfKind(catalog: Catalog, kind: 'request' | 'event'): Array<{ id: string; entries: CatalogEntry[] }> {
  return catalog
    .ids()
    .filter((id) => catalog.kindOf(id) === kind)
    .map((id) => ({ id, entries: catalog.liveVersions(id).map((version) => catalog.get(id, version)!) }))
    .filter(({ entries }) => entries.length > 0);
}

/** The examples of an entry that its own validators accept: a document never shows an example
 * its schema refuses, even when an operator has redefined a built-in version. */
export function acceptedExamples(entry: CatalogEntry, info: CatalogDocumentInfo): { data: unknown[]; response: unknown[] } {
  const examples = info.examples(entry.definition.id, entry.definition.version);
  return {
    data: (examples?.data.valid ?? []).filter((value) => entry.validateData(value) === null),
    response: (examples?.response?.valid ?? []).filter((value) => entry.validateResponse?.(value) === null),
  };
}

/** What the documents show of an entry beyond its definition: its status, when not active. */
export const statusMark = (entry: CatalogEntry): string => (entry.status === 'active' ? '' : `${entry.status}@${entry.statusChangedAt}`);

/** A version of the document that changes whenever the catalogue does (a status included; a
 * catalogue of active versions digests as before statuses existed). */
export function catalogDigest(catalog: Catalog): string {
  const hash = createHash('sha256');
  for (const id of catalog.ids()) {
    for (const version of catalog.versions(id)) {
      const entry = catalog.get(id, version)!;
      hash.update(JSON.stringify(entry.definition)).update(statusMark(entry)).update('\n');
    }
  }
  return hash.digest('hex').slice(0, 16);
}

export const WEBHOOK_HEADERS = {
  'webhook-id': {
    type: 'string',
    description:
      'Id of the message (`msg_…`). An event delivery keeps it across retries, so a subscriber skips an id it has handled (a pending delivery merged with a newer event takes a new one).',
    examples: ['msg_2x8Sd0m1c4QeK7b9Yp3LzA'],
  },
  'webhook-timestamp': {
    type: 'string',
    pattern: '^[0-9]+$',
    description: 'When the message was signed, in seconds since the Unix epoch; reject messages far from your clock (5 minutes is usual).',
    examples: ['1710756720'],
  },
  'webhook-signature': {
    type: 'string',
    description:
      'Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` with the key of the app\'s signing secret (`whsec_<base64>`), over the exact bytes of the body. Several signatures, separated by spaces, while a rotated secret overlaps the new one: accept the message when one matches.',
    examples: ['v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='],
  },
} as const;

export const TRACEPARENT_HEADER = {
  type: 'string',
  description: "W3C trace context: the caller's trace continued, or a new one.",
  examples: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
};

/** What a provider finds in `context`. */
export const CALL_CONTEXT_SCHEMA = {
  type: 'object',
  description: 'Who asks, for which community, for which action and version.',
  required: ['issuedAt', 'action', 'community', 'version', 'consumer', 'requestId'],
  properties: {
    issuedAt: { type: 'string', format: 'date-time', description: 'When the hub forwarded the call.' },
    action: { type: 'string', description: 'The action id.' },
    community: { type: 'string', description: 'The community the call is made in.' },
    version: { type: 'integer', minimum: 1, description: 'The version of the action the data follows.' },
    consumer: { type: 'string', description: 'Id of the app that called.' },
    requestId: { type: 'string', description: 'The request id, also sent as `x-request-id`.' },
  },
};

/** What a subscriber finds in `context`. */
export const EVENT_CONTEXT_SCHEMA = {
  type: 'object',
  description: 'Which event, from whom, in which community.',
  required: ['issuedAt', 'action', 'community', 'version', 'publisher', 'eventId'],
  properties: {
    issuedAt: { type: 'string', format: 'date-time', description: 'When this attempt was sent.' },
    action: { type: 'string', description: 'The action id.' },
    community: { type: 'string', description: 'The community the event was published in.' },
    version: { type: 'integer', minimum: 1, description: 'The version of the action the data follows.' },
    publisher: { type: 'string', description: 'Id of the app that published.' },
    eventId: { type: 'string', description: 'Id of the event (`evt_…`); a merged delivery carries the newest event.' },
  },
};

export const SECRET_SCHEMA = {
  type: 'string',
  description:
    "The receiving app's legacy secret (`secret` of GET /v1/admin/apps/{appId}/secrets): compare it with your copy; the signature headers are the stronger check.",
};

/** The hub's error body (src/errors.ts). */
export const HUB_ERROR_SCHEMA = {
  type: 'object',
  description: "Every error of the hub. `status`, `type`, `name` and `error` are Layers' format.",
  required: ['status', 'type', 'name', 'error'],
  properties: {
    status: { type: 'integer', description: 'The HTTP status, repeated.' },
    type: { type: 'string', enum: ERROR_TYPES, description: 'The kind of error.' },
    name: { type: 'string', description: 'The HTTP reason phrase.', examples: ['Bad Request'] },
    error: { type: 'string', description: 'What went wrong, in a sentence.' },
    details: {
      type: 'array',
      maxItems: MAX_ERROR_DETAILS,
      description: `Each problem of a document, located by a JSON pointer; at most ${MAX_ERROR_DETAILS}.`,
      items: {
        type: 'object',
        required: ['pointer', 'message'],
        properties: {
          pointer: { type: 'string', description: 'JSON pointer (RFC 6901) into the checked document.' },
          message: { type: 'string' },
          keyword: { type: 'string', description: 'The JSON Schema keyword that failed.' },
        },
      },
    },
    provider: {
      type: 'object',
      description: 'ProviderError: what the provider answered.',
      required: ['status'],
      properties: { status: { type: 'integer' }, body: { description: 'Its body, when small and JSON, its secret redacted.' } },
    },
    requestId: { type: 'string', description: 'The request id, also in the `x-request-id` header.' },
  },
};
