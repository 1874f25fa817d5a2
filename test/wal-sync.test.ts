import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WalSync } from '../src/store/sqlite/wal-sync.js';
import { until } from './support/wait.js';

describe('WAL fsync of publishes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
  const wal = join(dir, 'hub.db-wal');
  writeFileSync(wal, 'frames');

  it('shares one fsync among callers, and makes a caller who came during an fsync wait for the next', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const sync = new WalSync(wal, async (file: FileHandle) => {
      const n = events.filter((e) => e.startsWith('start')).length + 1;
      events.push(`start ${n}`);
      if (n === 1) await new Promise<void>((done) => (release = done));
      await file.sync();
      events.push(`end ${n}`);
    });
    const first = sync.sync();
    await until(() => events.includes('start 1'));
    const during = [sync.sync(), sync.sync(), sync.sync()];
    let duringDone = false;
    void Promise.all(during).then(() => (duringDone = true));
    release();
    await first;
    expect(duringDone).toBe(false);
    await Promise.all(during);
    // Three callers during the first fsync: one more fsync for all of them, not three.
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    await sync.close();
  });

  it('reports a failed fsync to its callers and tries again for the next ones', async () => {
    let fail = true;
    const sync = new WalSync(wal, async (file) => {
      if (fail) throw new Error('EIO');
      await file.sync();
    });
    await expect(sync.sync()).rejects.toThrow('EIO');
    fail = false;
    await expect(sync.sync()).resolves.toBeUndefined();
    await sync.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
