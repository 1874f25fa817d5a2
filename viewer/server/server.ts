/**
 * The viewer's own server: an ordinary consumer app of the hub. It holds the app token and the
 * subscriber secrets (never sent to the browser), keeps people's sessions (an opaque id in an
 * HttpOnly, SameSite=Lax cookie), and answers the front end's `/api/*` by discovering the
 * providers of an action in the person's community and calling them through the hub's public API.
 *
 * Entrance is live: the hub delivers `@layers:education:Entrance:created` to `POST /hooks/entrance`
 * (signature checked by the SDK); each notice is only a hint, so the server pulls
 * `getUpdatedAfter` from the publisher with its own cursor and pushes what it got to the open
 * pages of that community over server-sent events (`GET /api/entrance/stream`).
 *
 * Sign-in is a demo directory given by the caller (`people`): a real deployment replaces
 * `POST /api/session` with its SSO callback (docs/viewer.md).
 */
import fastifyStatic from '@fastify/static';
import { createClient, createSubscriberHandler, HubApiError, HubConnectionError, MemoryWebhookIdStore, type Provider } from '@api-hub/sdk';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  callDataFor,
  ENTRANCE_CREATED,
  ENTRANCE_UPDATED_AFTER,
  VIEW_ACTIONS,
  type Community,
  type Person,
  type SourceAnswer,
  type ViewName,
} from './contract.js';

export interface ViewerOptions {
  hubUrl: string;
  /** The viewer app's token (`hub_…`). */
  token: string;
  /** The app's signing secret and legacy secret, to verify the hub's event deliveries. */
  signingSecret: string;
  secret: string;
  /** The demo sign-in directory: the communities and their people. */
  communities: Community[];
  /** The built front end (viewer/dist); without it only the API is served. */
  staticDir?: string;
  /** Time a call waits for the provider, in ms (10 s when not given). */
  callTimeoutMs?: number;
}

export interface Viewer {
  app: FastifyInstance;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

interface Session {
  community: string;
  person: Person;
}

const COOKIE = 'viewer_session';
const SESSION_TTL_S = 8 * 60 * 60;
const PAGE = 100;

/** Headers of every answer: no inline script, no framing by another site, nothing sniffed. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/** The cookie value of `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** pt-BR unless the Accept-Language header prefers English. */
export function localeFrom(acceptLanguage: string | undefined): 'pt-BR' | 'en' {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', q] = part.trim().split(';q=');
      return { tag: tag.toLowerCase(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((l) => l.tag.startsWith('pt') || l.tag.startsWith('en'))
    .sort((a, b) => b.q - a.q);
  return ranked[0]?.tag.startsWith('en') ? 'en' : 'pt-BR';
}

/** What the browser may see of a failed call: the hub's type, a request id, never a secret. */
function failure(err: unknown): { type: string; message: string; requestId: string | null } {
  if (err instanceof HubApiError) return { type: err.type, message: err.body.error, requestId: err.requestId ?? null };
  if (err instanceof HubConnectionError) return { type: 'HubUnavailable', message: 'the hub did not answer', requestId: err.requestId };
  return { type: 'InternalError', message: 'unexpected error', requestId: null };
}

const errorBody = (status: number, type: string, error: string) => ({ status, type, error });

export async function createViewer(options: ViewerOptions): Promise<Viewer> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  const sessions = new Map<string, Session & { expires: number }>();
  const clients = new Map<string, ReturnType<typeof createClient>>();
  const hub = (community: string) => {
    let client = clients.get(community);
    if (!client) {
      client = createClient({ hubUrl: options.hubUrl, token: options.token, community });
      clients.set(community, client);
    }
    return client;
  };
  const streams = new Map<string, Set<ServerResponse>>();
  const cursors = new Map<string, string>();
  const pulling = new Map<string, Promise<void>>();

  // Set before any route: Fastify gives each route the error handler in force when it is added.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(status).send(errorBody(status, status === 500 ? 'InternalError' : 'InvalidRequest', status === 500 ? 'unexpected error' : err.message));
  });
  app.addHook('onSend', async (_req, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  });

  const sessionOf = (req: FastifyRequest): Session | undefined => {
    const id = readCookie(req.headers.cookie, COOKIE);
    const session = id === undefined ? undefined : sessions.get(id);
    if (!session || session.expires < Date.now()) return undefined;
    return session;
  };
  const requireSession = (req: FastifyRequest, reply: FastifyReply): Session | undefined => {
    const session = sessionOf(req);
    if (!session) void reply.code(401).send(errorBody(401, 'Unauthorized', 'sign in first'));
    return session;
  };

