/**
 * The hub as several real processes (HUB_WORKERS, HUB_ROLE) on real PostgreSQL: two workers
 * answer on one port, a SIGKILLed worker is replaced, SIGTERM stops all and exits 0, the rate limit
 * holds across workers, an api process and a separate deliver process deliver every event, and no
 * acknowledged event is lost when a worker is SIGKILLed under publishing load; workers crashing in
 * a loop make the supervisor give up with exit code 1. SQLite refuses more
 * than one worker and any role but `all`. The PostgreSQL tests run only with TEST_DATABASE_URL, each
 * hub in a schema of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CRASH_LOOP, restartDelay } from '../src/cluster/plan.js';
import { openStore } from '../src/store/open.js';
import { runApiHub } from './support/cli.js';
import { TEST_SECRET_KEY, TEST_SECRET_KEY_TEXT, type Answer } from './support/hub.js';
import { PROJECT_ROOT, spawnHub, stopAll, type HubProcess } from './support/process.js';
import { startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
const ADMIN_TOKEN = 'workers-admin-token';
const HAPPENED = '@test:workers:Thing:happened';
const COMMUNITY = 'workers-school';

const dirs: string[] = [];
const schemas: string[] = [];
const servers: TestServer[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-workers-'));
  dirs.push(dir);
  return dir;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The environment of a hub in a fresh schema of the test database. */
