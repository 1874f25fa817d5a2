/**
 * Admin keys over HTTP: created with a name and a scope (the key shown once), listed without
 * secrets, stored only as a hash (checked in the SQLite file and the PostgreSQL table), compared in
 * constant time, and revoked from the next request on, in every hub sharing PostgreSQL.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalOf, type AdminKeyRecord } from '../src/admin/admin-keys.js';
import { ADMIN_TOKEN, sendTo, startHub, type TestHub } from './support/hub.js';
import { expectExactError } from './support/errors.js';

const KEY_FORMAT = /^hub_admin_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const databaseUrl = process.env.TEST_DATABASE_URL;

const withKey = (hub: TestHub, key: string, method: string, path: string, body?: unknown) =>
  hub.send(method, `/v1/admin${path}`, { headers: { authorization: `Bearer ${key}` }, body });

async function createKey(hub: TestHub, name: string, scope: string) {
  const created = await hub.admin('POST', '/keys', { name, scope });
  expect(created.status).toBe(201);
  return created.body as { id: string; name: string; scope: string; key: string; createdAt: number };
}

describe('admin keys on SQLite', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(() => hub.close());

  it('creates a key shown once, with its id in it, and lists keys without any secret', async () => {
    const before = Date.now();
    const created = await hub.admin('POST', '/keys', { name: 'ci reader', scope: 'read' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const [, id, secret] = KEY_FORMAT.exec(created.body.key)!;
    expect(created.body).toEqual({ id, name: 'ci reader', scope: 'read', key: created.body.key, createdAt: expect.any(Number) });
    expect(created.body.createdAt).toBeGreaterThanOrEqual(before);

    const list = await hub.admin('GET', '/keys');
    expect(list.status).toBe(200);
    expect(list.body).toContainEqual({ id, name: 'ci reader', scope: 'read', createdAt: created.body.createdAt, revokedAt: null });
    const hash = createHash('sha256').update(secret!).digest('hex');
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(hash);
    expect(list.text).not.toContain('"hash"');
    // The key works, with its scope.
    expect((await withKey(hub, created.body.key, 'GET', '/apps')).status).toBe(200);
  });

  it('stores only the SHA-256 of the secret: nowhere in the database file or its WAL', async () => {
    const created = await createKey(hub, 'at rest', 'operate');
    const secret = KEY_FORMAT.exec(created.key)![2]!;
    const path = join(hub.dir, 'hub.db');
    for (const file of [path, `${path}-wal`].filter(existsSync)) {
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(created.key))).toBe(false);
    }
    const db = new Database(path, { readonly: true });
    try {
      const row = db.prepare('SELECT * FROM admin_keys WHERE id = ?').get(created.id) as Record<string, unknown>;
      expect(row).toEqual({
        id: created.id,
        name: 'at rest',
        scope: 'operate',
        hash: createHash('sha256').update(secret).digest('hex'),
        created_at: created.createdAt,
        revoked_at: null,
      });
    } finally {
      db.close();
    }
  });

  it('refuses a wrong secret, an unknown id and a malformed key with 401, the same answer for each', async () => {
    const created = await createKey(hub, 'guessed', 'admin');
    const secret = KEY_FORMAT.exec(created.key)![2]!;
    const flipped = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const key of [`hub_admin_${created.id}_${flipped}`, `hub_admin_0000000000000000_${secret}`, `hub_admin_${created.id}`, 'hub_admin_']) {
      expectExactError(await withKey(hub, key, 'GET', '/apps'), 401, 'Unauthorized', 'the admin token is wrong, or the admin key is unknown or revoked');
    }
    expectExactError(await hub.send('GET', '/v1/admin/keys'), 401, 'Unauthorized', 'no admin token: send Authorization: Bearer <admin token or admin key>');
  });

  it('compares the secret through its hash in constant time, whatever the stored hash', () => {
    const secret = 'Q2xZ7mJp0bT5vR8sLkN1wXc4HdYgUe6iAoF3qS9rVtM';
    const record: AdminKeyRecord = {
      id: '3f9a2c71d04e8b65',
      name: 'k',
      scope: 'operate',
      hash: createHash('sha256').update(secret).digest('hex'),
      createdAt: 1,
      revokedAt: null,
    };
    expect(principalOf(secret, record)).toEqual({ id: record.id, name: 'k', scope: 'operate' });
    expect(principalOf(`${secret.slice(0, -1)}N`, record)).toBeUndefined();
    // A stored hash of another length (a damaged row) is a mismatch, not a throw of timingSafeEqual.
    expect(principalOf(secret, { ...record, hash: 'abcd' })).toBeUndefined();
    expect(principalOf(secret, { ...record, revokedAt: 2 })).toBeUndefined();
    expect(principalOf(secret, null)).toBeUndefined();
  });

  it('revokes a key from its next request on; revoking it again is a 404', async () => {
    const created = await createKey(hub, 'leaving', 'admin');
    expect((await withKey(hub, created.key, 'GET', '/keys')).status).toBe(200);
    const revoked = await hub.admin('DELETE', `/keys/${created.id}`);
    expect(revoked.status).toBe(204);
    expectExactError(await withKey(hub, created.key, 'GET', '/keys'), 401, 'Unauthorized', 'the admin token is wrong, or the admin key is unknown or revoked');
    expectExactError(await hub.admin('DELETE', `/keys/${created.id}`), 404, 'NotFound', `no active admin key "${created.id}"`);
    const listed = (await hub.admin('GET', '/keys')).body.find((k: { id: string }) => k.id === created.id);
    expect(listed).toEqual({ id: created.id, name: 'leaving', scope: 'admin', createdAt: created.createdAt, revokedAt: expect.any(Number) });
  });

  it('checks the body of a new key, naming the field', async () => {
    expectExactError(await hub.admin('POST', '/keys', { name: 'x', scope: 'root' }), 400, 'InvalidRequest', 'scope must be one of read, operate, admin', {
      details: [{ pointer: '/scope', message: 'must be one of read, operate, admin' }],
    });
    expectExactError(await hub.admin('POST', '/keys', { name: '', scope: 'read' }), 400, 'InvalidRequest', 'name must be a string of 1 to 200 characters', {
      details: [{ pointer: '/name', message: 'must be a string of 1 to 200 characters' }],
    });
    expectExactError(await hub.admin('POST', '/keys', { scope: 'read' }), 400, 'InvalidRequest', 'the body is not valid: /name is required', {
      details: [{ pointer: '/name', message: 'is required' }],
    });
  });

  it('lets a key with the admin scope create and revoke keys, and HUB_ADMIN_TOKEN stay the bootstrap key', async () => {
    const admin = await createKey(hub, 'second admin', 'admin');
    const made = await withKey(hub, admin.key, 'POST', '/keys', { name: 'made by a key', scope: 'read' });
    expect(made.status).toBe(201);
    expect((await withKey(hub, admin.key, 'DELETE', `/keys/${made.body.id}`)).status).toBe(204);
    // The bootstrap token still works after keys exist.
    expect((await sendTo(hub.url, 'GET', '/v1/admin/keys', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });
});

describe.skipIf(databaseUrl === undefined || databaseUrl === '')('admin keys on PostgreSQL, two hubs sharing one schema', () => {
  const schema = `ops_keys_${randomUUID().replace(/-/g, '')}`;
  let a: TestHub;
  let b: TestHub;
  beforeAll(async () => {
    a = await startHub({}, undefined, { databaseUrl, pgSchema: schema, deliver: false });
    b = await startHub({}, undefined, { databaseUrl, pgSchema: schema, deliver: false });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  it('a key made on one hub works on the other, and its revocation holds on the other at the next request', async () => {
    const created = await createKey(a, 'shared', 'operate');
    expect((await withKey(b, created.key, 'GET', '/apps')).status).toBe(200);
    expect((await a.admin('DELETE', `/keys/${created.id}`)).status).toBe(204);
    expectExactError(await withKey(b, created.key, 'GET', '/apps'), 401, 'Unauthorized', 'the admin token is wrong, or the admin key is unknown or revoked');
  });

  it('records a write on one hub in the change trail the other reads, with the key that made it', async () => {
    const created = await createKey(a, 'pg operator', 'operate');
    const put = await withKey(a, created.key, 'PUT', '/communities/pg-school');
    expect(put.status).toBe(201);
    const trail = await withKey(b, created.key, 'GET', `/changes?key=${created.id}`);
    expect(trail.body).toEqual({
      items: [
        expect.objectContaining({
          keyId: created.id,
          keyName: 'pg operator',
          kind: 'community.put',
          target: 'pg-school',
          outcome: 'ok',
          requestId: put.headers['x-request-id'],
        }),
      ],
      nextCursor: null,
    });
  });

  it('stores only the hash in the table', async () => {
    const created = await createKey(a, 'pg at rest', 'read');
    const secret = KEY_FORMAT.exec(created.key)![2]!;
    const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT * FROM admin_keys WHERE id = $1', [created.id]);
      expect(rows).toEqual([
        {
          id: created.id,
          name: 'pg at rest',
          scope: 'read',
          hash: createHash('sha256').update(secret).digest('hex'),
          created_at: String(created.createdAt),
          revoked_at: null,
        },
      ]);
      expect(JSON.stringify((await client.query('SELECT * FROM admin_keys')).rows)).not.toContain(secret);
    } finally {
      await client.end();
    }
  });
});
