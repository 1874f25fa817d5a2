import { describe, expect, it } from 'vitest';
import { cpuMicros, median, parseProcStat, parseVmHwm, perCall, ratio } from '../bench/cpu.js';

describe('bench CPU accounting', () => {
  it('reads utime and stime of a /proc/<pid>/stat line, even when the command name holds spaces and parentheses', () => {
    const fields = (name: string) => `4242 (${name}) S 1 4242 4242 0 -1 4194560 1200 0 0 0 731 129 0 0 20 0 11 0 382928 3133440 393 18446744073709551615 0 0 0`;
    expect(parseProcStat(fields('node'))).toEqual({ user: 731, system: 129 });
    expect(parseProcStat(fields('my (odd) name'))).toEqual({ user: 731, system: 129 });
    expect(() => parseProcStat('garbage')).toThrow('not a /proc/<pid>/stat line');
    expect(() => parseProcStat('1 (x) S 1 2')).toThrow('no utime/stime');
  });

  it('reads VmHWM in bytes, 0 when absent', () => {
    expect(parseVmHwm('Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t   81236 kB\nVmRSS:\t 80000 kB\n')).toBe(81236 * 1024);
    expect(parseVmHwm('Name:\tnode\n')).toBe(0);
  });

  it('turns two readings into CPU µs, and µs into µs per call', () => {
    const us = cpuMicros({ user: 100, system: 20 }, { user: 250, system: 50 }, 100);
    expect(us).toBe(1_800_000);
    expect(perCall(us, 9000)).toBe(200);
    expect(perCall(us, 0)).toBeNaN();
  });

  it('takes medians of odd and even counts without reordering the input', () => {
    const values = [3, 1, 2];
    expect(median(values)).toBe(2);
    expect(values).toEqual([3, 1, 2]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('divides by a positive reference only', () => {
    expect(ratio(240, 160)).toBe(1.5);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(1, Number.NaN)).toBeNaN();
  });
});
