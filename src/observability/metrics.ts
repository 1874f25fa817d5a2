/**
 * Prometheus metrics of one hub instance (its own registry, so several hubs in one process, as in
 * the tests, do not mix their numbers).
 *
 * Every label value comes from a bounded set, never from what a caller typed: route templates,
 * methods the HTTP parser knows, statuses and outcomes the hub answers, and action and provider ids
 * only once the catalogue and registry know them (`UNKNOWN_LABEL` otherwise). Each label value is
 * a series kept for the life of the process, so a made-up id per request would grow memory and
 * `/metrics` without bound.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The label value standing for any id the hub does not know. */
export const UNKNOWN_LABEL = 'unknown';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class HubMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram({
    name: 'hub_http_request_duration_seconds',
    help: 'HTTP requests served by the hub, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly calls = new Histogram({
    name: 'hub_call_duration_seconds',
    help: 'Calls through the hub (request & respond), by action, provider and outcome',
    labelNames: ['action', 'provider', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly rejectedRequests = new Counter({
    name: 'hub_rejected_requests_total',
    help: 'Public requests answered with an error before the caller was authenticated (not in the audit log), by error type',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly auditDropped = new Gauge({
    name: 'hub_audit_lines_dropped',
    help: 'Audit lines dropped because the store kept failing',
    registers: [this.registry],
  });

  readonly publishes = new Counter({
    name: 'hub_publishes_total',
    help: 'Events published, by action and outcome',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly deliveryAttempts = new Counter({
    name: 'hub_delivery_attempts_total',
    help: 'Delivery attempts to subscribers, by what followed (delivered, pending = will retry, dead, cancelled, unsubscribe)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly publishToDelivery = new Histogram({
    name: 'hub_publish_to_delivery_seconds',
    help: 'Time from a publish being acknowledged to its delivery being acknowledged by the subscriber',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 36000],
    registers: [this.registry],
  });

  readonly deliveries = new Gauge({
    name: 'hub_deliveries',
    help: 'Deliveries in storage that are pending (to be attempted) or dead (retries exhausted), by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
