/** One step of a versioned schema; each adapter applies its list in order, once. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The exit code of a hub refusing a database written by a newer version (distinct from 1, a
 * failed start, so a supervisor can stop restarting it and an operator sees why). */
export const EXIT_SCHEMA_TOO_NEW = 3;

/** A database whose schema holds migrations this code does not know: a newer hub wrote it, and
 * running older code on it could misread or damage what the newer one stored. */
export class SchemaTooNewError extends Error {
  readonly exitCode = EXIT_SCHEMA_TOO_NEW;
}

/** Throws SchemaTooNewError when the database has applied versions beyond the code's newest. */
export function refuseNewerSchema(applied: Iterable<number>, migrations: readonly Migration[], where: string): void {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new SchemaTooNewError(
      `${where} has schema version ${newest}, newer than this API Hub knows (${known}): it was written by a newer version. ` +
        'Run that version (or a newer one), or restore a backup taken before the upgrade; see docs/operations.md',
    );
  }
}
