import { describe, expect, it } from 'vitest';
import { newDeliveryId, newEventId } from '../src/delivery/ids.js';
import { newRequestId } from '../src/http/request-id.js';

describe('event and delivery ids', () => {
  it('sort by creation time, so index inserts land at the end of the tree', () => {
    const times = [0, 1, 255, 256, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2100, 0, 1)];
    for (const make of [newEventId, newDeliveryId]) {
      const ids = times.map((t) => make(t));
      expect([...ids].sort()).toEqual(ids);
    }
  });

  it('carry their kind as a prefix and 96 random bits, distinct within one millisecond', () => {
    const now = Date.now();
    const ids = Array.from({ length: 1000 }, () => newEventId(now));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-f]{12}[A-Za-z0-9_-]{16}$/);
    expect(newDeliveryId(now)).toMatch(/^dlv_[0-9a-f]{12}[A-Za-z0-9_-]{16}$/);
  });
});

describe('request ids', () => {
  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('are UUIDs of version 7 with the RFC 9562 variant, distinct within one millisecond', () => {
    const now = Date.now();
    const ids = Array.from({ length: 5000 }, () => newRequestId(now));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    // Every variant digit shows up: the random bits under it are used, not a constant.
    expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(['8', '9', 'a', 'b']));
  });

  it('start with the time in milliseconds, so they sort by it', () => {
    const times = [0, 1, 255, 256, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, 2 ** 48 - 1];
    const ids = times.map((t) => newRequestId(t));
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map((id) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16))).toEqual(times);
  });
});
