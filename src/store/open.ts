/** Chooses and opens the storage named by `DATABASE_URL`, migrated and ready. */
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export const DEFAULT_SQLITE_PATH = './data/hub.db';

export interface OpenStoreOptions {
  /** PostgreSQL only: work in this schema (created when missing). */
  pgSchema?: string;
  /** The SQLite file used when no URL is given. */
  defaultSqlitePath?: string;
}

function createStore(databaseUrl: string | undefined, options: OpenStoreOptions): Store {
  if (databaseUrl === undefined || databaseUrl === '') {
    return new SqliteStore(options.defaultSqlitePath ?? DEFAULT_SQLITE_PATH);
  }
  if (databaseUrl.startsWith('file:')) {
    // `file:/abs/path` or `file:relative/path`: everything after the scheme is the path.
    const path = databaseUrl.slice('file:'.length);
    if (path !== '') return new SqliteStore(path);
  }
  if (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://')) {
    return new PostgresStore({ connectionString: databaseUrl, schema: options.pgSchema });
  }
  throw new Error(
    'Unsupported DATABASE_URL: leave it unset for ./data/hub.db, or use file:/path/to/hub.db (SQLite) ' +
      'or postgres://… / postgresql://… (PostgreSQL)',
  );
}

export async function openStore(databaseUrl: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  const store = createStore(databaseUrl, options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
