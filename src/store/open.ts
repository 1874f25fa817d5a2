/** Chooses and opens the storage named by `DATABASE_URL`, migrated and ready. */
import type { Logger } from 'pino';
import { KEY_FORMAT, SecretKeyError, type SecretKey } from '../security/secret-key.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export const DEFAULT_SQLITE_PATH = './data/hub.db';

export interface OpenStoreOptions {
  /** PostgreSQL only: work in this schema (created when missing). */
  pgSchema?: string;
  /** The SQLite file used when no URL is given. */
  defaultSqlitePath?: string;
  /** HUB_SECRET_KEY: seals app secrets. Required with PostgreSQL; with SQLite, a key file beside
   * the database is used (and created) without it. */
  secretKey?: SecretKey;
  /** HUB_SECRET_KEY_PREVIOUS: the key before a rotation; what it sealed is sealed again at start. */
  previousSecretKey?: SecretKey;
  /** PostgreSQL only: most pooled connections (default 10). */
  pgPoolSize?: number;
  /** Told when app secrets are protected only by the generated key file. */
  log?: Pick<Logger, 'warn'>;
}

/** The SQLite file `DATABASE_URL` names (unset: `defaultPath`), or null when it names PostgreSQL;
 * throws on a URL of neither. */
export function sqlitePathOf(databaseUrl: string | undefined, defaultPath = DEFAULT_SQLITE_PATH): string | null {
  if (databaseUrl === undefined || databaseUrl === '') return defaultPath;
  // `file:/abs/path` or `file:relative/path`: everything after the scheme is the path.
  if (databaseUrl.startsWith('file:') && databaseUrl.length > 'file:'.length) return databaseUrl.slice('file:'.length);
  if (isPostgresUrl(databaseUrl)) return null;
  throw new Error(
    'Unsupported DATABASE_URL: leave it unset for ./data/hub.db, or use file:/path/to/hub.db (SQLite) ' + 'or postgres://… / postgresql://… (PostgreSQL)',
  );
}

/** Throws SecretKeyError when the keys given cannot serve the storage `DATABASE_URL` names, before
 * anything is opened (the binary checks it before starting workers, which would each fail on it). */
export function checkSecretKeys(databaseUrl: string | undefined, options: Pick<OpenStoreOptions, 'secretKey' | 'previousSecretKey'>): void {
  if (options.previousSecretKey !== undefined && options.secretKey === undefined) {
    throw new SecretKeyError('HUB_SECRET_KEY_PREVIOUS is set without HUB_SECRET_KEY: set HUB_SECRET_KEY to the new key (see docs/secrets.md)');
  }
  if (isPostgresUrl(databaseUrl) && options.secretKey === undefined) {
    throw new SecretKeyError(
      'HUB_SECRET_KEY is required with PostgreSQL: app secrets are encrypted at rest, and there is no place beside ' +
        `the database for a generated key. Set it to ${KEY_FORMAT}, the same in every hub process`,
    );
  }
}

function createStore(databaseUrl: string | undefined, options: OpenStoreOptions): Store {
  const { secretKey, previousSecretKey } = options;
  checkSecretKeys(databaseUrl, options);
  const path = sqlitePathOf(databaseUrl, options.defaultSqlitePath);
  if (path !== null) return new SqliteStore(path, { secretKey, previousSecretKey });
  // checkSecretKeys has refused PostgreSQL without a key.
  return new PostgresStore({
    connectionString: databaseUrl as string,
    schema: options.pgSchema,
    secretKey: secretKey!,
    previousSecretKey,
    poolSize: options.pgPoolSize,
  });
}

/** Whether `DATABASE_URL` names PostgreSQL (everything else is SQLite or refused by openStore). */
export function isPostgresUrl(databaseUrl: string | undefined): databaseUrl is string {
  return databaseUrl !== undefined && (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://'));
}

export async function openStore(databaseUrl: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  const store = createStore(databaseUrl, options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  if (store instanceof SqliteStore && store.keyFile !== undefined) {
    options.log?.warn(
      { keyFile: store.keyFile.path, created: store.keyFile.created },
      'HUB_SECRET_KEY is not set: app secrets are encrypted with the key in the key file beside the database. Back it up ' +
        'with the database (a backup without it cannot be read), or set HUB_SECRET_KEY (docs/secrets.md)',
    );
  }
  return store;
}