async function postgresEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const schema = `hub_workers_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  schemas.push(schema);
  const url = new URL(databaseUrl!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { DATABASE_URL: url.toString(), HUB_SECRET_KEY: TEST_SECRET_KEY_TEXT, HUB_WORKERS: '2', ...extra };
}

/** GET /healthz on a new connection (the supervisor hands each connection to the next worker). */
function healthOnNewConnection(url: string): Promise<{ status: number; pid?: number }> {
  return new Promise((done, fail) => {
    const req = httpRequest(`${url}/healthz`, { agent: false, timeout: 2000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => done({ status: res.statusCode ?? 0, pid: (JSON.parse(text) as { pid?: number }).pid }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

/** Collects worker pids answering on `url` until `count` distinct ones (other than `exclude`) are seen. */
async function workerPids(url: string, count: number, exclude: number[] = []): Promise<number[]> {
  const seen = new Set<number>();
  await until(
    async () => {
      const { pid } = await healthOnNewConnection(url).catch(() => ({ pid: undefined }));
      if (pid !== undefined && !exclude.includes(pid)) seen.add(pid);
      return seen.size >= count;
    },
    30_000,
    `${count} worker pids answering`,
  );
  return [...seen];
}

/** A raw TCP connection to the hub: what it received, and whether the hub closed it. */
function rawConnection(url: string): Promise<{ socket: Socket; received(): string; isClosed(): boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let received = '';
    let closed = false;
    const socket = connect(Number(port), hostname, () => resolve({ socket, received: () => received, isClosed: () => closed }));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('close', () => (closed = true));
    socket.on('error', reject);
  });
}

const started: ChildProcess[] = [];

/** Starts `api-hub` with `env` on PORT=0 and returns its "API Hub listening" line; stopped after the test. */
async function startLine(env: Record<string, string>): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((text) => text.includes('"msg":"API Hub listening"'));
      if (line !== undefined) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`api-hub exited with ${code} before listening:\n${output}`)));
  });
}

/** The pids of the node processes whose parent is `parent` (not, say, the esbuild that tsx runs). */
function nodeChildPids(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // pid (command) state ppid …: the command may hold spaces, so split after its ')'.
        const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        return command === 'node' && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function expectOk(answer: Answer, what: string): Answer {
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer;
}

/** The event action, a subscriber app at `subscriberUrl` (when given) and publisher apps; their tokens. */
async function setUp(hub: HubProcess, subscriberUrl: string | undefined, publishers: string[]): Promise<string[]> {
  expectOk(await hub.admin('PUT', `/actions/${HAPPENED}/versions/1`, { kind: 'event', title: 'Thing happened', dataSchema: { type: 'object' } }), 'the action');
  expectOk(await hub.admin('PUT', `/communities/${COMMUNITY}`), 'the community');
  const apps: [string, Record<string, unknown>][] = publishers.map((id) => [id, { publishes: [{ action: HAPPENED, reason: 'x' }] }]);
  if (subscriberUrl !== undefined) apps.unshift(['workers-viewer', { subscribes: [{ action: HAPPENED, reason: 'x', url: subscriberUrl }] }]);
  const tokens: string[] = [];
  for (const [id, services] of apps) {
    expectOk(await hub.admin('PUT', `/apps/${id}`, { displayName: id, services }), `registering ${id}`);
    expectOk(await hub.admin('PUT', `/communities/${COMMUNITY}/installations/${id}`), `installing ${id}`);
    if (services.publishes !== undefined) tokens.push(expectOk(await hub.admin('POST', `/apps/${id}/tokens`), `a token of ${id}`).body.token as string);
  }
  return tokens;
}

/** On a connection of `dispatcher`, or on a new one; `timeoutMs` bounds the wait for the answer. */
const publishOnce = (url: string, token: string, dispatcher?: Agent, timeoutMs?: number) =>
  request(`${url}/v1/services/publish/${HAPPENED}`, {
    method: 'POST',
    dispatcher,
    reset: dispatcher === undefined,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    headers: { authorization: `Bearer ${token}`, 'x-community-id': COMMUNITY, 'content-type': 'application/json' },
    body: '{}',
  }).then(async (res) => ({ status: res.statusCode, text: await res.body.text() }));

/** Waits until every worker knows the registry just written: 8 publishes in a row on new
 * connections are accepted (or rate-limited, which also means the app was recognised). */
async function registrySettled(url: string, token: string): Promise<void> {
  let inARow = 0;
  await until(
    async () => {
      const { status } = await publishOnce(url, token);
      inARow = status === 201 || status === 429 ? inARow + 1 : 0;
      return inARow >= 8;
    },
    30_000,
    'every worker seeing the registry',
  );
}

/** A subscriber that acknowledges every event and records the event ids it received. */
async function subscriber(): Promise<{ server: TestServer; seen: Set<string> }> {
  const seen = new Set<string>();
  const server = await startServer((req, res) => {
    seen.add((JSON.parse(req.body) as { context: { eventId: string } }).context.eventId);
    res.writeHead(204).end();
  });
  servers.push(server);
  return { server, seen };
}

afterEach(async () => {
  await stopAll();
  const running = started.splice(0).filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    running.map((child) => {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      return exited;
    }),
  );
});

afterAll(async () => {
  await stopAll();
  await Promise.all(servers.map((s) => s.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

describe('restart policy', () => {
  it('doubles the wait with each recent crash and gives up on a crash loop', () => {
    const now = 1_000_000;
    expect(restartDelay([now], now)).toBe(100);
    expect(restartDelay([now - 2, now - 1, now], now)).toBe(400);
    // Crashes older than the window are forgiven.
    expect(restartDelay([now - CRASH_LOOP.withinMs - 1, now], now)).toBe(100);
    expect(
      restartDelay(
        Array.from({ length: CRASH_LOOP.crashes }, (_, i) => now - i),
        now,
      ),
    ).toBeUndefined();
  });
});

/** Two workers on a PostgreSQL that nothing serves: a worker fails as soon as it opens its storage. */
const UNREACHABLE_POSTGRES = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
  HUB_SECRET_KEY: TEST_SECRET_KEY_TEXT,
  HUB_WORKERS: '2',
  HUB_ADMIN_TOKEN: ADMIN_TOKEN,
};

describe('the supervisor', () => {
  it('gives up with exit code 1 and says so when workers crash in a loop', async () => {
    // Nothing listens on port 1: every worker fails to open its storage and exits at once.
    const run = await runApiHub([], { env: { ...UNREACHABLE_POSTGRES, PORT: '0' } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('hub worker exited; starting another');
    expect(run.stdout).toContain('hub workers crash in a loop (5 exits within 60 s): giving up; the lines above say why');
    expect(run.stderr).toContain('API Hub failed to start');
  }, 120_000);

  it('fails to start with exit code 1, before any worker, when the port is taken', async () => {
    const taken = await startServer((_req, res) => void res.end());
    servers.push(taken);
    const run = await runApiHub([], { env: { ...UNREACHABLE_POSTGRES, HOST: '127.0.0.1', PORT: new URL(taken.url).port } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('API Hub failed to start: Error: listen EADDRINUSE');
    expect(run.stdout).not.toContain('hub worker');
  }, 60_000);

  it.skipIf(databaseUrl === undefined || databaseUrl === '')(
    'stops at once, with its code, when a worker refuses to start on a newer schema',
    async () => {
      const env = await postgresEnv({ HUB_ADMIN_TOKEN: ADMIN_TOKEN, PORT: '0' });
      const schema = new URL(env.DATABASE_URL!).searchParams.get('options')!.replace('-c search_path=', '');
      // The tables of this version, then a newer version's migration recorded beside them.
      await (await openStore(env.DATABASE_URL, { secretKey: TEST_SECRET_KEY })).close();
      await adminQuery(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES (9999, 'from the future', 1)`);
      const run = await runApiHub([], { env });
      expect(run.code).toBe(3);
      expect(run.stdout).toContain('a hub worker refused to start (its line above says why): stopping every worker');
      expect(run.stdout).not.toContain('starting another');
      expect(run.stderr).toContain('API Hub refused to start: ');
      expect(run.stderr).toContain('has schema version 9999, newer than this API Hub knows');
    },
    60_000,
  );
});

