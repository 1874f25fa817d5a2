/**
 * The hub as a real process: killed with SIGKILL under publishing load, it loses no acknowledged
 * event (every event answered 201 reaches its subscriber after a restart, with one webhook-id per
 * delivery); stopped with SIGTERM, it finishes the call in flight, refuses new work, exits 0 and
 * leaves the call in the audit log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Answer } from './support/hub.js';
import { spawnHub, stopAll, type HubProcess } from './support/process.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';
import { freshRequest } from './support/fresh-request.js';
import { until } from './support/wait.js';

const ADMIN_TOKEN = 'crash-admin-token';
const HAPPENED = '@test:crash:Thing:happened';
const CREATED = '@layers:education:Entrance:created';
const GET = '@test:crash:Thing:get';
const COMMUNITY = 'crash-school';

const dirs: string[] = [];
const servers: TestServer[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-crash-'));
  dirs.push(dir);
  return dir;
}

async function server(handler: (req: Received, res: ServerResponse) => void | Promise<void>): Promise<TestServer> {
  const started = await startServer(handler);
  servers.push(started);
  return started;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function expectOk(answer: Answer, what: string): Answer {
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer;
}

/** Registers an app from its manifest, installs it in the community, returns a token of it. */
async function registerApp(hub: HubProcess, id: string, services: Record<string, unknown>): Promise<string> {
  expectOk(await hub.admin('PUT', `/apps/${id}`, { displayName: id, services }), `registering ${id}`);
  expectOk(await hub.admin('PUT', `/communities/${COMMUNITY}`), 'creating the community');
  expectOk(await hub.admin('PUT', `/communities/${COMMUNITY}/installations/${id}`), `installing ${id}`);
  return expectOk(await hub.admin('POST', `/apps/${id}/tokens`), `a token of ${id}`).body.token as string;
}

afterEach(async () => {
  await stopAll();
});

