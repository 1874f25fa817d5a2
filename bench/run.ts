/**
 * `npm run bench`: runs the benchmarks, prints their tables and writes `bench/results/latest.json`.
 *
 *   npm run bench                      builds the hub, then runs every benchmark
 *   npm run bench -- request-respond   only the named ones (request-respond, publish-subscribe,
 *                                      durable-peers, web; web runs only when named)
 *   npm run bench -- --json            the report as JSON on stdout instead of the tables
 *
 * Environment: BENCH_DURATION (measured seconds per target, default 10), BENCH_WARMUP (default 2),
 * BENCH_CONNECTIONS (request & respond, default 50), BENCH_ROUNDS (alternating rounds of
 * request & respond, default 3), BENCH_PROFILE (a folder: every server process
 * writes a V8 CPU profile there), BENCH_DATABASE_URL (a PostgreSQL URL: each hub gets a schema of
 * its own there instead of a SQLite file); the publish & subscribe benchmark's own are listed in
 * `publish-subscribe.ts`. Exits 1 when a target is missed.
 *
 * The results of the benchmarks run replace theirs in `latest.json`; those of the others are kept
 * (each result says when it was measured).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatDurablePeers, runDurablePeers } from './durable-peers.js';
import { formatPublishSubscribe, runPublishSubscribe } from './publish-subscribe.js';
import { formatRequestRespond, runRequestRespond, type RunOptions } from './request-respond.js';
import { STORAGE_KIND } from './storage.js';
import { formatWeb, runWeb } from './web.js';

interface Benchmark {
  name: string;
  /** Run only when named: `web` takes 25–32 s, at or over the 30 s the default run may grow by. */
  onlyWhenNamed?: boolean;
  run(options: RunOptions): Promise<{ pass: boolean }>;
  format(result: never): string;
}

const BENCHMARKS: Benchmark[] = [
  { name: 'request-respond', run: runRequestRespond, format: formatRequestRespond },
  { name: 'publish-subscribe', run: runPublishSubscribe, format: formatPublishSubscribe },
  { name: 'durable-peers', run: runDurablePeers, format: formatDurablePeers },
  { name: 'web', run: runWeb, format: formatWeb, onlyWhenNamed: true },
];

/** The results already in `file`, by benchmark, or none when it is missing or unreadable. */
function previousResults(file: string): Record<string, { pass?: unknown; at?: unknown }> {
  if (!existsSync(file)) return {};
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as { at?: unknown; results?: Record<string, { pass?: unknown; at?: unknown }> };
    const results = report.results ?? {};
    // Results written before each carried its own time get the report's.
    return Object.fromEntries(Object.entries(results).map(([name, result]) => [name, { at: report.at, ...result }]));
  } catch {
    return {};
  }
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds`);
  return value;
}

async function main(): Promise<void> {
  const options: RunOptions = {
    durationS: Math.max(1, seconds('BENCH_DURATION', 10)),
    warmupS: seconds('BENCH_WARMUP', 2),
    connections: Math.max(1, Math.round(seconds('BENCH_CONNECTIONS', 50))),
    log: (line) => console.error(line),
  };
  const args = process.argv.slice(2);
  const asJson = args.includes('--json');
  const wanted = args.filter((arg) => arg !== '--json');
  const unknown = wanted.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  const selected = BENCHMARKS.filter((b) => (wanted.length === 0 ? !b.onlyWhenNamed : wanted.includes(b.name)));

  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  const file = `${dir}latest.json`;
  const results: Record<string, { pass?: unknown; at?: unknown }> = previousResults(file);
  let pass = true;
  console.error(`hub storage: ${STORAGE_KIND}`);
  for (const benchmark of selected) {
    console.error(`${benchmark.name}:`);
    const result = await benchmark.run(options);
    results[benchmark.name] = { at: new Date().toISOString(), ...result };
    pass &&= result.pass;
    if (!asJson) console.log(`\n${benchmark.format(result as never)}\n`);
  }

  const report = {
    at: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
    },
    options: { durationS: options.durationS, warmupS: options.warmupS, connections: options.connections, storage: STORAGE_KIND },
    pass: Object.values(results).every((r) => r.pass === true),
    results,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  if (asJson) console.log(JSON.stringify(report, null, 2));
  else console.log(`${pass ? 'All targets met' : 'Some targets missed'}; results in bench/results/latest.json`);
  process.exitCode = pass ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
