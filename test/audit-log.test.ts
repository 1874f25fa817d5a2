import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/audit-log.js';
import { openStore } from '../src/store/open.js';
import type { CallRecord } from '../src/audit/types.js';
import type { AuditStore, Store } from '../src/store/store.js';

const line = (id: string, at: number): CallRecord => ({
  id,
  at,
  communityId: 'c',
  consumer: 'viewer',
  provider: 'erp',
  action: '@a:B:c',
  version: 1,
  status: 200,
  outcome: 'ok',
  latencyMs: 3,
  providerStatus: 200,
  error: null,
});

describe('audit log', () => {
  let dir: string;
  let store: Store;
  const log = pino({ level: 'silent' });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-'));
    store = await openStore(`file:${join(dir, 'hub.db')}`);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes off the request path: lines wait in memory until a batch is full or the timer fires', async () => {
    const audit = new AuditLog(store, log, { retentionMs: 1000, batchSize: 3, flushIntervalMs: 60_000 });
    audit.record(line('a', 1));
    audit.record(line('b', 2));
    expect(await store.queryCalls({ limit: 10 })).toHaveLength(0);
    audit.record(line('c', 3));
    await audit.flush();
    expect((await store.queryCalls({ limit: 10 })).map((c) => c.id)).toEqual(['c', 'b', 'a']);
    audit.record(line('d', 4));
    await audit.close();
    expect(await store.queryCalls({ limit: 10 })).toHaveLength(4);
  });

  it('keeps lines when a write fails and writes them with the next batch', async () => {
    // The real store behind a switch that makes its writes fail while the "outage" lasts.
    let down = true;
    const flaky: AuditStore = {
      insertCalls: (calls) => (down ? Promise.reject(new Error('disk unplugged')) : store.insertCalls(calls)),
      queryCalls: (query) => store.queryCalls(query),
      pruneCalls: (before) => store.pruneCalls(before),
    };
    const audit = new AuditLog(flaky, log, { retentionMs: 1000, flushIntervalMs: 60_000, maxBuffered: 3 });
    audit.record(line('a', 1));
    audit.record(line('b', 2));
    await audit.flush();
    expect(await store.queryCalls({ limit: 10 })).toHaveLength(0);
    audit.record(line('c', 3));
    audit.record(line('d', 4));
    await audit.flush();
    // Bounded while failing: the oldest line gives way and is counted.
    expect(audit.dropped).toBe(1);
    down = false;
    await audit.close();
    expect((await store.queryCalls({ limit: 10 })).map((c) => c.id)).toEqual(['d', 'c', 'b']);
  });

  it('prunes lines older than the retention, by its own clock', async () => {
    let now = Date.now();
    const audit = new AuditLog(store, log, { retentionMs: 60_000, flushIntervalMs: 60_000, now: () => now });
    audit.record(line('old', now - 120_000));
    audit.record(line('new', now - 1_000));
    await audit.flush();
    expect(await audit.prune()).toBe(1);
    expect((await store.queryCalls({ limit: 10 })).map((c) => c.id)).toEqual(['new']);
    // A minute later on the audit log's clock, the newer line is past the retention too.
    now += 60_000;
    expect(await audit.prune()).toBe(1);
    expect(await store.queryCalls({ limit: 10 })).toEqual([]);
    await audit.close();
  });
});
