/**
 * Why an outbound exchange with an app failed. The hub maps `timeout` to 504 ProviderTimeout,
 * `unavailable` and `denied` (the outbound policy refused the address) to 502 ProviderUnavailable
 * and `too_large` to 502 InvalidProviderResponse (calls); deliveries record the message and retry.
 *
 * The message is for the operator (logs, audit and delivery logs) and may name the host and its
 * address; `publicReason` says the kind of failure without any address, for the consumer.
 */
export type RelayErrorKind = 'timeout' | 'unavailable' | 'denied' | 'too_large';

const GENERIC_REASON: Record<RelayErrorKind, string> = {
  timeout: 'no complete answer in time',
  unavailable: 'the exchange failed',
  denied: 'its address is refused by the hub’s outbound policy',
  too_large: 'the answer is larger than the hub accepts',
};

export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly kind: RelayErrorKind;
  /** The kind of failure in a few words, naming no host or address: safe to show a consumer. */
  readonly publicReason: string;
  /** How long the exchange lasted until it failed, when an OutboundClient raised the error. */
  durationMs: number | undefined;

  constructor(kind: RelayErrorKind, message: string, options: { cause?: unknown; publicReason?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.publicReason = options.publicReason ?? GENERIC_REASON[kind];
    this.durationMs = undefined;
  }
}

export function isRelayError(err: unknown): err is RelayError {
  return err instanceof RelayError;
}
