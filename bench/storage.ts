/**
 * Where a benchmarked hub keeps its data: a SQLite file in a temporary folder, or, when
 * BENCH_DATABASE_URL names a PostgreSQL database, a schema of its own there. Either is removed when
 * the hub stops, so every hub starts empty.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface BenchStorage {
  /** What the hub gets as DATABASE_URL. */
  databaseUrl: string;
  /** Further environment of the hub: PostgreSQL needs HUB_SECRET_KEY (SQLite uses its key file). */
  env: Record<string, string>;
  remove(): Promise<void>;
}

const postgresUrl = process.env.BENCH_DATABASE_URL || undefined;

/** The storage every benchmarked hub of this run uses. */
export const STORAGE_KIND: 'sqlite' | 'postgres' = postgresUrl === undefined ? 'sqlite' : 'postgres';

export function benchStorage(): Promise<BenchStorage> {
  return postgresUrl === undefined ? sqliteStorage() : postgresStorage(postgresUrl);
}

/** A SQLite file in a temporary folder. */
// eslint-disable-next-line @typescript-eslint/require-await -- async like postgresStorage: a failure rejects
export async function sqliteStorage(): Promise<BenchStorage> {
  const dir = mkdtempSync(join(tmpdir(), 'api-hub-bench-'));
  return { databaseUrl: `file:${join(dir, 'hub.db')}`, env: {}, remove: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
}

/** A schema of its own in the PostgreSQL database at `postgresUrl`. */
export async function postgresStorage(postgresUrl: string): Promise<BenchStorage> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  // libpq's `options` parameter: every connection of the hub starts in the schema.
  const url = new URL(postgresUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    databaseUrl: url.toString(),
    env: { HUB_SECRET_KEY: randomBytes(32).toString('base64') },
    remove: () => admin(`DROP SCHEMA ${schema} CASCADE`),
  };
}
