import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayError } from '../src/relay/errors.js';
import { OutboundClient } from '../src/relay/http-client.js';
import { quiet, until } from './support/wait.js';

interface TestServer {
  url: string;
  server: Server;
  /** 'connection' events seen. */
  connections: number;
  requests: number;
  /** Sockets currently open on the server side. */
  open: Set<Socket>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<TestServer> {
  const server = createServer((req, res) => {
    t.requests++;
    void handler(req, res);
  });
  const t: TestServer = {
    url: '',
    server,
    connections: 0,
    requests: 0,
    open: new Set(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server.on('connection', (socket: Socket) => {
    t.connections++;
    t.open.add(socket);
    socket.on('close', () => t.open.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?x=1`;
  servers.push(t);
  return t;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

const OPTS = { timeoutMs: 2000, maxResponseBytes: 1 << 20 };
let client: OutboundClient;

beforeEach(() => {
  client = new OutboundClient({ connections: 16 });
});

afterEach(async () => {
  await client.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('OutboundClient', () => {
  it('POSTs the body and headers and returns a 200 JSON answer', async () => {
    let seen: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string } = {};
    const s = await serve(async (req, res) => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: await readBody(req) };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, echo: seen.body }));
    });
    const body = JSON.stringify({ data: { name: 'Zoë' } });
    const r = await client.post(s.url, body, { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, OPTS);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body.toString('utf8'))).toEqual({ ok: true, echo: body });
    expect(r.durationMs).toBeGreaterThan(0);
    expect(r.durationMs).toBeLessThan(2000);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/hook?x=1');
    expect(seen.headers?.['webhook-id']).toBe('msg_1');
    expect(seen.headers?.['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen.body).toBe(body);
  });

  it('sends Buffer bodies and returns empty bodies', async () => {
    const s = await serve(async (req, res) => {
      res.statusCode = (await readBody(req)) === 'raw' ? 204 : 400;
      res.end();
    });
    const r = await client.post(s.url, Buffer.from('raw'), {}, OPTS);
    expect(r.status).toBe(204);
    expect(r.body).toHaveLength(0);
  });

  it('returns a 500 as a status, with its body', async () => {
    const s = await serve((_req, res) => {
      res.statusCode = 500;
      res.end('{"error":"boom"}');
    });
    const r = await client.post(s.url, '{}', {}, OPTS);
    expect(r.status).toBe(500);
    expect(r.body.toString()).toBe('{"error":"boom"}');
  });

  it('times out when the headers are slow, within the bound, and closes the socket', async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const start = performance.now();
    const err = await rejection(client.post(s.url, '{}', {}, { timeoutMs: 200, maxResponseBytes: 1024 }));
    const elapsed = performance.now() - start;
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).kind).toBe('timeout');
    expect((err as RelayError).message).toMatch(/no complete answer within 200 ms/);
    expect((err as RelayError).durationMs).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(450);
    expect(s.requests).toBe(1);
    await until(() => s.open.size === 0);
  });

  it('times out when headers come fast but the body trickles', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const t = setInterval(() => res.write(' '), 30);
      res.on('close', () => clearInterval(t));
    });
    const start = performance.now();
    const err = await rejection(client.post(s.url, '{}', {}, { timeoutMs: 300, maxResponseBytes: 1 << 20 }));
    const elapsed = performance.now() - start;
    expect((err as RelayError).kind).toBe('timeout');
    expect((err as RelayError).message).toMatch(/body/);
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(600);
    await until(() => s.open.size === 0);
  });

  it('reports a socket destroyed by the server as unavailable', async () => {
    const s = await serve((req) => {
      req.socket.destroy();
    });
    const err = await rejection(client.post(s.url, '{}', {}, OPTS));
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).kind).toBe('unavailable');
    expect((err as RelayError).message).toMatch(/reset before a complete answer/);
  });

  it('reports a socket destroyed mid-body as unavailable', async () => {
    const s = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const err = await rejection(client.post(s.url, '{}', {}, OPTS));
    expect((err as RelayError).kind).toBe('unavailable');
  });

  it('reports nothing listening as unavailable (connection refused)', async () => {
    const s = await serve(() => undefined);
    const url = s.url;
    const port = new URL(url).port;
    await s.close();
    servers.pop();
    const start = performance.now();
    const err = await rejection(client.post(url, '{}', {}, OPTS));
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).kind).toBe('unavailable');
    expect((err as RelayError).message).toBe(`connection refused by 127.0.0.1:${port}`);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('reports an unresolvable host as unavailable', async () => {
    const err = await rejection(client.post('http://no-such-host.invalid/x', '{}', {}, OPTS));
    expect((err as RelayError).kind).toBe('unavailable');
    expect((err as RelayError).message).toMatch(/could not be resolved/);
  });

  it('rejects bad URLs as unavailable', async () => {
    expect(((await rejection(client.post('not a url', '{}', {}, OPTS))) as RelayError).kind).toBe('unavailable');
    expect(((await rejection(client.post('ftp://x/y', '{}', {}, OPTS))) as RelayError).kind).toBe('unavailable');
  });

  it('refuses an answer whose content-length is over the cap, without reading it', async () => {
    let written = 0;
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      const chunk = Buffer.alloc(64 * 1024, 97);
      const pump = (): void => {
        while (written < 10 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const err = await rejection(client.post(s.url, '{}', {}, { timeoutMs: 2000, maxResponseBytes: 4096 }));
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).kind).toBe('too_large');
    expect((err as RelayError).message).toMatch(/answer larger than 4096 bytes/);
    await until(() => s.open.size === 0);
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });

  it('refuses a chunked answer that grows over the cap while streaming', async () => {
    let closed = false;
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const t = setInterval(() => res.write(Buffer.alloc(1024, 98)), 5);
      res.on('close', () => {
        closed = true;
        clearInterval(t);
      });
    });
    const err = await rejection(client.post(s.url, '{}', {}, { timeoutMs: 5000, maxResponseBytes: 10 * 1024 }));
    expect((err as RelayError).kind).toBe('too_large');
    await until(() => closed && s.open.size === 0);
  });

  it('accepts an answer of exactly the cap', async () => {
    const s = await serve((_req, res) => {
      res.write(Buffer.alloc(3000, 99));
      setTimeout(() => res.end(Buffer.alloc(1096, 99)), 10);
    });
    const r = await client.post(s.url, '{}', {}, { timeoutMs: 2000, maxResponseBytes: 4096 });
    expect(r.body).toHaveLength(4096);
    expect(r.body.every((b) => b === 99)).toBe(true);
  });

  it('never follows redirects: a 302 comes back as is', async () => {
    const second = await serve((_req, res) => res.end('second'));
    const first = await serve((_req, res) => {
      res.writeHead(302, { location: second.url });
      res.end();
    });
    const r = await client.post(first.url, '{}', {}, OPTS);
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe(second.url);
    expect(await quiet(() => ({ requests: second.requests, connections: second.connections }))).toEqual({ requests: 0, connections: 0 });
  });

  it('reuses keep-alive sockets for sequential posts', async () => {
    const s = await serve(async (req, res) => {
      await readBody(req);
      res.end('{}');
    });
    for (let i = 0; i < 20; i++) {
      const r = await client.post(s.url, `{"i":${i}}`, { 'content-type': 'application/json' }, OPTS);
      expect(r.status).toBe(200);
    }
    expect(s.requests).toBe(20);
    expect(s.connections).toBeLessThanOrEqual(2);
  });

  it('keeps working after timeouts and errors on the same origin', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      if (n++ === 0) return; // the first one hangs
      res.end('ok');
    });
    const err = await rejection(client.post(s.url, '{}', {}, { timeoutMs: 100, maxResponseBytes: 1024 }));
    expect((err as RelayError).kind).toBe('timeout');
    const r = await client.post(s.url, '{}', {}, OPTS);
    expect(r.body.toString()).toBe('ok');
  });

  it('rejects on an external abort and closes the socket', async () => {
    const s = await serve(() => undefined);
    const ac = new AbortController();
    const p = client.post(s.url, '{}', {}, { ...OPTS, signal: ac.signal });
    await until(() => s.requests === 1);
    const start = performance.now();
    ac.abort();
    const err = await rejection(p);
    expect((err as Error).name).toBe('AbortError');
    expect(performance.now() - start).toBeLessThan(100);
    await until(() => s.open.size === 0);
  });

  it('rejects at once with an already aborted signal, sending nothing', async () => {
    const s = await serve((_req, res) => res.end());
    const reason = new Error('shutting down');
    const err = await rejection(client.post(s.url, '{}', {}, { ...OPTS, signal: AbortSignal.abort(reason) }));
    expect(err).toBe(reason);
    expect(s.connections).toBe(0);
  });

  it('does not send a request whose deadline passed while it waited for a socket', async () => {
    const small = new OutboundClient({ connections: 1 });
    try {
      const s = await serve((req, res) => {
        if (req.url?.includes('slow')) setTimeout(() => res.end('slow'), 300);
        else res.end('fast');
      });
      const base = s.url.replace('/hook?x=1', '');
      const slow = small.post(`${base}/slow`, '{}', {}, OPTS);
      const queued = small.post(`${base}/fast`, '{}', {}, { timeoutMs: 100, maxResponseBytes: 1024 });
      expect(((await rejection(queued)) as RelayError).message).toMatch(/within 100 ms \(still waiting for a connection\)/);
      expect((await slow).body.toString()).toBe('slow');
      expect(await quiet(() => s.requests)).toBe(1);
    } finally {
      await small.destroy();
    }
  });

  it('closes cleanly after in-flight requests finish', async () => {
    const s = await serve((_req, res) => setTimeout(() => res.end('done'), 50));
    const own = new OutboundClient();
    const p = own.post(s.url, '{}', {}, OPTS);
    await own.close();
    expect((await p).body.toString()).toBe('done');
    const err = await rejection(own.post(s.url, '{}', {}, OPTS));
    expect((err as RelayError).kind).toBe('unavailable');
  });
});
