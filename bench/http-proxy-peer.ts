/**
 * A peer of the request & respond benchmark: what a Node team would put in front of a provider
 * without the hub, `@fastify/http-proxy` forwarding every request to the same provider as is. It
 * validates nothing, authorizes nothing and answers the provider's bytes unwrapped, so it is a floor
 * for any proxy on Fastify, lower than the bare validating proxy.
 *
 * Environment: PROVIDER_URL (the provider's origin and path every call goes to), PORT (default: a free one).
 */
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { serveFastify } from './servers/child.js';

const providerUrl = process.env.PROVIDER_URL;
if (providerUrl === undefined) throw new Error('PROVIDER_URL is required');
const target = new URL(providerUrl);

const app = Fastify({ logger: false });
await app.register(proxy, {
  upstream: target.origin,
  prefix: '/v1/services/call',
  rewritePrefix: target.pathname,
  undici: { connections: 128, keepAliveTimeout: 60_000 },
});

await serveFastify(app, () => undefined);
