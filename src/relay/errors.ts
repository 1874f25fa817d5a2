/**
 * Why an outbound exchange with an app failed. The hub maps `timeout` to 504 ProviderTimeout,
 * `unavailable` to 502 ProviderUnavailable and `too_large` to 502 InvalidProviderResponse (calls);
 * deliveries record the message and retry.
 */
export type RelayErrorKind = 'timeout' | 'unavailable' | 'too_large';

export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly kind: RelayErrorKind;
  /** How long the exchange lasted until it failed, when an OutboundClient raised the error. */
  durationMs: number | undefined;

  constructor(kind: RelayErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.durationMs = undefined;
  }
}

export function isRelayError(err: unknown): err is RelayError {
  return err instanceof RelayError;
}