afterAll(async () => {
  await stopAll();
  await Promise.all(servers.map((s) => s.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL under load', () => {
  it('delivers every event answered 201 after a restart, with a stable webhook-id per delivery', async () => {
    // The subscriber is slow and sometimes fails, so deliveries are pending and in flight at the kill.
    const seen = new Map<string, Set<string>>(); // eventId → webhook-ids it came with
    let answered = 0;
    const subscriber = await server(async (req, res) => {
      const { context } = JSON.parse(req.body) as { context: { eventId: string } };
      await sleep(20 + Math.random() * 60);
      if (Math.random() < 0.1) {
        json(res, 500, { error: 'flaky' });
        return;
      }
      const ids = seen.get(context.eventId) ?? new Set<string>();
      ids.add(String(req.headers['webhook-id']));
      seen.set(context.eventId, ids);
      answered++;
      res.writeHead(200).end();
    });
    const env = { HUB_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s,1s,1s,1s', HUB_DELIVERY_TIMEOUT: '2s' };
    const dir = tempDir();
    let hub = await spawnHub(dir, ADMIN_TOKEN, env);

    const defined = await hub.admin('PUT', `/actions/${HAPPENED}/versions/1`, { kind: 'event', title: 'Thing happened', dataSchema: { type: 'object' } });
    expect(defined.status).toBe(201);
    const publisher = await registerApp(hub, 'crash-gate', { publishes: [{ action: HAPPENED, reason: 'x' }] });
    await registerApp(hub, 'crash-viewer', {
      subscribes: [
        { action: HAPPENED, reason: 'x', url: `${subscriber.url}/events` },
        { action: CREATED, reason: 'x', url: `${subscriber.url}/events` },
      ],
    });

    // 20 loops publish as fast as the hub answers; the hub is killed after 400 acknowledgements.
    const acked = new Set<string>();
    let killedAt: { acked: number; delivered: number } | undefined;
    let failed = false;
    const load = new Agent({ connections: 20 });
    const loop = async (n: number) => {
      for (let i = 0; !failed; i++) {
        let id: string;
        try {
          const res = await request(`${hub.url}/v1/services/publish/${HAPPENED}`, {
            method: 'POST',
            dispatcher: load,
            headers: { authorization: `Bearer ${publisher}`, 'x-community-id': COMMUNITY, 'content-type': 'application/json' },
            body: JSON.stringify({ loop: n, i }),
          });
          const text = await res.body.text();
          if (res.statusCode !== 201) throw new Error(`publish answered ${res.statusCode} ${text}`);
          id = (JSON.parse(text) as { id: string }).id;
        } catch (err) {
          // Requests in flight at the kill fail: they were never acknowledged.
          if (killedAt) return;
          failed = true;
          throw err;
        }
        acked.add(id);
        if (acked.size >= 400 && !killedAt) {
          killedAt = { acked: acked.size, delivered: seen.size };
          hub.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, n) => loop(n)));
    await load.destroy();
    expect(await hub.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The crash left work undone: acknowledged events not delivered yet.
    expect(killedAt!.delivered).toBeLessThan(killedAt!.acked);

    hub = await spawnHub(dir, ADMIN_TOKEN, env);
    const missing = () => [...acked].filter((id) => !seen.has(id));
    await until(() => missing().length === 0, 45_000, `delivering every acknowledged event (${missing().length} of ${acked.size} missing)`).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${hub.output()}`);
      },
    );
    expect(missing()).toEqual([]);
    // One delivery per event (one subscriber), so one webhook-id per event across all its attempts.
    const unstable = [...seen].filter(([, ids]) => ids.size !== 1);
    expect(unstable).toEqual([]);
    expect(answered).toBeGreaterThanOrEqual(acked.size);
    // Nothing was given up on.
    expect((await hub.admin('GET', '/deliveries?status=dead')).body.items).toEqual([]);
  }, 80_000);
});

describe('SIGTERM', () => {
  it('finishes the call in flight, refuses new connections, exits 0 and keeps the call in the audit log', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((done) => (release = done));
    const provider = await server(async (_req, res) => {
      // Answers after ~500 ms, or when the test has seen the hub refuse new work.
      await Promise.race([gate, sleep(500)]);
      json(res, 200, { name: 'thing-1' });
    });
    const dir = tempDir();
    let hub = await spawnHub(dir, ADMIN_TOKEN, { HUB_SHUTDOWN_GRACE: '5s' });
    const defined = await hub.admin('PUT', `/actions/${GET}/versions/1`, {
      kind: 'request',
      title: 'Get a thing',
      dataSchema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      responseSchema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    });
    expect(defined.status).toBe(201);
    await registerApp(hub, 'crash-erp', { responds: [{ action: GET, reason: 'x', url: `${provider.url}/get` }] });
    const consumer = await registerApp(hub, 'crash-viewer', { requests: [{ action: GET, reason: 'x' }] });

    const inFlight = hub.send('POST', `/v1/services/call/${GET}/crash-erp`, {
      headers: { authorization: `Bearer ${consumer}`, 'x-community-id': COMMUNITY },
      body: { id: 'thing-1' },
    });
    await until(() => provider.received.length === 1, 5000, 'the call reaching the provider');
    const signalledAt = Date.now();
    hub.child.kill('SIGTERM');

    // A new connection is refused (or answered 503) while the call is still in flight.
    const refused = await until(
      async () => {
        const status = await freshRequest(hub.url, '/healthz');
        return (status === 'refused' || status === 503) && status;
      },
      2000,
      'refusing new connections after SIGTERM',
    );
    expect(['refused', 503]).toContain(refused);
    release();

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { name: 'thing-1' } });
    const exit = await hub.exited;
    expect(exit, hub.output()).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(5000);

    // The audit line was written before the exit.
    hub = await spawnHub(dir, ADMIN_TOKEN);
    const calls = await hub.admin('GET', `/calls?community=${COMMUNITY}&provider=crash-erp`);
    expect(calls.status).toBe(200);
    expect(calls.body.items).toEqual([
      expect.objectContaining({
        id: answer.headers['x-request-id'],
        consumer: 'crash-viewer',
        provider: 'crash-erp',
        action: GET,
        status: 200,
        outcome: 'ok',
        providerStatus: 200,
      }),
    ]);
  });
});
