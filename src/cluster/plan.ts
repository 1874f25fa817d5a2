/**
 * The process decisions of `api-hub serve`, pure: how many hub processes run behind the port and
 * with which role, given the storage; and when a supervisor restarts a crashed worker or gives up.
 * SQLite has one writer, so a hub on SQLite is one process doing everything (docs/scaling.md).
 */
import type { HubRole } from '../config.js';

export type StorageKind = 'sqlite' | 'postgres';

/** Thrown for a combination the storage cannot run; the message names the variable to change. */
export class PlanError extends Error {}

/** The number of hub processes to run, or a PlanError saying why the request cannot be met. */
export function planWorkers(storage: StorageKind, requested: number | undefined, role: HubRole, cores: number): number {
  if (storage === 'sqlite') {
    if (requested !== undefined && requested > 1) {
      throw new PlanError(
        `HUB_WORKERS=${requested} needs PostgreSQL: SQLite has one writer, so a hub on SQLite runs as one process. ` +
          'Unset HUB_WORKERS (or set it to 1), or use a postgres:// DATABASE_URL (see docs/scaling.md)',
      );
    }
    if (role !== 'all') {
      throw new PlanError(
        `HUB_ROLE=${role} needs PostgreSQL: on SQLite one process both serves and delivers (HUB_ROLE=all). ` +
          'Unset HUB_ROLE, or use a postgres:// DATABASE_URL (see docs/scaling.md)',
      );
    }
    return 1;
  }
  return requested ?? Math.max(1, cores);
}

/** A worker crashing more often than this gives up the supervisor: restarting does not help. */
export const CRASH_LOOP = { crashes: 5, withinMs: 60_000 };
const FIRST_RESTART_MS = 100;
const LONGEST_RESTART_MS = 10_000;

/**
 * How long to wait before replacing a worker that crashed, given the times of the crashes so far
 * (this one included): doubling with each recent crash; undefined when they crash in a loop.
 */
export function restartDelay(crashTimes: readonly number[], now: number): number | undefined {
  const recent = crashTimes.filter((at) => now - at < CRASH_LOOP.withinMs).length;
  if (recent >= CRASH_LOOP.crashes) return undefined;
  return Math.min(LONGEST_RESTART_MS, FIRST_RESTART_MS * 2 ** Math.max(0, recent - 1));
}
