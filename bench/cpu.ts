/**
 * CPU time and peak memory of a benchmarked server, read from outside it in `/proc`, so every
 * thread of the process (libuv's pool, V8's compiler and collector threads) counts and the load
 * generator's own work does not. The parsing and the arithmetic are pure and unit-tested
 * (test/bench-cpu.test.ts); the reads are two small functions at the end.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** User and system CPU of a process, in clock ticks, as `/proc/<pid>/stat` counts them. */
export interface CpuTicks {
  user: number;
  system: number;
}

/**
 * Fields 14 (utime) and 15 (stime) of a `/proc/<pid>/stat` line. The second field, the command
 * name in parentheses, may hold spaces and parentheses itself, so the fields are counted from the
 * last `)`.
 */
export function parseProcStat(line: string): CpuTicks {
  const end = line.lastIndexOf(')');
  if (end < 0) throw new Error('not a /proc/<pid>/stat line');
  // After ") " come field 3 (state) onwards: utime is field 14, index 11 of the rest.
  const rest = line
    .slice(end + 2)
    .trim()
    .split(/\s+/);
  const user = Number(rest[11]);
  const system = Number(rest[12]);
  if (!Number.isInteger(user) || !Number.isInteger(system)) throw new Error('no utime/stime in /proc/<pid>/stat line');
  return { user, system };
}

/** `VmHWM` (peak resident set) of a `/proc/<pid>/status` text, in bytes; 0 when absent. */
export function parseVmHwm(status: string): number {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** CPU microseconds between two readings, for a clock of `ticksPerSecond`. */
export function cpuMicros(before: CpuTicks, after: CpuTicks, ticksPerSecond: number): number {
  const ticks = after.user + after.system - (before.user + before.system);
  return (ticks * 1_000_000) / ticksPerSecond;
}

/** CPU µs per answered call; NaN when nothing was answered. */
export function perCall(micros: number, calls: number): number {
  return calls > 0 ? micros / calls : Number.NaN;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `value ÷ reference`, NaN when the reference is not a positive number. */
export function ratio(value: number, reference: number): number {
  return reference > 0 && Number.isFinite(reference) ? value / reference : Number.NaN;
}

let ticksPerSecond: number | undefined;

/** The kernel's USER_HZ (almost always 100), asked once of `getconf`. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export function readCpu(pid: number): CpuTicks {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export function readPeakRss(pid: number): number {
  return parseVmHwm(readFileSync(`/proc/${pid}/status`, 'utf8'));
}
