/** The headers of everything the hub sends to an app: JSON, Standard Webhooks signature, trace. */
import type { AppRecord } from '../registry/types.js';
import { newMessageId, signatureHeaders } from './signing.js';
import { nextTraceparent } from './trace.js';

/** The app's signing secrets in use at `now`: the current one, and the previous one during the
 * overlap window after a rotation, so receivers that have not switched yet still verify. */
export function signingSecretsOf(app: AppRecord, now: number): string[] {
  return app.previousSigningSecret !== null && (app.previousSigningSecretExpiresAt ?? 0) > now
    ? [app.signingSecret, app.previousSigningSecret]
    : [app.signingSecret];
}

export function signedHeaders(
  app: AppRecord,
  body: string,
  now: number,
  incomingTraceparent: string | string[] | undefined,
  messageId: string = newMessageId(),
): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...signatureHeaders(messageId, Math.floor(now / 1000), body, signingSecretsOf(app, now)),
    traceparent: nextTraceparent(typeof incomingTraceparent === 'string' ? incomingTraceparent : undefined),
  };
}
