/**
 * Request & respond benchmark: POSTs of `{ user }` for `@layers:education:GradeBooks:getRelated`
 * whose provider answer is about 2 KB, measured with autocannon
 *   (a) straight to the provider,
 *   (b) through the bare validating proxy (`bench/bare-proxy.ts`),
 *   (c) through the hub (full path: auth, community, registry, signature, audit, metrics),
 * each server in its own process so autocannon, here, shares no event loop with them. (b) and (c)
 * are measured in alternating rounds, combined (mean throughput, median percentiles).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { request } from 'undici';
import { freePort } from '../test/support/port.js';
import { benchStorage } from './storage.js';

export const ACTION = '@layers:education:GradeBooks:getRelated';
const BODY = JSON.stringify({ user: { id: '61b087e1a608106241d30a8a', name: 'Ana Souza', alias: 'ana.souza' } });

export const TARGETS = {
  /** hub req/s ÷ bare proxy req/s, at least. */
  throughputRatio: 0.8,
  /** hub p99 − bare proxy p99, at most (ms). */
  p99OverheadMs: 5,
  /** Peak resident memory of the hub, below (MB). */
  hubRssMb: 200,
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
  provider: Measure;
  bare: Measure;
  hub: Measure & { peakRssBytes: number };
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
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(here('../package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/**
 * The hub as operators run it: the built entry of `npm start` (`run.ts` builds it first) with its
 * Node.js flags, no TypeScript loader in the process, on storage of its own (see storage.ts).
 */
export async function startBuiltHub(env: Record<string, string>): Promise<Server> {
  const storage = await benchStorage();
  const port = await freePort();
  const child = spawn(process.execPath, [...startFlags(), ...profileFlags(), here('../dist/src/main.js')], {
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

/** Rounds of bare proxy and hub, alternating. */
const ROUNDS = 2;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** One measure from several rounds of one target: mean throughput, median percentiles, sums. */
function combine(target: string, url: string, rounds: Measure[]): Measure {
  const statusCodes: Record<string, number> = {};
  for (const m of rounds) for (const [code, n] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    target,
    url,
    requestsPerSecond: Math.round(rounds.reduce((n, m) => n + m.requestsPerSecond, 0) / rounds.length),
    latencyP50Ms: median(rounds.map((m) => m.latencyP50Ms)),
    latencyP99Ms: median(rounds.map((m) => m.latencyP99Ms)),
    latencyMaxMs: Math.max(...rounds.map((m) => m.latencyMaxMs)),
    requests: rounds.reduce((n, m) => n + m.requests, 0),
    errors: rounds.reduce((n, m) => n + m.errors, 0),
    non2xx: rounds.reduce((n, m) => n + m.non2xx, 0),
    statusCodes,
  };
}

async function load(target: string, url: string, headers: Record<string, string>, options: RunOptions): Promise<Measure> {
  options.log(`  ${target}: ${options.warmupS} s warm-up + ${options.durationS} s at ${options.connections} connections…`);
  const result: Result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: BODY,
    connections: options.connections,
    duration: options.durationS,
    timeout: 10,
    ...(options.warmupS > 0 && { warmup: { connections: options.connections, duration: options.warmupS } }),
  });
  return {
    target,
    url,
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
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
async function setUpHub(hubUrl: string, adminToken: string, providerUrl: string): Promise<string> {
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
async function probe(target: string, url: string, headers: Record<string, string>): Promise<number> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${target}: probe answered ${res.statusCode} ${text.slice(0, 500)}`);
  return Buffer.byteLength(text);
}

export async function runRequestRespond(options: RunOptions): Promise<RequestRespondResult> {
  const servers: Server[] = [];
  try {
    const provider = await startServer('./servers/provider.ts', {});
    servers.push(provider);
    const bare = await startServer('./bare-proxy.ts', { PROVIDER_URL: `${provider.url}/grade-books` });
    servers.push(bare);
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
    const bareUrl = `${bare.url}/v1/services/call/${ACTION}/bench-erp?version=1&timeout=10000`;
    const hubUrl = `${hub.url}/v1/services/call/${ACTION}/bench-erp?version=1&timeout=10000`;
    const hubHeaders = { authorization: `Bearer ${token}`, 'x-community-id': 'bench' };
    const providerAnswerBytes = await probe('provider', providerUrl, {});
    await probe('bare proxy', bareUrl, {});
    await probe('hub', hubUrl, hubHeaders);
    options.log(`  provider answer: ${providerAnswerBytes} bytes`);

    const direct = await load('provider', providerUrl, {}, options);
    // Bare proxy and hub alternate (A B B A …) so that a drift of the machine's speed during the run
    // weighs on both alike; each is the combination of its rounds.
    const rss = watchRss(hub.url);
    const bareRounds: Measure[] = [];
    const hubRounds: Measure[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const pair = [
        () => load(`bare proxy (round ${round + 1}/${ROUNDS})`, bareUrl, {}, options).then((m) => bareRounds.push(m)),
        () => load(`hub (round ${round + 1}/${ROUNDS})`, hubUrl, hubHeaders, options).then((m) => hubRounds.push(m)),
      ];
      if (round % 2 === 1) pair.reverse();
      for (const run of pair) await run();
    }
    const peakRssBytes = await rss.stop();
    const proxied = combine('bare proxy', bareUrl, bareRounds);
    const hubMeasure = combine('hub', hubUrl, hubRounds);

    const ratio = hubMeasure.requestsPerSecond / Math.max(1, proxied.requestsPerSecond);
    const p99Overhead = hubMeasure.latencyP99Ms - proxied.latencyP99Ms;
    const rssMb = peakRssBytes / 1024 / 1024;
    const noErrors = [direct, proxied, hubMeasure].every((m) => m.errors === 0 && m.non2xx === 0);
    const checks = [
      { name: 'hub/bare throughput', value: round(ratio, 3), target: `≥ ${TARGETS.throughputRatio}×`, pass: ratio >= TARGETS.throughputRatio },
      { name: 'hub p99 − bare p99 (ms)', value: round(p99Overhead, 2), target: `≤ ${TARGETS.p99OverheadMs} ms`, pass: p99Overhead <= TARGETS.p99OverheadMs },
      { name: 'hub peak RSS (MB)', value: round(rssMb, 1), target: `< ${TARGETS.hubRssMb} MB`, pass: peakRssBytes > 0 && rssMb < TARGETS.hubRssMb },
      { name: 'errors and non-2xx', value: [direct, proxied, hubMeasure].reduce((n, m) => n + m.errors + m.non2xx, 0), target: '0', pass: noErrors },
    ];
    return {
      benchmark: 'request-respond',
      action: ACTION,
      providerAnswerBytes,
      connections: options.connections,
      durationS: options.durationS,
      warmupS: options.warmupS,
      provider: direct,
      bare: proxied,
      hub: { ...hubMeasure, peakRssBytes },
      checks,
      pass: checks.every((c) => c.pass),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The results as a table, for the terminal. */
export function formatRequestRespond(r: RequestRespondResult): string {
  const rows = [['', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx']];
  for (const m of [r.provider, r.bare, r.hub]) {
    rows.push([
      m.target,
      String(m.requestsPerSecond),
      String(m.latencyP50Ms),
      String(m.latencyP99Ms),
      String(m.latencyMaxMs),
      String(m.errors),
      String(m.non2xx),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const checks = r.checks.map((c) => `${c.name.padEnd(26)} ${String(c.value).padStart(8)}   target ${c.target.padEnd(8)}  ${c.pass ? 'PASS' : 'FAIL'}`);
  return [
    `Request & respond: ${r.action}, provider answer ${r.providerAnswerBytes} B, ${r.connections} connections, ${r.durationS} s each after ${r.warmupS} s warm-up (bare proxy and hub: ${ROUNDS} alternating rounds)`,
    '',
    ...table.map((l) => `  ${l}`),
    '',
    ...checks.map((l) => `  ${l}`),
  ].join('\n');
}
