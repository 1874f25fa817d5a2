/**
 * The event actions of the catalogue as an AsyncAPI 3 document, seen from the hub, which sends
 * each event to its subscribers: a channel per event action with a message per version (the signed
 * delivery `{ context, secret, data }`, `data` following the version's payload schema, kept in
 * JSON Schema 2020-12 through `schemaFormat`), a `send` operation per action, and as its reply the
 * answers a subscriber may give (2xx acknowledges, 410 unsubscribes, anything else is retried).
 * Built from a catalogue, pure.
 */
import type { Catalog } from '../catalog/catalog.js';
import { embedSchema } from './embed-schema.js';
import {
  EVENT_CONTEXT_SCHEMA,
  SECRET_SCHEMA,
  TRACEPARENT_HEADER,
  WEBHOOK_HEADERS,
  acceptedExamples,
  componentName,
  entriesOfKind,
  type CatalogDocumentInfo,
} from './shared.js';

type Json = Record<string, unknown>;

const JSON_SCHEMA_2020_12 = 'application/schema+json;version=draft-2020-12';
const ref = (...path: string[]) => ({ $ref: `#/${path.join('/')}` });

const DELIVERY_HEADERS = {
  type: 'object',
  required: ['content-type', ...Object.keys(WEBHOOK_HEADERS), 'traceparent'],
  properties: { 'content-type': { type: 'string', const: 'application/json' }, ...WEBHOOK_HEADERS, traceparent: TRACEPARENT_HEADER },
};

/** What a subscriber may answer a delivery, and what the hub does then. */
const ANSWERS: Json = {
  Acknowledged: {
    name: 'Acknowledged',
    title: 'Acknowledged (any 2xx)',
    summary: 'The subscriber has the event: the delivery is done. The body is not read.',
    bindings: { http: { statusCode: 200, bindingVersion: '0.3.0' } },
  },
  Unsubscribed: {
    name: 'Unsubscribed',
    title: 'Gone (410)',
    summary: 'The subscriber wants no more of this action in this community: its subscription is disabled until the operator enables it again.',
    bindings: { http: { statusCode: 410, bindingVersion: '0.3.0' } },
  },
  RetryLater: {
    name: 'RetryLater',
    title: 'Any other status, or no answer in time',
    summary:
      "The delivery is tried again on the hub's retry schedule (HUB_RETRY_SCHEDULE, with jitter; a `Retry-After` header is honoured between 1 s and 24 h), with the same `webhook-id`, until the schedule ends; then it is dead and the operator can replay it.",
    headers: { type: 'object', properties: { 'Retry-After': { type: 'string', description: 'Seconds, or an HTTP date.', examples: ['120'] } } },
    bindings: { http: { statusCode: 503, bindingVersion: '0.3.0' } },
  },
};

const EXAMPLE_HEADERS = {
  'content-type': 'application/json',
  'webhook-id': WEBHOOK_HEADERS['webhook-id'].examples[0],
  'webhook-timestamp': WEBHOOK_HEADERS['webhook-timestamp'].examples[0],
  'webhook-signature': WEBHOOK_HEADERS['webhook-signature'].examples[0],
  traceparent: TRACEPARENT_HEADER.examples[0],
};
const MERGED_NOTE = 'Deliveries pending for one subscriber may be merged into one carrying the newest event: do not count events.';
const EXAMPLE_SECRET = 'qL0b1Xv7m3Jc9yR2tW5kZp8sN4hG6dF1aE0uI7oY3cB';

export function catalogAsyncApi(catalog: Catalog, info: CatalogDocumentInfo): Json {
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = { ...ANSWERS };
  for (const { id, entries } of entriesOfKind(catalog, 'event')) {
    const channel = id.slice(1).replaceAll(':', '.');
    const newest = entries[entries.length - 1]!.definition;
    const channelMessages: Json = {};
    for (const entry of entries) {
      const { version, title, description, dataSchema, coalesce } = entry.definition;
      const name = componentName(id, version);
      const notes = [description, coalesce === true ? MERGED_NOTE : undefined].filter((text) => text !== undefined);
      const examples = acceptedExamples(entry, info).data.map((data, i) => ({
        name: `v${version}-${i + 1}`,
        headers: EXAMPLE_HEADERS,
        payload: {
          context: {
            issuedAt: '2024-03-18T10:12:03.000Z',
            action: id,
            community: 'escola-modelo',
            version,
            publisher: 'erp-modelo',
            eventId: 'evt_01HS8Q3M2V9D4K7X5B0N6C1T8R',
          },
          secret: EXAMPLE_SECRET,
          data,
        },
      }));
      messages[name] = {
        name: `${id} v${version}`,
        title: `${title} (version ${version})`,
        summary: `A delivery of \`${id}\` version ${version}, POSTed to the URL the subscriber gave in \`services.subscribes\`.`,
        ...(notes.length > 0 && { description: notes.join('\n\n') }),
        contentType: 'application/json',
        headers: DELIVERY_HEADERS,
        payload: {
          schemaFormat: JSON_SCHEMA_2020_12,
          schema: {
            type: 'object',
            required: ['context', 'secret', 'data'],
            properties: {
              context: EVENT_CONTEXT_SCHEMA,
              secret: SECRET_SCHEMA,
              data: embedSchema(dataSchema, ['components', 'messages', name, 'payload', 'schema', 'properties', 'data']),
            },
          },
        },
        ...(examples.length > 0 && { examples }),
      };
      channelMessages[`v${version}`] = ref('components', 'messages', name);
    }
    channels[channel] = {
      title: id,
      summary: newest.title,
      description: `Deliveries of \`${id}\` to one subscriber: the subscriber's own URL, from its manifest. Publishers send the data with \`POST /v1/services/publish/${id}\`.`,
      messages: channelMessages,
    };
    operations[`${channel}.deliver`] = {
      action: 'send',
      channel: ref('channels', channel),
      title: `Deliver ${id}`,
      summary: `The hub delivers each \`${id}\` event, signed, to every subscriber installed in the community, until acknowledged.`,
      messages: Object.keys(channelMessages).map((key) => ref('channels', channel, 'messages', key)),
      reply: { messages: Object.keys(ANSWERS).map((key) => ref('components', 'messages', key)) },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'API Hub event catalogue',
      version: info.version,
      description:
        'The event actions this hub knows, built-in and defined by its operator, as the hub runs them now: what a subscriber receives for each, and what it may answer. Request actions are described by `openapi.json` beside this document.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}
