/** Opens the SQLite file with the hub's pragmas and applies its migrations. */
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile, narrowToPrivate } from '../../security/private-files.js';
import { refuseNewerSchema, type Migration } from '../sql/migration.js';

/** The database file, its directory when the hub creates it, and the -wal and -shm files are the
 * hub's user's only: the file is created 0600 before SQLite opens it, and SQLite gives the -wal
 * and -shm files it creates the database file's mode. */
export function openDatabase(path: string): Database.Database {
  ensurePrivateDir(dirname(path));
  ensurePrivateFile(path);
  for (const companion of [`${path}-wal`, `${path}-shm`, `${path}-journal`]) narrowToPrivate(companion);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: a committed write survives a power cut, as the Store contract requires.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Applies the migrations not applied yet; refuses (SchemaTooNewError) a database a newer hub
 * migrated, before changing anything. */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[], where = 'the database'): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const versions = db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
  refuseNewerSchema(versions, migrations, where);
  const applied = db.prepare('SELECT version FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of migrations) {
    // IMMEDIATE takes the write lock first, so a second process waits instead of applying it twice.
    db.transaction(() => {
      if (applied.get(migration.version) !== undefined) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }).immediate();
  }
}