describe('on SQLite', () => {
  const sqliteEnv = () => ({ DATABASE_URL: `file:${join(tempDir(), 'hub.db')}`, HUB_ADMIN_TOKEN: ADMIN_TOKEN, PORT: '0' });

  it('refuses HUB_WORKERS above 1 with exit code 2, naming the variable and docs/scaling.md', async () => {
    const run = await runApiHub([], { env: { ...sqliteEnv(), HUB_WORKERS: '2' } });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      'HUB_WORKERS=2 needs PostgreSQL: SQLite has one writer, so a hub on SQLite runs as one process. ' +
        'Unset HUB_WORKERS (or set it to 1), or use a postgres:// DATABASE_URL (see docs/scaling.md)',
    );
  }, 60_000);

  it('names the port it bound with PORT=0 in its start line', async () => {
    const line = await startLine(sqliteEnv());
    expect(line).toEqual(expect.objectContaining({ msg: 'API Hub listening', host: '127.0.0.1', storage: 'sqlite', role: 'all' }));
    expect(line.port).toBeGreaterThan(0);
    expect(await healthOnNewConnection(`http://127.0.0.1:${line.port as number}`)).toEqual({ status: 200, pid: line.pid });
  }, 60_000);

  it('refuses HUB_ROLE api or deliver with exit code 2', async () => {
    const run = await runApiHub([], { env: { ...sqliteEnv(), HUB_ROLE: 'deliver' } });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      'HUB_ROLE=deliver needs PostgreSQL: on SQLite one process both serves and delivers (HUB_ROLE=all). ' +
        'Unset HUB_ROLE, or use a postgres:// DATABASE_URL (see docs/scaling.md)',
    );
  }, 60_000);
});

