/**
 * HUB_WORKERS benchmark: the built hub on PostgreSQL (BENCH_DATABASE_URL, required) with 1 and
 * then 2 workers, measured with autocannon: calls/s of the GradeBooks call through the hub to the
 * bench provider, and durable publishes/s of an event with one subscriber (delivered by the same
 * processes). CPU per call is the user + system time of the hub's processes (the supervisor and
 * every worker, from /proc/<pid>/stat) over the round, divided by the answered calls.
 *
 *   npm run build && BENCH_DATABASE_URL=postgres://… npx tsx bench/workers.ts
 *
 * Env: BENCH_WORKERS_SECONDS (per round, default 10), BENCH_WORKERS_CONNECTIONS (default 50).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { request } from 'undici';
import { ACTION, json, startBuiltHub, startServer, type Server } from './request-respond.js';

const EVENT = '@bench:Workers:happened';
const CALL_BODY = JSON.stringify({ user: { id: '61b087e1a608106241d30a8a', name: 'Ana Souza', alias: 'ana.souza' } });
const seconds = Number(process.env.BENCH_WORKERS_SECONDS ?? 10);
const connections = Number(process.env.BENCH_WORKERS_CONNECTIONS ?? 50);
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds (user + system) of `pid` and its direct children (the cluster workers). */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === pid || Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

interface Round {
  perSecond: number;
  answered: number;
  failed: number;
  cpuMicrosPerAnswer: number;
}

async function round(hub: Server, url: string, headers: Record<string, string>, body: string, ok: number): Promise<Round> {
  const cpuBefore = cpuSeconds(hub.child.pid!);
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections, duration: seconds });
  const cpu = cpuSeconds(hub.child.pid!) - cpuBefore;
  const answered = result.statusCodeStats[String(ok)]?.count ?? 0;
  return {
    perSecond: Math.round(answered / seconds),
    answered,
    failed: result.requests.total - answered + result.errors,
    cpuMicrosPerAnswer: Math.round((cpu / Math.max(1, answered)) * 1e6),
  };
}

/** Waits until `times` requests in a row on new connections (so: every worker) answer `ok`. */
async function settled(url: string, headers: Record<string, string>, body: string, ok: number, times = 10): Promise<void> {
  let inARow = 0;
  const deadline = Date.now() + 30_000;
  while (inARow < times) {
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${ok} from every worker within 30 s`);
    const res = await request(url, { method: 'POST', reset: true, headers: { 'content-type': 'application/json', ...headers }, body });
    await res.body.text();
    inARow = res.statusCode === ok ? inARow + 1 : 0;
  }
}

async function measure(workers: number, providerUrl: string, subscriberUrl: string) {
  const adminToken = `bench_admin_${randomBytes(16).toString('hex')}`;
  const hub = await startBuiltHub({
    HUB_ADMIN_TOKEN: adminToken,
    HUB_RATE_LIMIT: '0',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    HUB_WORKERS: String(workers),
  });
  try {
    const admin = (method: 'PUT' | 'POST', path: string, body?: unknown) => json(method, `${hub.url}/v1/admin${path}`, adminToken, body);
    await admin('PUT', `/actions/${EVENT}/versions/1`, { kind: 'event', title: 'Bench event', dataSchema: { type: 'object' }, coalesce: false });
    await admin('PUT', '/apps/bench-erp', {
      displayName: 'ERP',
      services: { responds: [{ action: ACTION, reason: 'bench', url: `${providerUrl}/grade-books` }] },
    });
    await admin('PUT', '/apps/bench-viewer', {
      displayName: 'Viewer',
      services: { requests: [{ action: ACTION, reason: 'bench' }], publishes: [{ action: EVENT, reason: 'bench' }] },
    });
    await admin('PUT', '/apps/bench-subscriber', {
      displayName: 'Subscriber',
      services: { subscribes: [{ action: EVENT, reason: 'bench', url: `${subscriberUrl}/events` }] },
    });
    await admin('PUT', '/communities/bench');
    for (const app of ['bench-erp', 'bench-viewer', 'bench-subscriber']) await admin('PUT', `/communities/bench/installations/${app}`);
    const token = (await admin('POST', '/apps/bench-viewer/tokens', { label: 'bench' })).token as string;
    const headers = { authorization: `Bearer ${token}`, 'x-community-id': 'bench' };
    const callUrl = `${hub.url}/v1/services/call/${ACTION}/bench-erp?version=1&timeout=10000`;
    const publishUrl = `${hub.url}/v1/services/publish/${EVENT}`;
    await settled(callUrl, headers, CALL_BODY, 200);
    await settled(publishUrl, headers, '{}', 201);
    const calls = await round(hub, callUrl, headers, CALL_BODY, 200);
    const publishes = await round(hub, publishUrl, headers, '{}', 201);
    return { workers, calls, publishes };
  } finally {
    await hub.stop();
  }
}

if (process.env.BENCH_DATABASE_URL === undefined) {
  process.stderr.write('bench/workers.ts measures on PostgreSQL: set BENCH_DATABASE_URL\n');
  process.exit(2);
}
const provider = await startServer('./servers/provider.ts', {});
const subscriber = await startServer('./servers/subscriber.ts', {});
try {
  const results = [];
  for (const workers of [1, 2, 1, 2]) {
    const result = await measure(workers, provider.url, subscriber.url);
    results.push(result);
    process.stdout.write(
      `workers=${workers}: calls ${result.calls.perSecond}/s, ${result.calls.cpuMicrosPerAnswer} µs CPU/call, ${result.calls.failed} failed; ` +
        `publishes ${result.publishes.perSecond}/s, ${result.publishes.cpuMicrosPerAnswer} µs CPU/publish (deliveries included), ${result.publishes.failed} failed\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ connections, seconds, cores: (await import('node:os')).availableParallelism(), results })}\n`);
} finally {
  await Promise.all([provider.stop(), subscriber.stop()]);
}
