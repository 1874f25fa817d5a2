/**
 * The call benchmark against two builds of the hub, to measure one change: this checkout's build
 * and that of another commit (a detached git worktree in a temporary folder, sharing this
 * checkout's node_modules, built there and removed after), on the same provider, in alternating
 * rounds (A B, B A, …). Prints each round and the medians: CPU µs per call, req/s, p99, and B ÷ A.
 *
 *   npm run build && npx tsx bench/compare-builds.ts <commit-ish>   # A = this build, B = <commit-ish>
 *
 * Environment: as run.ts (BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, BENCH_CONNECTIONS).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ratio } from './cpu.js';
import {
  ACTION,
  combine,
  load,
  probe,
  round,
  rounds,
  setUpHub,
  startBuiltHub,
  startServer,
  table,
  type Measure,
  type RunOptions,
  type Server,
} from './request-respond.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const ref = process.argv[2];
if (ref === undefined) throw new Error('usage: bench/compare-builds.ts <commit-ish>');

const seconds = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const options: RunOptions = {
  durationS: seconds('BENCH_DURATION', 10),
  warmupS: seconds('BENCH_WARMUP', 2),
  connections: seconds('BENCH_CONNECTIONS', 50),
  log: (line) => console.error(line),
};

const git = (...args: string[]) => execFileSync('git', args, { cwd: here, encoding: 'utf8' }).trim();
const sha = git('rev-parse', '--short', `${ref}^{commit}`);
const other = join(mkdtempSync(join(tmpdir(), 'api-hub-compare-')), sha);
git('worktree', 'add', '--detach', other, sha);
const servers: Server[] = [];
try {
  symlinkSync(join(here, 'node_modules'), join(other, 'node_modules'));
  console.error(`building ${sha} in ${other}…`);
  execFileSync(process.execPath, [join(here, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: other, stdio: 'inherit' });

  const provider = await startServer('./servers/provider.ts', {});
  servers.push(provider);
  const builds = [
    { name: `A (this build)`, root: here },
    { name: `B (${sha})`, root: other },
  ];
  const targets: Array<{ name: string; url: string; headers: Record<string, string>; pid: number; rounds: Measure[] }> = [];
  for (const build of builds) {
    const adminToken = `bench_admin_${randomBytes(16).toString('hex')}`;
    const env = { HUB_ADMIN_TOKEN: adminToken, HUB_RATE_LIMIT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'production' };
    const hub = await startBuiltHub(env, undefined, build.root);
    servers.push(hub);
    const token = await setUpHub(hub.url, adminToken, provider.url);
    const url = `${hub.url}/v1/services/call/${ACTION}/bench-erp?version=1&timeout=10000`;
    const headers = { authorization: `Bearer ${token}`, 'x-community-id': 'bench' };
    await probe(build.name, url, headers);
    targets.push({ name: build.name, url, headers, pid: hub.child.pid!, rounds: [] });
  }
  const count = rounds();
  for (let r = 0; r < count; r++) {
    for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
      t.rounds.push(await load(`${t.name} (round ${r + 1}/${count})`, t.url, t.headers, options, t.pid));
    }
  }
  const [a, b] = targets.map((t) => combine(t.name, t.url, t.rounds)) as [Measure, Measure];
  const rows = [['', 'CPU µs/call', 'req/s', 'p50 ms', 'p99 ms', ...Array.from({ length: count }, (_, i) => `round ${i + 1}: µs · req/s`)]];
  for (const [m, t] of [
    [a, targets[0]!],
    [b, targets[1]!],
  ] as const) {
    rows.push([
      m.target,
      String(m.cpuUsPerCall),
      String(m.requestsPerSecond),
      String(m.latencyP50Ms),
      String(m.latencyP99Ms),
      ...t.rounds.map((x) => `${x.cpuUsPerCall} · ${x.requestsPerSecond}`),
    ]);
  }
  const perRound = targets[1]!.rounds.map((x, i) => ratio(x.cpuUsPerCall, targets[0]!.rounds[i]!.cpuUsPerCall));
  console.log(
    [
      `Calls, ${options.connections} connections, ${options.durationS} s per round after ${options.warmupS} s warm-up, ${count} alternating rounds (medians)`,
      '',
      ...table(rows),
      '',
      `  B ÷ A: CPU per call ${round(ratio(b.cpuUsPerCall, a.cpuUsPerCall), 3)}× (median of the rounds' ratios ${round(median(perRound), 3)}×), throughput ${round(ratio(b.requestsPerSecond, a.requestsPerSecond), 3)}×`,
    ].join('\n'),
  );
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  git('worktree', 'remove', '--force', other);
  rmSync(join(other, '..'), { recursive: true, force: true });
}
