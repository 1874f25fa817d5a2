import { describe, expect, it } from 'vitest';
import { isValidTraceparent, newTraceparent, nextTraceparent, traceIdOf } from '../src/relay/trace.js';

const SHAPE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('relay trace context', () => {
  it('continues a valid incoming trace with a new span id, same trace id and flags', () => {
    for (const incoming of [VALID, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00']) {
      const next = nextTraceparent(incoming);
      expect(next).toMatch(SHAPE);
      expect(next.slice(0, 36)).toBe(incoming.slice(0, 36));
      expect(next.slice(52)).toBe(incoming.slice(52));
      expect(next.slice(36, 52)).not.toBe(incoming.slice(36, 52));
      expect(next.slice(36, 52)).not.toBe('0000000000000000');
    }
  });

  it('starts a fresh sampled trace when the incoming one is missing or invalid', () => {
    const invalid = [
      undefined,
      '',
      'garbage',
      '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // unknown version
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // zero parent id
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // upper case
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', // short trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1x',
      '00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01',
      VALID + '-extra',
      ' ' + VALID.slice(1),
    ];
    for (const incoming of invalid) {
      expect(isValidTraceparent(incoming)).toBe(false);
      const next = nextTraceparent(incoming);
      expect(next).toMatch(SHAPE);
      expect(next.endsWith('-01')).toBe(true);
      expect(next.slice(3, 35)).not.toBe('00000000000000000000000000000000');
      if (incoming !== undefined && incoming.length >= 35) expect(next.slice(3, 35)).not.toBe(incoming.slice(3, 35));
    }
  });

  it('makes unique, valid ids', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const t = newTraceparent();
      expect(isValidTraceparent(t)).toBe(true);
      traces.add(traceIdOf(t)!);
      spans.add(nextTraceparent(VALID).slice(36, 52));
    }
    expect(traces.size).toBe(5000);
    expect(spans.size).toBe(5000);
    expect(traceIdOf(VALID)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf('nope')).toBeUndefined();
  });

  it('is fast', () => {
    const start = performance.now();
    for (let i = 0; i < 200_000; i++) nextTraceparent(VALID);
    const perCallUs = ((performance.now() - start) * 1000) / 200_000;
    expect(perCallUs).toBeLessThan(5);
  });
});
