import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/delivery/group-commit.js';

describe('group commit', () => {
  it('writes the items submitted in one turn together, and those arriving during a write in the next batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const commit = new GroupCommit<number, string>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((done) => (release = done));
      return items.map((n) => `r${n}`);
    });
    const first = [1, 2, 3].map((n) => commit.submit(n));
    await new Promise((done) => setImmediate(done));
    expect(batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((n) => commit.submit(n));
    release();
    expect(await Promise.all([...first, ...second])).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('caps a batch and fails only the callers of a failed write', async () => {
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>(
      (items) => {
        batches.push(items);
        if (items.includes(3)) return Promise.reject(new Error('disk full'));
        return Promise.resolve(items);
      },
      { maxBatch: 2 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => commit.submit(n)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    // It keeps working after a failure.
    expect(await commit.submit(6)).toBe(6);
  });
});
