/** The headers of everything the hub sends to an app: JSON, Standard Webhooks signature, trace. */
import { secretsInEffect } from '../registry/app-secrets.js';
import type { AppRecord } from '../registry/types.js';
import { newMessageId, signatureHeaders } from './signing.js';
import { nextTraceparent } from './trace.js';

export function signedHeaders(
  app: AppRecord,
  body: string,
  now: number,
  incomingTraceparent: string | string[] | undefined,
  messageId: string = newMessageId(),
): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...signatureHeaders(messageId, Math.floor(now / 1000), body, secretsInEffect(app, now).signingSecrets),
    traceparent: nextTraceparent(typeof incomingTraceparent === 'string' ? incomingTraceparent : undefined),
  };
}
