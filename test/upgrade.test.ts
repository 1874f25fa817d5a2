/**
 * Upgrades of the storage: a database left at an older schema is migrated forward at start with
 * its data kept; hubs starting together on PostgreSQL apply each migration once (the advisory
 * lock); and a database written by a newer version is refused — the hub process exits with its own
 * code (3) and a message saying what to do, before changing anything.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaTooNewError } from '../src/store/sql/migration.js';
import { applyMigrations } from '../src/store/sqlite/database.js';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/migrations.js';
import { openStore } from '../src/store/open.js';
import { runApiHub } from './support/cli.js';
import { TEST_SECRET_KEY } from './support/hub.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
const NEWEST_SQLITE = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));
const NEWEST_POSTGRES = Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));

describe('upgrades on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-upgrade-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates a database of an older version forward, keeping its rows', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    applyMigrations(old, SQLITE_MIGRATIONS.slice(0, 2));
    old.prepare('INSERT INTO communities (id, created_at) VALUES (?, ?)').run('school-a', 1);
    old.close();

    const store = await openStore(`file:${path}`);
    try {
      expect((await store.listCommunities()).map((c) => c.id)).toEqual(['school-a']);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it('refuses to start on a database written by a newer version: exit code 3, nothing changed', async () => {
    const path = join(dir, 'newer.db');
    const newer = new Database(path);
    applyMigrations(newer, SQLITE_MIGRATIONS.slice(0, 3));
    newer.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(NEWEST_SQLITE + 10, 'from the future', 1);
    newer.close();

    const run = await runApiHub([], { env: { DATABASE_URL: `file:${path}`, HUB_ADMIN_TOKEN: 'upgrade-test-admin-token', PORT: '0', HOST: '127.0.0.1' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `API Hub refused to start: the database ${path} has schema version ${NEWEST_SQLITE + 10}, newer than this API Hub knows (${NEWEST_SQLITE}): ` +
        'it was written by a newer version. Run that version (or a newer one), or restore a backup taken before the upgrade; see docs/operations.md\n',
    );
    // The migrations this code has but the database lacks were not applied.
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2, 3, NEWEST_SQLITE + 10]);
    db.close();
  }, 60_000);
});

describe.skipIf(databaseUrl === undefined || databaseUrl === '')('upgrades on PostgreSQL', () => {
  const schemas: string[] = [];
  const newSchema = () => {
    const schema = `test_ops_lifecycle_up_${randomUUID().replace(/-/g, '')}`;
    schemas.push(schema);
    return schema;
  };
  const query = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  afterAll(async () => {
    for (const schema of schemas) await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('applies each migration once when several hubs start together (under the lock)', async () => {
    const pgSchema = newSchema();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openStore(databaseUrl, { pgSchema, secretKey: TEST_SECRET_KEY })));
    await Promise.all(stores.map((s) => s.close()));
    const rows = await query(`SELECT version FROM "${pgSchema}".schema_migrations ORDER BY version`);
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
  }, 60_000);

  it('refuses a schema written by a newer version, before changing anything', async () => {
    const pgSchema = newSchema();
    await (await openStore(databaseUrl, { pgSchema, secretKey: TEST_SECRET_KEY })).close();
    await query(`DELETE FROM "${pgSchema}".schema_migrations WHERE version = $1`, [NEWEST_POSTGRES]);
    await query(`INSERT INTO "${pgSchema}".schema_migrations (version, name, applied_at) VALUES ($1, 'from the future', 1)`, [NEWEST_POSTGRES + 10]);
    const refused = openStore(databaseUrl, { pgSchema, secretKey: TEST_SECRET_KEY });
    await expect(refused).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(refused).rejects.toThrow(
      `the PostgreSQL database (schema ${pgSchema}) has schema version ${NEWEST_POSTGRES + 10}, newer than this API Hub knows (${NEWEST_POSTGRES})`,
    );
    const rows = await query(`SELECT version FROM "${pgSchema}".schema_migrations ORDER BY version`);
    expect(rows.map((r) => r.version)).not.toContain(NEWEST_POSTGRES);
  }, 60_000);
});
