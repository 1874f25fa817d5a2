/**
 * Server limits against real slow clients (raw sockets): headers that never finish and bodies
 * that trickle are answered 408 in the hub's format and closed; idle keep-alive connections are
 * closed; connections over the cap are refused at once. And the options behind them, with the
 * admin token's minimum length refused at start (exit code 2).
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ADMIN_TOKEN, startHub, type TestHub } from './support/hub.js';
import { ECHO, startEchoSetup } from './support/echo-setup.js';
import { PROJECT_ROOT } from './support/process.js';
import { json } from './support/servers.js';

interface RawClient {
  socket: Socket;
  received(): string;
  /** Settles when the hub closed the connection. */
  closed: Promise<void>;
}

function rawClient(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(Number(port), hostname, () => resolve({ socket, received: () => received, closed }));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('error', reject);
  });
}

/** Writes `pieces` one every `everyMs` until the connection is closed; returns how many went. */
async function trickle(client: RawClient, pieces: () => string, everyMs: number): Promise<number> {
  let written = 0;
  let open = true;
  void client.closed.then(() => (open = false));
  while (open) {
    client.socket.write(pieces());
    written++;
    await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, everyMs))]);
  }
  return written;
}

/** A deadline for a condition the test waits on, so a hub that never closes fails the test. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

const TIMEOUT_ANSWER = {
  status: 408,
  type: 'RequestTimeout',
  name: 'Request Timeout',
  error: 'the request was not received in time',
  requestId: expect.any(String),
};

function bodyOf(raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

describe('server limits against slow clients', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 300, maxConnections: 4 });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('closes a connection whose headers never finish, with a 408 in the hub format', async () => {
    const client = await rawClient(hub.url);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    let n = 0;
    await within(
      trickle(client, () => `X-Slow-${n++}: y\r\n`, 100),
      5000,
      'the hub closing a slow-headers connection',
    );
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(client.received())).toEqual(TIMEOUT_ANSWER);
  });

  it('closes a connection whose body trickles, with a 408 in the hub format', async () => {
    const client = await rawClient(hub.url);
    client.socket.write(
      `PUT /v1/admin/communities/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    await within(
      trickle(client, () => ' ', 100),
      5000,
      'the hub closing a slow-body connection',
    );
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(client.received())).toEqual(TIMEOUT_ANSWER);
  });

  it('closes an idle keep-alive connection', async () => {
    const client = await rawClient(hub.url);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await within(client.closed, 5000, 'the hub closing an idle keep-alive connection');
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('refuses connections over the cap at once, and serves the others', async () => {
    const held = await Promise.all([1, 2, 3, 4].map(() => rawClient(hub.url)));
    // Each held connection is accepted by the hub once it answers on it; they then stay open for
    // the keep-alive timeout.
    for (const client of held) {
      const answered = new Promise<void>((resolve) => client.socket.once('data', () => resolve()));
      client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await answered;
    }
    const refused = await rawClient(hub.url);
    refused.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(refused.closed, 5000, 'the hub refusing a connection over the cap');
    expect(refused.received()).toBe('');
    await Promise.all(held.map((client) => client.closed));
    expect((await hub.send('GET', '/healthz')).status).toBe(200);
  });
});

describe('server limits and slow providers', () => {
  it('does not cut a call that waits for its provider longer than the request timeout', async () => {
    const setup = await startEchoSetup({ headersTimeoutMs: 200, requestTimeoutMs: 300 });
    setup.provider.server.removeAllListeners('request');
    setup.provider.server.on('request', (req, res) => {
      req.resume();
      setTimeout(() => json(res, 200, { echo: 'late' }), 1000);
    });
    try {
      const answer = await setup.hub.send('POST', `/v1/services/call/${ECHO}/echo?timeout=5000`, { headers: setup.headers, body: { name: 'x' } });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toEqual({ data: { echo: 'late' } });
    } finally {
      await setup.close();
    }
  });
});

describe('limit options', () => {
  it('has defaults as gateways set them', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({ headersTimeoutMs: 15_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, maxConnections: 10_000 });
    expect(config.socketTimeoutMs).toBeUndefined();
    expect(config.metricsToken).toBeUndefined();
  });

  it('reads them from the environment and flags', () => {
    const config = loadConfig(['--max-connections', '50'], {
      HUB_HEADERS_TIMEOUT: '5s',
      HUB_REQUEST_TIMEOUT: '10s',
      HUB_KEEP_ALIVE_TIMEOUT: '5s',
      HUB_SOCKET_TIMEOUT: '2m',
    });
    expect(config).toMatchObject({ headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5000, socketTimeoutMs: 120_000, maxConnections: 50 });
  });

  it('refuses a headers timeout longer than the request timeout, and a cap of 0', () => {
    expect(() => loadConfig([], { HUB_HEADERS_TIMEOUT: '40s' })).toThrow(
      '--headers-timeout / HUB_HEADERS_TIMEOUT: must not be longer than --request-timeout / HUB_REQUEST_TIMEOUT',
    );
    expect(() => loadConfig([], { HUB_MAX_CONNECTIONS: '0' })).toThrow(/--max-connections \/ HUB_MAX_CONNECTIONS/);
  });

  it('refuses admin and metrics tokens shorter than 16 characters', () => {
    expect(() => loadConfig([], { HUB_ADMIN_TOKEN: 'change-me' })).toThrow(
      '--admin-token / HUB_ADMIN_TOKEN: the token must be at least 16 characters (it has 9)',
    );
    expect(() => loadConfig([], { HUB_METRICS_TOKEN: 'short' })).toThrow(
      '--metrics-token / HUB_METRICS_TOKEN: the token must be at least 16 characters (it has 5)',
    );
    expect(loadConfig([], { HUB_ADMIN_TOKEN: 'sixteen-chars-ok' }).adminToken).toBe('sixteen-chars-ok');
  });

  it('stops the hub at start with exit code 2 and a clear message when the admin token is short', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, HUB_ADMIN_TOKEN: 'change-me', PORT: '0', DATABASE_URL: 'file:/nonexistent/never-opened.db' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await within(new Promise<number | null>((resolve) => child.once('exit', resolve)), 20_000, 'the hub exiting');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^--admin-token \/ HUB_ADMIN_TOKEN: the token must be at least 16 characters \(it has 9\)\n/);
  });
});