describe.skipIf(databaseUrl === undefined)('HUB_WORKERS=2 on PostgreSQL', () => {
  it('answers from two processes on one port, and replaces a SIGKILLed one', async () => {
    const hub = await spawnHub(tempDir(), ADMIN_TOKEN, await postgresEnv());
    const pids = await workerPids(hub.url, 2);
    expect(pids).not.toContain(hub.child.pid);

    process.kill(pids[0]!, 'SIGKILL');
    await until(() => !alive(pids[0]!), 10_000, 'the killed worker gone');
    const [replacement] = await workerPids(hub.url, 1, pids);
    expect(pids).not.toContain(replacement);
    expect(alive(pids[1]!)).toBe(true);
    // The line names both processes: the supervisor's pid (pino's) and the dead worker's.
    const line = hub
      .output()
      .split('\n')
      .find((l) => l.includes('hub worker exited; starting another'));
    expect(line, hub.output()).toBeDefined();
    expect(line!.match(/"pid":/g)).toHaveLength(1);
    expect(JSON.parse(line!)).toMatchObject({ pid: hub.child.pid, workerPid: pids[0], signal: 'SIGKILL' });
  }, 120_000);

  it('names the port it bound with PORT=0, and the storage, in the start line of the supervisor', async () => {
    const line = await startLine({ ...(await postgresEnv()), HUB_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(line).toEqual(expect.objectContaining({ msg: 'API Hub listening', host: '127.0.0.1', storage: 'postgres', workers: 2, role: 'all' }));
    expect((await healthOnNewConnection(`http://127.0.0.1:${line.port as number}`)).status).toBe(200);
  }, 60_000);

  it('stops every worker on SIGTERM and exits 0', async () => {
    const hub = await spawnHub(tempDir(), ADMIN_TOKEN, await postgresEnv());
    const pids = await workerPids(hub.url, 2);
    hub.child.kill('SIGTERM');
    expect(await hub.exited, hub.output()).toEqual({ code: 0, signal: null });
    expect(pids.filter(alive)).toEqual([]);
  }, 120_000);

  it('exits 0 on a SIGTERM that comes while the workers are still starting', async () => {
    const supervisor = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...(await postgresEnv()), HUB_ADMIN_TOKEN: ADMIN_TOKEN, HOST: '127.0.0.1', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    supervisor.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    supervisor.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) => supervisor.once('exit', (code, signal) => done({ code, signal })));
    try {
      // As soon as both workers exist, long before they have compiled and opened their storage.
      await until(() => nodeChildPids(supervisor.pid!).length === 2, 20_000, 'two workers forked').catch((err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      });
      supervisor.kill('SIGTERM');
      expect(await exited, output).toEqual({ code: 0, signal: null });
      expect(output).not.toContain('API Hub listening');
      expect(output).not.toContain('did not stop cleanly');
    } finally {
      if (supervisor.exitCode === null && supervisor.signalCode === null) supervisor.kill('SIGKILL');
    }
  }, 60_000);

  it('holds the server limits in each worker: slow headers get a 408, idle connections close', async () => {
    const hub = await spawnHub(
      tempDir(),
      ADMIN_TOKEN,
      await postgresEnv({ HUB_HEADERS_TIMEOUT: '400ms', HUB_REQUEST_TIMEOUT: '800ms', HUB_KEEP_ALIVE_TIMEOUT: '300ms' }),
    );
    // Two connections in a row go to the two workers.
    for (const _ of [1, 2]) {
      const slow = await rawConnection(hub.url);
      slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      await until(() => slow.isClosed(), 5000, 'the worker closing a connection whose headers never finish');
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(JSON.parse(slow.received().slice(slow.received().indexOf('\r\n\r\n') + 4))).toEqual({
        type: 'RequestTimeout',
        status: 408,
        name: 'Request Timeout',
        error: 'the request was not received in time',
        requestId: expect.any(String),
      });
    }
    for (const _ of [1, 2]) {
      const idle = await rawConnection(hub.url);
      idle.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await until(() => idle.isClosed(), 5000, 'the worker closing an idle keep-alive connection');
      expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
    }
  }, 120_000);

  it('finishes a request in flight on SIGTERM before the worker exits', async () => {
    const hub = await spawnHub(tempDir(), ADMIN_TOKEN, await postgresEnv({ HUB_SHUTDOWN_GRACE: '20s' }));
    const [token] = await setUp(hub, undefined, ['workers-gate']);
    await registrySettled(hub.url, token!);
    const body = '{"n":1}';
    const client = await rawConnection(hub.url);
    client.socket.write(
      `POST /v1/services/publish/${HAPPENED} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Community-Id: ${COMMUNITY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 3)}`,
    );
    hub.child.kill('SIGTERM');
    // New connections are refused or answered 503 while the one in flight waits for its body.
    await until(
      async () =>
        ['refused', 503].includes(
          await healthOnNewConnection(hub.url).then(
            (a) => a.status,
            () => 'refused',
          ),
        ),
      5000,
      'the hub stopping',
    );
    expect(hub.child.exitCode).toBeNull();
    client.socket.write(body.slice(3));
    await until(() => client.isClosed(), 10_000, 'the answer, closing the connection');
    expect(client.received()).toMatch(/^HTTP\/1\.1 201 /);
    expect(client.received().toLowerCase()).toContain('connection: close');
    expect(await hub.exited, hub.output()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('holds the rate limit across the workers', async () => {
    const hub = await spawnHub(tempDir(), ADMIN_TOKEN, await postgresEnv({ HUB_RATE_LIMIT: '1' }));
    const [limited, settling] = await setUp(hub, undefined, ['workers-gate', 'workers-settler']);
    await registrySettled(hub.url, settling!);
    await workerPids(hub.url, 2);

    // 1 call per second, burst 2, for the whole hub: each of the two workers allows half.
    const startedAt = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => publishOnce(hub.url, limited!)));
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    const accepted = answers.filter((a) => a.status === 201).length;
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(2 + Math.floor(elapsedSeconds));
    const refused = answers.find((a) => a.status === 429)!;
    // The message names the hub's limit, not the worker's share of it.
    expect(JSON.parse(refused.text)).toEqual({
      type: 'TooManyRequests',
      status: 429,
      name: 'Too Many Requests',
      error: `app "workers-gate" exceeded 1 calls per second in community "${COMMUNITY}"`,
      requestId: expect.any(String),
    });
  }, 120_000);

  it('delivers every event published to an api process through a separate deliver process', async () => {
    const { server, seen } = await subscriber();
    const env = await postgresEnv({ HUB_WORKERS: '1' });
    const api = await spawnHub(tempDir(), ADMIN_TOKEN, { ...env, HUB_ROLE: 'api' });
    const [token] = await setUp(api, `${server.url}/events`, ['workers-gate']);
    const published: string[] = [];
    const publish = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const answer = await publishOnce(api.url, token!);
        expect(answer.status, answer.text).toBe(201);
        published.push((JSON.parse(answer.text) as { id: string }).id);
      }
    };
    // Published before any deliver process runs: left unleased for one to claim.
    await publish(30);
    const deliver = await spawnHub(tempDir(), ADMIN_TOKEN, { ...env, HUB_ROLE: 'deliver' });
    const notServed = await deliver.admin('GET', '/apps');
    expect(notServed.status).toBe(404);
    expect(notServed.body).toEqual({
      type: 'NotFound',
      status: 404,
      name: 'Not Found',
      error:
        'no route GET /v1/admin/apps (this process has HUB_ROLE=deliver: it delivers events and serves only /healthz, /readyz, /metrics and /openapi.json)',
      requestId: expect.any(String),
    });
    await publish(30);
    const missing = () => published.filter((id) => !seen.has(id));
    await until(() => missing().length === 0, 60_000, 'every published event delivered');
    expect(seen.size).toBe(60);
  }, 120_000);

  it('loses no acknowledged event when a worker is SIGKILLed while publishing', async () => {
    const { server, seen } = await subscriber();
    const hub = await spawnHub(tempDir(), ADMIN_TOKEN, await postgresEnv({ HUB_DELIVERY_TIMEOUT: '2s', HUB_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s,1s' }));
    const [token] = await setUp(hub, `${server.url}/events`, ['workers-gate']);
    const pids = await workerPids(hub.url, 2);
    await registrySettled(hub.url, token!);

    const acked = new Set<string>();
    const unanswered: string[] = [];
    let killed = false;
    const loop = async () => {
      while (acked.size < 600) {
        let answer;
        try {
          // A new connection each: some are being handed to the worker as it dies.
          answer = await publishOnce(hub.url, token!, undefined, 15_000);
        } catch (err) {
          // Requests in flight on the killed worker fail: they were never acknowledged. None may
          // be left hanging, though, on a connection that nobody reads.
          if ((err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT') unanswered.push((err as Error).message);
          if (killed) continue;
          throw err;
        }
        if (answer.status !== 201) throw new Error(`publish answered ${answer.status} ${answer.text}`);
        acked.add((JSON.parse(answer.text) as { id: string }).id);
        if (acked.size >= 200 && !killed) {
          killed = true;
          process.kill(pids[0]!, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, loop));
    expect(killed).toBe(true);
    expect(unanswered).toEqual([]);
    const missing = () => [...acked].filter((id) => !seen.has(id));
    await until(() => missing().length === 0, 90_000, `delivering every acknowledged event (${missing().length} of ${acked.size} missing)`).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${hub.output()}`);
      },
    );
    expect(hub.output()).toContain('hub worker exited; starting another');
  }, 120_000);
});