  // ---- Sign-in (demo directory; an SSO callback takes this place in a real deployment) ----
  app.get('/api/directory', { schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } }, () => ({
    communities: options.communities.map((c) => ({ id: c.id, name: c.name, people: c.people.map((p) => ({ id: p.id, name: p.name, role: p.role })) })),
  }));
  app.post<{ Body: { community: string; person: string } }>(
    '/api/session',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['community', 'person'],
          properties: { community: { type: 'string', maxLength: 100 }, person: { type: 'string', maxLength: 100 } },
        },
      },
    },
    async (req, reply) => {
      const community = options.communities.find((c) => c.id === req.body.community);
      const person = community?.people.find((p) => p.id === req.body.person);
      if (!community || !person) return reply.code(400).send(errorBody(400, 'InvalidRequest', 'no such person in that community'));
      const id = randomBytes(24).toString('base64url');
      sessions.set(id, { community: community.id, person, expires: Date.now() + SESSION_TTL_S * 1000 });
      void reply.header('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_S}`);
      return { community: { id: community.id, name: community.name }, person: { id: person.id, name: person.name, role: person.role } };
    },
  );
  app.get('/api/session', async (req, reply) => {
    const session = sessionOf(req);
    const locale = localeFrom(req.headers['accept-language']);
    if (!session) return reply.code(401).send({ ...errorBody(401, 'Unauthorized', 'not signed in'), locale });
    const community = options.communities.find((c) => c.id === session.community)!;
    return {
      community: { id: community.id, name: community.name },
      person: { id: session.person.id, name: session.person.name, role: session.person.role },
      locale,
    };
  });
  app.delete('/api/session', async (req, reply) => {
    const id = readCookie(req.headers.cookie, COOKIE);
    if (id !== undefined) sessions.delete(id);
    void reply.header('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    return reply.code(204).send();
  });

  // ---- A view's data: every provider of its action in the community, or the one chosen ----
  app.get<{ Params: { view: string }; Querystring: { provider?: string; tab?: string } }>(
    '/api/views/:view',
    {
      schema: {
        params: { type: 'object', required: ['view'], properties: { view: { type: 'string', maxLength: 40 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { provider: { type: 'string', maxLength: 100 }, tab: { type: 'string', minLength: 1, maxLength: 100 } },
        },
      },
    },
    async (req, reply) => {
      const session = requireSession(req, reply);
      if (!session) return reply;
      const action = VIEW_ACTIONS[req.params.view as ViewName];
      if (action === undefined) return reply.code(404).send(errorBody(404, 'NotFound', 'no such view'));
      if (req.params.view === 'items' && req.query.tab === undefined)
        return reply.code(400).send(errorBody(400, 'InvalidRequest', 'items need the catalogue tab (?tab=)'));
      const client = hub(session.community);
      let providers: Provider[];
      try {
        providers = await client.discover(action as never, { version: 1 });
      } catch (err) {
        return { action, providers: [], sources: [], error: failure(err) };
      }
      const chosen = req.query.provider === undefined ? providers : providers.filter((p) => p.id === req.query.provider);
      const user = { id: session.person.id, name: session.person.name, alias: session.person.alias };
      const data = callDataFor(req.params.view as ViewName, user, req.query, new Date());
      const sources: SourceAnswer[] = await Promise.all(
        chosen.map(async (p): Promise<SourceAnswer> => {
          const provider = { id: p.id, displayName: p.displayName };
          try {
            const answer: unknown = await client.call(action as never, p.id, data, { version: 1, timeoutMs: options.callTimeoutMs ?? 10_000 });
            return { provider, ok: true, data: answer };
          } catch (err) {
            return { provider, ok: false, error: failure(err) };
          }
        }),
      );
      return { action, providers: providers.map((p) => ({ id: p.id, displayName: p.displayName })), sources };
    },
  );

  // ---- Entrance, live ----
  const push = (community: string, entries: unknown[]) => {
    const text = `event: entries\ndata: ${JSON.stringify(entries)}\n\n`;
    for (const res of streams.get(community) ?? []) res.write(text);
  };
  /** Pulls what changed since the community's cursor, from the provider that published; one pull at a time. */
  const pull = (community: string, provider: string): Promise<void> => {
    const running = pulling.get(community);
    if (running) return running.then(() => pull(community, provider));
    const run = (async () => {
      for (;;) {
        const after = cursors.get(community) ?? startOfDay();
        const { result } = (await hub(community).call(ENTRANCE_UPDATED_AFTER as never, provider, { after, limit: PAGE }, { version: 1 })) as {
          result: { updatedAt: string }[];
        };
        if (result.length > 0) {
          cursors.set(
            community,
            result.reduce((max, e) => (e.updatedAt > max ? e.updatedAt : max), after),
          );
          push(community, result);
        }
        if (result.length < PAGE) return;
      }
    })().finally(() => pulling.delete(community));
    pulling.set(community, run);
    return run;
  };
  await app.register(async (scope) => {
    await scope.register(
      createSubscriberHandler(
        { action: ENTRANCE_CREATED, signingSecrets: [options.signingSecret], secrets: [options.secret], dedupe: new MemoryWebhookIdStore() },
        ({ context }) => {
          // Acknowledge at once; the pull goes through the hub on its own time.
          pull(context.community, context.publisher).catch(() => undefined);
        },
      ).fastify('/hooks/entrance'),
    );
  }, {});
  app.get('/api/entrance/stream', async (req, reply) => {
    const session = requireSession(req, reply);
    if (!session) return reply;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', ...SECURITY_HEADERS });
    res.write(': open\n\n');
    let set = streams.get(session.community);
    if (!set) streams.set(session.community, (set = new Set()));
    set.add(res);
    const keepAlive = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(keepAlive);
      set.delete(res);
    });
  });

  // ---- The front end ----
  if (options.staticDir !== undefined && existsSync(options.staticDir)) {
    await app.register(fastifyStatic, { root: options.staticDir, wildcard: false, maxAge: '1h', index: ['index.html'], preCompressed: true });
    app.setNotFoundHandler((req, reply) => {
      if (req.url.startsWith('/api/') || req.url.startsWith('/hooks/')) return reply.code(404).send(errorBody(404, 'NotFound', 'no such route'));
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    });
  }

  return {
    app,
    listen: (port = 0, host = '127.0.0.1') => app.listen({ port, host }),
    async close() {
      for (const set of streams.values()) for (const res of set) res.end();
      await app.close();
    },
  };
}

/** Midnight today in São Paulo, where the demo school is: the day's first possible entry. */
function startOfDay(now = new Date()): string {
  const local = new Date(now.getTime() - 3 * 3600_000).toISOString().slice(0, 10);
  return new Date(`${local}T00:00:00-03:00`).toISOString();
}
