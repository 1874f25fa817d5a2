import { describe, expect, it } from 'vitest';
import { newDeliveryId, newEventId } from '../src/delivery/ids.js';

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
