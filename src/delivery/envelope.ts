/** The body the hub POSTs to a subscriber: context, the subscriber's legacy secret, the payload. */
import type { EventRecord } from '../store/store.js';

export function eventEnvelope(event: EventRecord, secret: string, now: number): string {
  const context = JSON.stringify({
    issuedAt: new Date(now).toISOString(),
    action: event.action,
    community: event.communityId,
    version: event.version,
    publisher: event.publisher,
    eventId: event.id,
  });
  return `{"context":${context},"secret":${JSON.stringify(secret)},"data":${event.data ?? 'null'}}`;
}
