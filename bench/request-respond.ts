/**
 * Request & respond benchmark: POSTs of `{ user }` for `@layers:education:GradeBooks:getRelated`
 * whose provider answer is about 2 KB, measured with autocannon
 *   (a) straight to the provider,
 *   (b) through the bare validating proxy (`bench/bare-proxy.ts`),
 *   (c) through the hub (full path: auth, community, registry, signature, audit, metrics),
 *   (d) through `@fastify/http-proxy` (bench/http-proxy-peer.ts), the plain proxy a team would use,
 * each server in its own process so autocannon, here, shares no event loop with them, and its CPU
 * (every thread, from /proc) is its own. (b), (c) and (d) are measured in alternating rounds
 * (BENCH_ROUNDS, default 3) and each is the median of its rounds. The headline is CPU per call: on
 * a shared machine it swings less than throughput.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { request } from 'undici';
import { freePort } from '../test/support/port.js';
import { clockTicks, cpuMicros, median, perCall, ratio, readCpu, readPeakRss } from './cpu.js';
import { benchStorage, type BenchStorage } from './storage.js';

export const ACTION = '@layers:education:GradeBooks:getRelated';
const BODY = JSON.stringify({ user: { id: '61b087e1a608106241d30a8a', name: 'Ana Souza', alias: 'ana.souza' } });

export const TARGETS = {
  /** hub CPU µs per call ÷ bare proxy CPU µs per call, at most: the headline figure. */
  cpuRatio: 1.2,
  /** hub req/s ÷ bare proxy req/s, at least. */
  throughputRatio: 0.85,
  /** hub p99 − bare proxy p99, at most (ms). */
  p99OverheadMs: 3,
  /** Peak resident memory (VmHWM) of the hub, below (MB). */
  hubRssMb: 150,
} as const;

export interface RunOptions {
  /** Measured seconds per target (after the warm-up). */
  durationS: number;
  warmupS: number;
  connections: number;
  /** Progress lines go here. */
  log: (line: string) => void;
}

