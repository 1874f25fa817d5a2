/**
 * Durable publish → delivery beside what a Node team would pick instead, in one run on one machine:
 *   - the hub on SQLite and on PostgreSQL (publish over HTTP, one subscriber app),
 *   - BullMQ on a redis-server of the bench's own, `--appendonly yes --appendfsync always`, so an
 *     accepted job is on disk as a 201 of the hub is,
 *   - graphile-worker on PostgreSQL (a schema of its own, dropped after).
 * Each gets the same closed loop of PRODUCERS concurrent producers for BENCH_DURATION seconds (after
 * a warm-up of BENCH_WARMUP seconds whose jobs are drained and forgotten), and delivers each job as
 * an HTTP POST to the same subscriber process, answering 204. The peers' workers run in their own
 * processes, as the hub does, 16 jobs at once (the hub's deliveries at once to one app).
 * Reported: accepted/s, delivered/s (from the first publish to the last receipt), publish request
 * start → receipt p50/p99, and lost jobs (accepted ids the subscriber never got).
 *
 * PostgreSQL: BENCH_DATABASE_URL, TEST_DATABASE_URL or a postgres DATABASE_URL; without one the
 * PostgreSQL rows are skipped with a line saying so. BENCH_PEERS picks systems (comma-separated:
 * hub-sqlite, hub-postgres, bullmq, graphile-worker; default all).
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { makeWorkerUtils } from 'graphile-worker';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Pool } from 'undici';
import { freePort } from '../test/support/port.js';
import { clockTicks, cpuMicros, perCall, readCpu, type CpuTicks } from './cpu.js';
import { ACTION, BODY, getJson, publishHeaders, setUp, waitReceived } from './publish-subscribe.js';
import { json, round, startBuiltHub, startServer, table, type RunOptions, type Server } from './request-respond.js';
import { postgresStorage, sqliteStorage } from './storage.js';

const PRODUCERS = 32;
const SYSTEMS = ['hub-sqlite', 'hub-postgres', 'bullmq', 'graphile-worker'] as const;
type System = (typeof SYSTEMS)[number];

export const TARGETS = {
  /** On SQLite, hub delivered/s ÷ durable BullMQ delivered/s, at least. */
  sqliteVersusBullmq: 1,
  /** On PostgreSQL, hub delivered/s ÷ graphile-worker delivered/s, above. */
  postgresVersusGraphile: 1,
  /** On PostgreSQL, hub delivered/s ÷ durable BullMQ delivered/s, at least. */
  postgresVersusBullmq: 0.5,
} as const;

export interface PeerMeasure {
  system: System;
  accepted: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  receiptP50Ms: number;
  receiptP99Ms: number;
  /** Accepted ids never received within the wait. */
  lost: number;
  errors: number;
  /** CPU of the accepting and delivering processes (hub; redis-server + worker; worker) per delivered job. */
  cpuUsPerJob: number;
}

export interface DurablePeersResult {
  benchmark: 'durable-peers';
  producers: number;
  durationS: number;
  warmupS: number;
  measures: PeerMeasure[];
  skipped: string[];
  checks: { name: string; value: number; target: string; pass: boolean }[];
  pass: boolean;
}

const now = () => performance.timeOrigin + performance.now();
const DATA = JSON.parse(BODY) as unknown;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A system under test: how to add one job (resolving to its id once durably accepted), and its processes. */
interface Subject {
  add(): Promise<string>;
  pids: number[];
  stop(): Promise<void>;
}

