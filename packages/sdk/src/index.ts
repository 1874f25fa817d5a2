/** @api-hub/sdk: the client, the verification of what the hub sends, handlers and types. */
export { createClient } from './client.js';
export type {
  ActionData,
  ActionMap,
  ActionResponse,
  CallOptions,
  ClientOptions,
  EventActionId,
  HubClient,
  Provider,
  PublishOptions,
  RequestActionId,
  VersionOf,
} from './client.js';
export { HubApiError, HubConnectionError, WebhookVerificationError } from './errors.js';
export type { HubErrorBody, HubErrorDetail, HubErrorType } from './errors.js';
export { parseEnvelope, signWebhook, verifyAndParse, verifyWebhook } from './webhooks.js';
export type { Envelope, EventContext, RequestContext, VerifyOptions, WebhookHeaders } from './webhooks.js';
export { createProviderHandler, createSubscriberHandler, handlersFor, reply, Reply } from './handlers.js';
export type { FastifyInstanceLike, HandlerOptions, HandlerResult, HubRequestHandler, SubscriberOptions } from './handlers.js';
export { MemoryWebhookIdStore } from './dedupe.js';
export type { MemoryStoreOptions, WebhookIdStore } from './dedupe.js';
export type * from './generated/builtin-actions.js';
