/**
 * `npm run bench`: runs the benchmarks, prints their tables and writes `bench/results/latest.json`.
 *
 *   npm run bench                      every benchmark
 *   npm run bench -- request-respond   only the named ones
 *
 * Environment: BENCH_DURATION (measured seconds per target, default 10), BENCH_WARMUP (default 2),
 * BENCH_CONNECTIONS (default 50). Exits 1 when a target is missed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatRequestRespond, runRequestRespond, type RunOptions } from './request-respond.js';

interface Benchmark {
  name: string;
  run(options: RunOptions): Promise<{ pass: boolean }>;
  format(result: never): string;
}

// A publish & subscribe benchmark goes here beside it.
const BENCHMARKS: Benchmark[] = [{ name: 'request-respond', run: runRequestRespond, format: formatRequestRespond }];

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
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  const selected = BENCHMARKS.filter((b) => wanted.length === 0 || wanted.includes(b.name));

  const results: Record<string, unknown> = {};
  let pass = true;
  for (const benchmark of selected) {
    console.error(`${benchmark.name}:`);
    const result = await benchmark.run(options);
    results[benchmark.name] = result;
    pass &&= result.pass;
    console.log(`\n${benchmark.format(result as never)}\n`);
  }

  const report = {
    at: new Date().toISOString(),
    machine: { node: process.version, platform: platform(), arch: arch(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem() },
    options: { durationS: options.durationS, warmupS: options.warmupS, connections: options.connections },
    pass,
    results,
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`${pass ? 'All targets met' : 'Some targets missed'}; results in bench/results/latest.json`);
  process.exitCode = pass ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