/** PRODUCERS closed loops adding jobs for `seconds`; the start of each accepted job's add, by id. */
async function produce(subject: Subject, seconds: number) {
  const starts = new Map<string, number>();
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (Date.now() < end) {
        const start = now();
        try {
          starts.set(await subject.add(), start);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { starts, errors };
}

const cpuOf = (pids: number[]) =>
  pids.map(readCpu).reduce<CpuTicks>((sum, t) => ({ user: sum.user + t.user, system: sum.system + t.system }), { user: 0, system: 0 });

/**
 * Waits until the subscriber has received every id of `ids` (by id: a late warm-up job or a
 * duplicate does not count) or `limitMs` passed; the first receipt of each id.
 */
async function waitForIds(subscriberUrl: string, ids: Map<string, number>, limitMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + limitMs;
  await waitReceived(subscriberUrl, ids.size, limitMs);
  for (;;) {
    const { receipts } = await getJson<{ receipts: Array<[string, number]> }>(`${subscriberUrl}/_bench/receipts`);
    const first = new Map<string, number>();
    for (const [id, at] of receipts) if (!first.has(id)) first.set(id, at);
    let missing = 0;
    for (const id of ids.keys()) if (!first.has(id)) missing++;
    if (missing === 0 || Date.now() >= deadline) return first;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function measure(system: System, subject: Subject, subscriberUrl: string, options: RunOptions): Promise<PeerMeasure> {
  const drainLimitMs = Math.max(30, options.durationS * 6) * 1000;
  if (options.warmupS > 0) {
    options.log(`  ${system}: ${options.warmupS} s warm-up from ${PRODUCERS} producers…`);
    const warm = await produce(subject, options.warmupS);
    await waitForIds(subscriberUrl, warm.starts, drainLimitMs);
  }
  await json('POST', `${subscriberUrl}/_bench/reset`, '');
  options.log(`  ${system}: ${options.durationS} s from ${PRODUCERS} producers, then until every job is delivered…`);
  const cpuBefore = cpuOf(subject.pids);
  const startedAt = now();
  const run = await produce(subject, options.durationS);
  const firstReceipt = await waitForIds(subscriberUrl, run.starts, drainLimitMs);
  const micros = cpuMicros(cpuBefore, cpuOf(subject.pids), clockTicks());
  const latencies: number[] = [];
  let lastAt = startedAt;
  for (const [id, start] of run.starts) {
    const at = firstReceipt.get(id);
    if (at === undefined) continue;
    latencies.push(at - start);
    lastAt = Math.max(lastAt, at);
  }
  latencies.sort((a, b) => a - b);
  const accepted = run.starts.size;
  return {
    system,
    accepted,
    acceptedPerSecond: Math.round(accepted / options.durationS),
    deliveredPerSecond: Math.round(latencies.length / ((lastAt - startedAt) / 1000)),
    receiptP50Ms: round(percentile(latencies, 50), 1),
    receiptP99Ms: round(percentile(latencies, 99), 1),
    lost: accepted - latencies.length,
    errors: run.errors,
    cpuUsPerJob: round(perCall(micros, latencies.length), 1),
  };
}

async function hubSubject(postgresUrl: string | undefined, subscriberUrl: string): Promise<Subject> {
  const adminToken = `bench_admin_${randomBytes(16).toString('hex')}`;
  const hub = await startBuiltHub({ HUB_ADMIN_TOKEN: adminToken, HUB_RATE_LIMIT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'production' }, () =>
    postgresUrl === undefined ? sqliteStorage() : postgresStorage(postgresUrl),
  );
  const token = await setUp(hub.url, adminToken, subscriberUrl, ACTION, 1, 'peer');
  const pool = new Pool(hub.url, { connections: PRODUCERS });
  const headers = publishHeaders(token);
  const path = `/v1/services/publish/${ACTION}`;
  return {
    async add() {
      const res = await pool.request({ path, method: 'POST', headers, body: BODY });
      const answer = (await res.body.json()) as { id?: unknown };
      if (res.statusCode !== 201 || typeof answer.id !== 'string') throw new Error(`publish answered ${res.statusCode}`);
      return answer.id;
    },
    pids: [hub.child.pid!],
    async stop() {
      await pool.close();
      await hub.stop();
    },
  };
}

/** A redis-server of the bench's own on a free port, every write fsynced before it answers. */
async function startRedis(): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(`${tmpdir()}/api-hub-bench-redis-`);
  const child = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server was not ready within 10 s: ${out}`)), 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${out}`)));
  });
  child.stdout.resume();
  return {
    port,
    pid: child.pid!,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function bullmqSubject(subscriberUrl: string): Promise<Subject> {
  const redis = await startRedis();
  // Under native ESM BullMQ wants a client, not connection options.
  const connection = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });
  // Completed jobs are removed, as a delivery queue would be configured.
  const queue = new Queue('bench', { connection, defaultJobOptions: { removeOnComplete: true, attempts: 10, backoff: { type: 'exponential', delay: 100 } } });
  let worker: Server | undefined;
  try {
    await queue.waitUntilReady();
    worker = await startServer('./peers/bullmq-worker.ts', { REDIS_PORT: String(redis.port), SUBSCRIBER_URL: `${subscriberUrl}/events/bullmq` });
  } catch (err) {
    await queue.close();
    connection.disconnect();
    await redis.stop();
    throw err;
  }
  return {
    async add() {
      const id = randomUUID();
      await queue.add('deliver', { id, data: DATA });
      return id;
    },
    pids: [redis.pid, worker.child.pid!],
    async stop() {
      await worker.stop();
      await queue.close();
      connection.disconnect();
      await redis.stop();
    },
  };
}

async function graphileSubject(postgresUrl: string, subscriberUrl: string): Promise<Subject> {
  const schema = `bench_peers_gw_${randomBytes(4).toString('hex')}`;
  const utils = await makeWorkerUtils({ connectionString: postgresUrl, schema, maxPoolSize: PRODUCERS });
  const dropSchema = async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  };
  let worker: Server | undefined;
  try {
    await utils.migrate();
    worker = await startServer('./peers/graphile-worker.ts', {
      DATABASE_URL: postgresUrl,
      WORKER_SCHEMA: schema,
      SUBSCRIBER_URL: `${subscriberUrl}/events/graphile-worker`,
    });
  } catch (err) {
    await utils.release();
    await dropSchema();
    throw err;
  }
  return {
    async add() {
      const id = randomUUID();
      await utils.addJob('deliver', { id, data: DATA }, { maxAttempts: 10 });
      return id;
    },
    pids: [worker.child.pid!],
    async stop() {
      await worker.stop();
      await utils.release();
      await dropSchema();
    },
  };
}