export interface Measure {
  target: string;
  url: string;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Server CPU (user + system, every thread) over the calls answered in the same run, µs. */
  cpuUsPerCall: number;
  requests: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

export interface RequestRespondResult {
  benchmark: 'request-respond';
  action: string;
  providerAnswerBytes: number;
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  provider: Measure;
  bare: Measure & { peakRssBytes: number };
  hub: Measure & { peakRssBytes: number };
  /** `@fastify/http-proxy`, the plain proxy a team would use instead. */
  peer: Measure & { peakRssBytes: number };
  /** Every round of each alternating target. */
  roundsOf: Record<'bare' | 'hub' | 'peer', Measure[]>;
  /** Hub ÷ `@fastify/http-proxy`. */
  versusPeer: { cpuPerCall: number; throughput: number };
  checks: { name: string; value: number; target: string; pass: boolean }[];
  pass: boolean;
}

export interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** V8 CPU profile flags when BENCH_PROFILE names a folder: each server writes its profile there. */
const profileFlags = () => (process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []);

/** The Node.js flags `npm start` gives the hub (package.json's start script), so the bench runs the same. */
function startFlags(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/**
 * The hub as operators run it: the built entry of `npm start` (`run.ts` builds it first) with its
 * Node.js flags, no TypeScript loader in the process, on storage of its own (see storage.ts).
 */
export async function startBuiltHub(
  env: Record<string, string>,
  storageOf: () => Promise<BenchStorage> = benchStorage,
  /** The checkout whose build runs (compare-builds.ts passes another one's). */
  root: string = here('..'),
): Promise<Server> {
  const storage = await storageOf();
  const port = await freePort();
  const child = spawn(process.execPath, [...startFlags(root), ...profileFlags(), join(root, 'dist/src/main.js')], {
    // One hub process unless the caller asks for more: the baselines are one process too.
    env: { ...process.env, HUB_WORKERS: '1', ...storage.env, ...env, DATABASE_URL: storage.databaseUrl, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the hub exited with code ${child.exitCode} before it was ready`);
    const ready = await request(`${url}/readyz`).then(
      (res) => res.body.text().then(() => res.statusCode === 200),
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the hub was not ready within 30 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.kill('SIGTERM');
        await exited;
        clearTimeout(force);
      }
      await storage.remove();
    },
  };
}

/** Forks `node --import tsx <file>` and waits for it to say which port it listens on. */
export async function startServer(file: string, env: Record<string, string>): Promise<Server> {
  const child = fork(here(file), [], {
    execArgv: [...profileFlags(), '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start within 30 s`)), 30_000);
    child.once('message', (message: { ready?: boolean; port?: number }) => {
      clearTimeout(timer);
      if (message.ready && typeof message.port === 'number') resolve(message.port);
      else reject(new Error(`${file}: unexpected message ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with code ${code} before listening`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Rounds of each alternating target (BENCH_ROUNDS, default 3). */
export function rounds(): number {
  const raw = process.env.BENCH_ROUNDS;
  const value = raw === undefined || raw === '' ? 3 : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error('BENCH_ROUNDS must be a positive integer');
  return value;
}

/** One measure from several rounds of one target: medians (throughput, percentiles, CPU per call), sums. */
export function combine(target: string, url: string, rounds: Measure[]): Measure {
  const statusCodes: Record<string, number> = {};
  for (const m of rounds) for (const [code, n] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    target,
    url,
    requestsPerSecond: Math.round(median(rounds.map((m) => m.requestsPerSecond))),
    latencyP50Ms: median(rounds.map((m) => m.latencyP50Ms)),
    latencyP99Ms: median(rounds.map((m) => m.latencyP99Ms)),
    latencyMaxMs: Math.max(...rounds.map((m) => m.latencyMaxMs)),
    cpuUsPerCall: round(median(rounds.map((m) => m.cpuUsPerCall)), 1),
    requests: rounds.reduce((n, m) => n + m.requests, 0),
    errors: rounds.reduce((n, m) => n + m.errors, 0),
    non2xx: rounds.reduce((n, m) => n + m.non2xx, 0),
    statusCodes,
  };
}

const cannon = (url: string, headers: Record<string, string>, connections: number, duration: number) =>
  autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY, connections, duration, timeout: 10 });

/**
 * Warm-up, then the measured run, with the server's CPU (`pid`, every thread) read from /proc just
 * before and after it: CPU per call is that CPU over the calls answered in the same run.
 */
export async function load(target: string, url: string, headers: Record<string, string>, options: RunOptions, pid?: number): Promise<Measure> {
  options.log(`  ${target}: ${options.warmupS} s warm-up + ${options.durationS} s at ${options.connections} connections…`);
  if (options.warmupS > 0) await cannon(url, headers, options.connections, options.warmupS);
  const before = pid === undefined ? undefined : readCpu(pid);
  const result: Result = await cannon(url, headers, options.connections, options.durationS);
  const micros = pid === undefined || before === undefined ? Number.NaN : cpuMicros(before, readCpu(pid), clockTicks());
  const answered = Object.values(result.statusCodeStats).reduce((n, s) => n + s.count, 0);
  return {
    target,
    url,
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    cpuUsPerCall: round(perCall(micros, answered), 1),
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

export async function json(method: 'GET' | 'PUT' | 'POST', url: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await request(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await res.body.json()) as Record<string, unknown>;
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${JSON.stringify(answer)}`);
  return answer;
}

/** Registers a provider and a consumer app in a community; returns the consumer's token. */
export async function setUpHub(hubUrl: string, adminToken: string, providerUrl: string): Promise<string> {
  const admin = (method: 'PUT' | 'POST', path: string, body?: unknown) => json(method, `${hubUrl}/v1/admin${path}`, adminToken, body);
  await admin('PUT', '/apps/bench-erp', {
    displayName: 'Bench ERP',
    services: { responds: [{ action: ACTION, reason: 'bench', url: `${providerUrl}/grade-books` }] },
  });
  await admin('PUT', '/apps/bench-viewer', { displayName: 'Bench viewer', services: { requests: [{ action: ACTION, reason: 'bench' }] } });
  await admin('PUT', '/communities/bench');
  await admin('PUT', '/communities/bench/installations/bench-erp');
  await admin('PUT', '/communities/bench/installations/bench-viewer');
  return (await admin('POST', '/apps/bench-viewer/tokens', { label: 'bench' })).token as string;
}

/** Polls the hub's `/metrics` for `process_resident_memory_bytes` and keeps the highest value. */
export function watchRss(hubUrl: string, everyMs = 1000) {
  let peak = 0;
  let stopped = false;
  const sample = async () => {
    try {
      const res = await request(`${hubUrl}/metrics`);
      const text = await res.body.text();
      const match = /^process_resident_memory_bytes\s+(\d+(?:\.\d+)?(?:e\+?\d+)?)/m.exec(text);
      if (match) peak = Math.max(peak, Number(match[1]));
    } catch {
      // A sample lost under load; the next one counts.
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    await sample();
  })();
  return {
    async stop(): Promise<number> {
      stopped = true;
      await loop;
      return peak;
    },
  };
}

/** Sends one request and checks that it succeeds, so a misconfigured target fails fast. */
export async function probe(target: string, url: string, headers: Record<string, string>): Promise<number> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${target}: probe answered ${res.statusCode} ${text.slice(0, 500)}`);
  return Buffer.byteLength(text);
}

export async function runRequestRespond(options: RunOptions): Promise<RequestRespondResult> {
  const servers: Server[] = [];
  const roundCount = rounds();
  try {
    const provider = await startServer('./servers/provider.ts', {});
    servers.push(provider);
    const bare = await startServer('./bare-proxy.ts', { PROVIDER_URL: `${provider.url}/grade-books` });
    servers.push(bare);
    const peer = await startServer('./http-proxy-peer.ts', { PROVIDER_URL: `${provider.url}/grade-books` });
    servers.push(peer);
    const adminToken = `bench_admin_${randomBytes(16).toString('hex')}`;
    const hub = await startBuiltHub({
      HUB_ADMIN_TOKEN: adminToken,
      HUB_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    });
    servers.push(hub);
    const token = await setUpHub(hub.url, adminToken, provider.url);

    const providerUrl = `${provider.url}/grade-books`;
    const callPath = `/v1/services/call/${ACTION}/bench-erp?version=1&timeout=10000`;
    const hubHeaders = { authorization: `Bearer ${token}`, 'x-community-id': 'bench' };
    const targets: Array<{ key: 'bare' | 'hub' | 'peer'; name: string; url: string; headers: Record<string, string>; pid: number }> = [
      { key: 'bare', name: 'bare proxy', url: `${bare.url}${callPath}`, headers: {}, pid: bare.child.pid! },
      { key: 'hub', name: 'hub', url: `${hub.url}${callPath}`, headers: hubHeaders, pid: hub.child.pid! },
      { key: 'peer', name: '@fastify/http-proxy', url: `${peer.url}${callPath}`, headers: {}, pid: peer.child.pid! },
    ];
    const providerAnswerBytes = await probe('provider', providerUrl, {});
    for (const t of targets) await probe(t.name, t.url, t.headers);
    options.log(`  provider answer: ${providerAnswerBytes} bytes`);

    const direct = await load('provider', providerUrl, {}, options, provider.child.pid);
    // The targets take turns (bare, hub, peer, then peer, hub, bare …) so that a drift of the
    // machine's speed during the run weighs on all alike; each is the median of its rounds.
    const byTarget: Record<'bare' | 'hub' | 'peer', Measure[]> = { bare: [], hub: [], peer: [] };
    for (let r = 0; r < roundCount; r++) {
      const order = r % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) byTarget[t.key].push(await load(`${t.name} (round ${r + 1}/${roundCount})`, t.url, t.headers, options, t.pid));
    }
    const peak = (server: Server) => readPeakRss(server.child.pid!);
    const proxied = { ...combine('bare proxy', targets[0]!.url, byTarget.bare), peakRssBytes: peak(bare) };
    const hubMeasure = { ...combine('hub', targets[1]!.url, byTarget.hub), peakRssBytes: peak(hub) };
    const peerMeasure = { ...combine('@fastify/http-proxy', targets[2]!.url, byTarget.peer), peakRssBytes: peak(peer) };

    const cpuRatio = ratio(hubMeasure.cpuUsPerCall, proxied.cpuUsPerCall);
    const throughputRatio = ratio(hubMeasure.requestsPerSecond, proxied.requestsPerSecond);
    const p99Overhead = hubMeasure.latencyP99Ms - proxied.latencyP99Ms;
    const rssMb = hubMeasure.peakRssBytes / 1024 / 1024;
    const all = [direct, proxied, hubMeasure, peerMeasure];
    const failures = all.reduce((n, m) => n + m.errors + m.non2xx, 0);
    const checks = [
      { name: 'hub/bare CPU per call', value: round(cpuRatio, 3), target: `≤ ${TARGETS.cpuRatio}×`, pass: cpuRatio <= TARGETS.cpuRatio },
      {
        name: 'hub/bare throughput',
        value: round(throughputRatio, 3),
        target: `≥ ${TARGETS.throughputRatio}×`,
        pass: throughputRatio >= TARGETS.throughputRatio,
      },
      { name: 'hub p99 − bare p99 (ms)', value: round(p99Overhead, 2), target: `≤ ${TARGETS.p99OverheadMs} ms`, pass: p99Overhead <= TARGETS.p99OverheadMs },
      { name: 'hub peak RSS (MB)', value: round(rssMb, 1), target: `< ${TARGETS.hubRssMb} MB`, pass: rssMb > 0 && rssMb < TARGETS.hubRssMb },
      { name: 'errors and non-2xx', value: failures, target: '0', pass: failures === 0 },
    ];
    return {
      benchmark: 'request-respond',
      action: ACTION,
      providerAnswerBytes,
      connections: options.connections,
      durationS: options.durationS,
      warmupS: options.warmupS,
      rounds: roundCount,
      provider: direct,
      bare: proxied,
      hub: hubMeasure,
      peer: peerMeasure,
      roundsOf: byTarget,
      versusPeer: {
        cpuPerCall: round(ratio(hubMeasure.cpuUsPerCall, peerMeasure.cpuUsPerCall), 3),
        throughput: round(ratio(hubMeasure.requestsPerSecond, peerMeasure.requestsPerSecond), 3),
      },
      checks,
      pass: checks.every((c) => c.pass),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Rows as columns: the first left-aligned, the others right-aligned. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`);
}

/** The results as tables, for the terminal. */
export function formatRequestRespond(r: RequestRespondResult): string {
  const mb = (bytes: number) => (bytes > 0 ? String(round(bytes / 1024 / 1024, 1)) : '');
  const rows = [['', 'CPU µs/call', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'peak RSS MB', 'errors', 'non-2xx']];
  for (const m of [r.provider, r.bare, r.hub, r.peer]) {
    const rss = 'peakRssBytes' in m ? (m as { peakRssBytes: number }).peakRssBytes : 0;
    rows.push([
      m.target,
      String(m.cpuUsPerCall),
      String(m.requestsPerSecond),
      String(m.latencyP50Ms),
      String(m.latencyP99Ms),
      String(m.latencyMaxMs),
      mb(rss),
      String(m.errors),
      String(m.non2xx),
    ]);
  }
  const roundRows = [['every round: CPU µs/call, req/s, p99 ms', ...Array.from({ length: r.rounds }, (_, i) => `round ${i + 1}`)]];
  for (const [key, name] of [
    ['bare', 'bare proxy'],
    ['hub', 'hub'],
    ['peer', '@fastify/http-proxy'],
  ] as const) {
    roundRows.push([name, ...r.roundsOf[key].map((m) => `${m.cpuUsPerCall} · ${m.requestsPerSecond} · ${m.latencyP99Ms}`)]);
  }
  const checks = r.checks.map((c) => `  ${c.name.padEnd(26)} ${String(c.value).padStart(8)}   target ${c.target.padEnd(8)}  ${c.pass ? 'PASS' : 'FAIL'}`);
  return [
    `Request & respond: ${r.action}, provider answer ${r.providerAnswerBytes} B, ${r.connections} connections, ${r.durationS} s each after ${r.warmupS} s warm-up; bare proxy, hub and @fastify/http-proxy in ${r.rounds} alternating rounds (medians)`,
    '',
    ...table(rows),
    '',
    ...table(roundRows),
    '',
    `  hub ÷ @fastify/http-proxy (no validation, no auth): CPU per call ${r.versusPeer.cpuPerCall}×, throughput ${r.versusPeer.throughput}×`,
    ...checks,
  ].join('\n');
}
