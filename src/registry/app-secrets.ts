/**
 * Which of an app's secrets the hub uses at a given moment, and what a rotation changes. The
 * overlap rule is written here and nowhere else.
 *
 * A rotation makes a new legacy secret and a new signing secret. Until the overlap ends
 * (HUB_SECRET_OVERLAP, 24 h by default) the hub signs with both signing secrets, so a receiver
 * verifies with either, and keeps sending the old legacy secret, since a body carries only one:
 * the app switches to the new one, announced at the rotation with the time it takes effect, at
 * its own pace within the window.
 */
import type { AppRecord } from './types.js';

export interface SecretsInEffect {
  /** The legacy secret to put in the body of what is sent now. */
  legacySecret: string;
  /** During an overlap: the legacy secret sent once it ends. */
  nextLegacySecret: string | null;
  /** The signing secrets to sign with now: the current one, then the previous one during an overlap. */
  signingSecrets: string[];
  /** When the overlap ends; null outside one. */
  overlapEndsAt: number | null;
}

export function secretsInEffect(app: AppRecord, now: number): SecretsInEffect {
  const overlapEndsAt = app.previousSecretsExpireAt !== null && app.previousSecretsExpireAt > now ? app.previousSecretsExpireAt : null;
  const oldLegacy = overlapEndsAt === null ? null : app.previousSecret;
  const oldSigning = overlapEndsAt === null ? null : app.previousSigningSecret;
  return {
    legacySecret: oldLegacy ?? app.secret,
    nextLegacySecret: oldLegacy === null ? null : app.secret,
    signingSecrets: oldSigning === null ? [app.signingSecret] : [app.signingSecret, oldSigning],
    overlapEndsAt,
  };
}

/** Every legacy secret the app was given and the hub still knows: the current one, and the
 * previous one (sent during the overlap, and possibly still echoed after it). None of them may reach
 * another app. */
export function legacySecretsToHide(app: AppRecord): string[] {
  return app.previousSecret === null ? [app.secret] : [app.secret, app.previousSecret];
}

/**
 * The app after a rotation at `now` to the `fresh` secrets. The legacy secret kept for the overlap
 * is the one sent at `now`: rotating again during an overlap keeps sending what apps still expect,
 * and the secret announced by the first rotation is never sent. The signing secret kept is the
 * current one, as receivers verify with any of the signatures.
 */
export function rotateSecrets(app: AppRecord, fresh: { secret: string; signingSecret: string }, now: number, overlapMs: number): AppRecord {
  return {
    ...app,
    secret: fresh.secret,
    previousSecret: secretsInEffect(app, now).legacySecret,
    signingSecret: fresh.signingSecret,
    previousSigningSecret: app.signingSecret,
    previousSecretsExpireAt: now + overlapMs,
    updatedAt: now,
  };
}