/** The PostgreSQL database of the PostgreSQL rows, if one is named. */
function postgresUrl(): string | undefined {
  for (const value of [process.env.BENCH_DATABASE_URL, process.env.TEST_DATABASE_URL, process.env.DATABASE_URL]) {
    if (value !== undefined && /^postgres(ql)?:\/\//.test(value)) return value;
  }
  return undefined;
}

function selectedSystems(): System[] {
  const raw = process.env.BENCH_PEERS;
  if (raw === undefined || raw === '' || raw === 'all') return [...SYSTEMS];
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(SYSTEMS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_PEERS: unknown ${unknown.join(', ')}; known: ${SYSTEMS.join(', ')}`);
  return SYSTEMS.filter((name) => names.includes(name));
}

export async function runDurablePeers(options: RunOptions): Promise<DurablePeersResult> {
  const postgres = postgresUrl();
  const skipped: string[] = [];
  const subscriber = await startServer('./servers/subscriber.ts', { SUBSCRIBER_STATUS: '204' });
  const measures: PeerMeasure[] = [];
  try {
    for (const system of selectedSystems()) {
      if ((system === 'hub-postgres' || system === 'graphile-worker') && postgres === undefined) {
        skipped.push(`${system}: skipped, no PostgreSQL (set BENCH_DATABASE_URL, TEST_DATABASE_URL or DATABASE_URL)`);
        options.log(`  ${skipped.at(-1)}`);
        continue;
      }
      const subject =
        system === 'hub-sqlite'
          ? await hubSubject(undefined, subscriber.url)
          : system === 'hub-postgres'
            ? await hubSubject(postgres, subscriber.url)
            : system === 'bullmq'
              ? await bullmqSubject(subscriber.url)
              : await graphileSubject(postgres!, subscriber.url);
      try {
        measures.push(await measure(system, subject, subscriber.url, options));
      } finally {
        await subject.stop();
      }
    }
  } finally {
    await subscriber.stop();
  }

  const delivered = (system: System) => measures.find((m) => m.system === system)?.deliveredPerSecond;
  const checks: DurablePeersResult['checks'] = [];
  const versus = (name: string, a: System, b: System, target: number, strict: boolean) => {
    const x = delivered(a);
    const y = delivered(b);
    if (x === undefined || y === undefined) return;
    const value = round(x / y, 2);
    checks.push({ name, value, target: `${strict ? '>' : '≥'} ${target}×`, pass: strict ? value > target : value >= target });
  };
  versus('hub SQLite ÷ BullMQ, delivered/s', 'hub-sqlite', 'bullmq', TARGETS.sqliteVersusBullmq, false);
  versus('hub PG ÷ graphile-worker, delivered/s', 'hub-postgres', 'graphile-worker', TARGETS.postgresVersusGraphile, true);
  versus('hub PG ÷ BullMQ, delivered/s', 'hub-postgres', 'bullmq', TARGETS.postgresVersusBullmq, false);
  const failures = measures.reduce((n, m) => n + m.lost + m.errors, 0);
  checks.push({ name: 'lost jobs and errors', value: failures, target: '0', pass: failures === 0 });
  return {
    benchmark: 'durable-peers',
    producers: PRODUCERS,
    durationS: options.durationS,
    warmupS: options.warmupS,
    measures,
    skipped,
    checks,
    pass: checks.every((c) => c.pass),
  };
}

export function formatDurablePeers(r: DurablePeersResult): string {
  const rows = [['', 'accepted/s', 'delivered/s', 'p50 ms', 'p99 ms', 'CPU µs/job', 'accepted', 'lost', 'errors']];
  for (const m of r.measures) {
    rows.push([
      m.system,
      String(m.acceptedPerSecond),
      String(m.deliveredPerSecond),
      String(m.receiptP50Ms),
      String(m.receiptP99Ms),
      String(m.cpuUsPerJob),
      String(m.accepted),
      String(m.lost),
      String(m.errors),
    ]);
  }
  const checks = r.checks.map((c) => `  ${c.name.padEnd(38)} ${String(c.value).padStart(6)}   target ${c.target.padEnd(6)}  ${c.pass ? 'PASS' : 'FAIL'}`);
  return [
    `Durable publish → delivery: ${r.producers} producers for ${r.durationS} s after ${r.warmupS} s warm-up, each job one HTTP POST to one subscriber answering 204; p50/p99 from publish start to receipt`,
    '',
    ...table(rows),
    ...r.skipped.map((line) => `  ${line}`),
    '',
    ...checks,
  ].join('\n');
}
