/**
 * The baseline of the request & respond benchmark: the least a validating proxy must do, and
 * nothing else. Fastify; the catalogue's schemas compiled once with Ajv 2020 (same options as the
 * hub); an undici Agent to the provider. Per call: validate the body, POST `{context, secret, data}`
 * to the provider, validate its answer, answer `{data}`. No auth, community, registry, signature,
 * audit, metrics or logs.
 *
 * Environment: PROVIDER_URL (where every call goes), PORT (default: a free one).
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { loadBuiltinCatalog } from '../src/catalog/builtin.js';
import { serveFastify } from './servers/child.js';

const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

const providerUrl = process.env.PROVIDER_URL;
if (providerUrl === undefined) throw new Error('PROVIDER_URL is required');

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);
const actions = new Map<string, { validateData: ValidateFunction; validateResponse: ValidateFunction }>();
for (const action of loadBuiltinCatalog()) {
  if (action.kind !== 'request' || action.version !== 1 || action.responseSchema === undefined) continue;
  actions.set(action.id, { validateData: ajv.compile(action.dataSchema), validateResponse: ajv.compile(action.responseSchema) });
}

const agent = new Agent({ connections: 128, keepAliveTimeout: 60_000 });
const app = Fastify({ logger: false });

app.post<{ Params: { action: string; provider: string } }>('/v1/services/call/:action/:provider', async (req, reply) => {
  const action = actions.get(req.params.action);
  if (action === undefined) return reply.code(404).send({ error: 'unknown action' });
  if (!action.validateData(req.body)) return reply.code(400).send({ error: 'invalid body', details: action.validateData.errors });
  const envelope = {
    context: { issuedAt: new Date().toISOString(), action: req.params.action, community: 'bench', version: 1, consumer: 'bench', requestId: randomUUID() },
    secret: 'bench-secret',
    data: req.body,
  };
  const res = await request(providerUrl, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(envelope),
  });
  const answer: unknown = await res.body.json();
  if (res.statusCode < 200 || res.statusCode >= 300) return reply.code(502).send({ error: 'provider error', status: res.statusCode });
  if (!action.validateResponse(answer)) return reply.code(502).send({ error: 'invalid provider answer', details: action.validateResponse.errors });
  return { data: answer };
});

await serveFastify(app, () => agent.close());
