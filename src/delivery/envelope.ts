/** The body the hub POSTs to a subscriber: context, the subscriber's legacy secret in effect, the payload. */
import { secretsInEffect } from '../registry/app-secrets.js';
import type { AppRecord } from '../registry/types.js';
import type { EventRecord } from './types.js';

export function eventEnvelope(event: EventRecord, subscriber: AppRecord, now: number): string {
  const context = JSON.stringify({
    issuedAt: new Date(now).toISOString(),
    action: event.action,
    community: event.communityId,
    version: event.version,
    publisher: event.publisher,
    eventId: event.id,
  });
  return `{"context":${context},"secret":${JSON.stringify(secretsInEffect(subscriber, now).legacySecret)},"data":${event.data ?? 'null'}}`;
}
