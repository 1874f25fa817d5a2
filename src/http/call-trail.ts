/**
 * What a public route learned about a request as its checks ran (who called, for which
 * community, action, provider), read after the answer by the audit log, metrics and access log.
 */
export interface CallTrail {
  consumer?: string;
  community?: string;
  action?: string;
  provider?: string;
  version?: number;
  providerStatus?: number;
  /** Why the call failed, for the operator (log line and audit log); may name addresses. */
  error?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    trail: CallTrail;
  }
}
