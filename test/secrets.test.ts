/**
 * App secrets as an operator and the apps see them: encrypted at rest (the database read behind
 * the hub's back holds none in plaintext), private file modes, the key from HUB_SECRET_KEY or the
 * key file, a wrong or malformed key refused at start, rotation of the key, and the overlap after
 * a rotation of an app's secrets (the old legacy secret still sent, both signatures). Hub
 * processes on real SQLite files, in-process hubs for the overlap, PostgreSQL when
 * TEST_DATABASE_URL is set.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinCatalog } from '../src/catalog/builtin.js';
import { parseSecretKey } from '../src/security/secret-key.js';
import { applyMigrations } from '../src/store/sqlite/database.js';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { openStore } from '../src/store/open.js';
import { runApiHub, type CliRun } from './support/cli.js';
import { ADMIN_TOKEN, install, registerApp, startHub, TEST_SECRET_KEY, type Answer, type TestHub } from './support/hub.js';
import { spawnHub, stopAll, type HubProcess } from './support/process.js';
import { json, startServer, type Received, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const GRADES = '@layers:education:GradeBooks:getRelated';
const CREATED = '@layers:education:Entrance:created';
const GRADEBOOK = loadBuiltinCatalog().find((a) => a.id === GRADES)!.examples.response!.valid[0] as { result: unknown[] };
const USER = { user: { id: 'u-1', name: 'Ana Souza', alias: 'ana' } };
const SEALED_COLUMNS = ['secret', 'previous_secret', 'signing_secret', 'previous_signing_secret'] as const;

const newKey = (): string => randomBytes(32).toString('base64');
const keyId = (text: string): string => parseSecretKey(text, 'key').id;

/** The apps row as stored, read with a connection of our own. */
function rawApp(dbPath: string, appId: string): Record<string, unknown> {
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM apps WHERE id = ?').get(appId) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

/** The error a hub process that refused to start gave (spawnHub throws with its output). */
async function refusal(dir: string, env: Record<string, string>): Promise<string> {
  const failure = await spawnHub(dir, ADMIN_TOKEN, env).then(
    () => undefined,
    (err: unknown) => (err as Error).message,
  );
  if (failure === undefined) throw new Error('the hub started');
  return failure;
}

/** The binary started on `<dir>/hub.db` (or `env`'s DATABASE_URL), expected to refuse: its exit code and output. */
function refusedStart(dir: string, env: Record<string, string>): Promise<CliRun> {
  return runApiHub([], {
    env: { DATABASE_URL: `file:${join(dir, 'hub.db')}`, HUB_ADMIN_TOKEN: ADMIN_TOKEN, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
  });
}

async function stop(proc: HubProcess): Promise<void> {
  proc.child.kill('SIGTERM');
  expect(await proc.exited).toEqual({ code: 0, signal: null });
}

describe('app secrets at rest', () => {
  let provider: TestServer;
  const dirs: string[] = [];
  const newDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-secrets-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, GRADEBOOK));
  });
  afterEach(async () => {
    await stopAll();
    provider.received.length = 0;
  });
  afterAll(async () => {
    await provider.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A provider and a consumer installed in school-a; the consumer's token. */
  async function setUp(proc: HubProcess): Promise<string> {
    const put = async (id: string, manifest: unknown) => expect((await proc.admin('PUT', `/apps/${id}`, manifest)).status).toBe(201);
    await put('erp', { displayName: 'ERP', services: { responds: [{ action: GRADES, reason: 'grades', url: `${provider.url}/grades` }] } });
    await put('viewer', { displayName: 'Viewer', services: { requests: [{ action: GRADES, reason: 'show' }] } });
    await proc.admin('PUT', '/communities/school-a');
    for (const app of ['erp', 'viewer']) expect((await proc.admin('PUT', `/communities/school-a/installations/${app}`)).status).toBe(201);
    return (await proc.admin('POST', '/apps/viewer/tokens')).body.token as string;
  }

  /** Calls erp through the hub; what erp received. */
  async function callErp(proc: HubProcess, token: string): Promise<Received> {
    provider.received.length = 0;
    const answer = await proc.send('POST', `/v1/services/call/${GRADES}/erp?version=1`, {
      headers: { authorization: `Bearer ${token}`, 'x-community-id': 'school-a' },
      body: USER,
    });
    expect(answer.status).toBe(200);
    return provider.received[0]!;
  }

  /** erp got `secret` in the body, and a signature that verifies with each of `signingSecrets`. */
  function expectSentWith(received: Received, secret: string, signingSecrets: string[]): void {
    expect(JSON.parse(received.body).secret).toBe(secret);
    expect((received.headers['webhook-signature'] as string).split(' ')).toHaveLength(signingSecrets.length);
    for (const signingSecret of signingSecrets) {
      expect(() => new Webhook(signingSecret).verify(received.body, received.headers as Record<string, string>)).not.toThrow();
    }
  }

  it('creates the data directory 0700 and the database, -wal, -shm and key files 0600, and warns about the key file', async () => {
    const data = join(newDir(), 'data', 'hub');
    const proc = await spawnHub(newDir(), ADMIN_TOKEN, { DATABASE_URL: `file:${join(data, 'hub.db')}` });
    await setUp(proc);
    expect(mode(join(data, '..'))).toBe('700');
    expect(mode(data)).toBe('700');
    for (const file of ['hub.db', 'hub.db-wal', 'hub.db-shm', 'hub.db.key']) expect([file, mode(join(data, file))]).toEqual([file, '600']);
    const warning = proc
      .output()
      .split('\n')
      .find((line) => line.includes('HUB_SECRET_KEY is not set'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, keyFile: join(data, 'hub.db.key'), created: true });
    expect(readFileSync(join(data, 'hub.db.key'), 'utf8')).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
  });

  it('narrows to 0600 the files of a database created readable by others before', async () => {
    const dir = newDir();
    const path = join(dir, 'hub.db');
    new Database(path).close();
    expect(mode(path)).toBe('644');
    await spawnHub(dir, ADMIN_TOKEN);
    expect(mode(path)).toBe('600');
  });

  it('holds no secret in plaintext, in the row or anywhere in the database files, and gives the same ones after a restart', async () => {
    const dir = newDir();
    const path = join(dir, 'hub.db');
    const first = await spawnHub(dir, ADMIN_TOKEN);
    const token = await setUp(first);
    const before = (await first.admin('GET', '/apps/erp/secrets')).body;
    const rotated = (await first.admin('POST', '/apps/erp/secrets/rotate')).body;
    const secrets = [before.secret, before.signingSecret, rotated.nextSecret, rotated.signingSecret] as string[];
    const row = rawApp(path, 'erp');
    for (const column of SEALED_COLUMNS) expect(row[column]).toMatch(/^enc:v1:[0-9a-f]{16}:[A-Za-z0-9_-]+$/);
    const files = ['hub.db', 'hub.db-wal'].map((file) => readFileSync(join(dir, file)).toString('latin1')).join('');
    for (const secret of secrets) {
      expect(files).not.toContain(secret);
      expect(files).not.toContain(secret.replace(/^whsec_/, ''));
    }
    await stop(first);

    // The key file is found again: the same secrets, sent and signed as before the restart.
    const second = await spawnHub(dir, ADMIN_TOKEN);
    expect((await second.admin('GET', '/apps/erp/secrets')).body).toEqual(rotated);
    expectSentWith(await callErp(second, token), before.secret, [rotated.signingSecret, before.signingSecret]);
  });

  it('signs with the same secret after a restart with the same HUB_SECRET_KEY, and writes no key file', async () => {
    const dir = newDir();
    const env = { HUB_SECRET_KEY: randomBytes(32).toString('hex') };
    const first = await spawnHub(dir, ADMIN_TOKEN, env);
    const token = await setUp(first);
    const secrets = (await first.admin('GET', '/apps/erp/secrets')).body;
    expect(rawApp(join(dir, 'hub.db'), 'erp').secret).toMatch(`enc:v1:${keyId(env.HUB_SECRET_KEY)}:`);
    await stop(first);
    const second = await spawnHub(dir, ADMIN_TOKEN, env);
    expectSentWith(await callErp(second, token), secrets.secret, [secrets.signingSecret]);
    expect(() => statSync(join(dir, 'hub.db.key'))).toThrow();
    expect(second.output()).not.toContain('HUB_SECRET_KEY is not set');
  });

  it('refuses a malformed key at start, naming the variable and the expected form, never echoing it', async () => {
    const dir = newDir();
    const bad = {
      'too short': randomBytes(16).toString('base64'),
      'hex of the wrong length': randomBytes(31).toString('hex'),
      'not base64 or hex': `${'zz'.repeat(31)}!!`,
      'one byte repeated': '0'.repeat(64),
    };
    for (const [why, value] of Object.entries(bad)) {
      const message = await refusal(dir, { HUB_SECRET_KEY: value });
      expect([why, message]).toEqual([why, expect.stringContaining('"code":2')]);
      expect(message).toMatch(/--secret-key \/ HUB_SECRET_KEY: .*32 random bytes written as base64 \(44 characters, `openssl rand -base64 32`\) or hex/);
      expect(message).not.toContain(value);
    }
    const previous = await refusal(dir, { HUB_SECRET_KEY: newKey(), HUB_SECRET_KEY_PREVIOUS: 'secret-value' });
    expect(previous).toContain('--secret-key-previous / HUB_SECRET_KEY_PREVIOUS: not a valid key (12 characters)');
    expect(previous).not.toContain('secret-value');
  });

  it('refuses to start with a key the database was not written with, naming the one it needs: one line, exit 2', async () => {
    const dir = newDir();
    const right = newKey();
    await stop(await spawnHub(dir, ADMIN_TOKEN, { HUB_SECRET_KEY: right }).then(async (proc) => (await setUp(proc), proc)));
    const wrong = newKey();
    const keyFile = join(dir, 'hub.db.key');
    const needs = (given: string) =>
      `API Hub refused to start: apps/erp/secret in storage was encrypted with key ${keyId(right)}, which this hub was not given (${given}). ` +
      'Start the hub with the key the database was written with: HUB_SECRET_KEY, or HUB_SECRET_KEY_PREVIOUS while rotating (see docs/secrets.md)\n';
    // An operator's mistake, like a bad option: the message alone, no stack, exit 2.
    const withWrongKey = await refusedStart(dir, { HUB_SECRET_KEY: wrong });
    expect(withWrongKey).toEqual({ code: 2, stdout: '', stderr: needs(`--secret-key / HUB_SECRET_KEY is key ${keyId(wrong)}`) });
    expect(withWrongKey.stderr).not.toContain('    at ');
    // Without any key, the hub does not make a new key file that could not open them either.
    expect(await refusedStart(dir, {})).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `API Hub refused to start: the database ${join(dir, 'hub.db')} holds encrypted app secrets but its key file ${keyFile} is missing: ` +
        'restore the key file from the backup of this database, or set HUB_SECRET_KEY to the key the secrets were encrypted with\n',
    });
    expect(() => statSync(keyFile)).toThrow();
    // A key file that is not the database's.
    writeFileSync(keyFile, `${wrong}\n`, { mode: 0o600 });
    expect(await refusedStart(dir, {})).toEqual({ code: 2, stdout: '', stderr: needs(`key file ${keyFile} is key ${keyId(wrong)}`) });
  });

  it('rotates the key: started with the new key and the previous one, the hub seals again, then runs without the previous', async () => {
    const dir = newDir();
    const path = join(dir, 'hub.db');
    const [oldKey, newKeyText] = [newKey(), newKey()];
    const first = await spawnHub(dir, ADMIN_TOKEN, { HUB_SECRET_KEY: oldKey });
    const token = await setUp(first);
    await first.admin('POST', '/apps/erp/secrets/rotate');
    const secrets = (await first.admin('GET', '/apps/erp/secrets')).body;
    await stop(first);

    const rotating = await spawnHub(dir, ADMIN_TOKEN, { HUB_SECRET_KEY: newKeyText, HUB_SECRET_KEY_PREVIOUS: oldKey });
    const row = rawApp(path, 'erp');
    for (const column of SEALED_COLUMNS) expect(row[column]).toMatch(`enc:v1:${keyId(newKeyText)}:`);
    expect((await rotating.admin('GET', '/apps/erp/secrets')).body).toEqual(secrets);
    await stop(rotating);

    const rotated = await spawnHub(dir, ADMIN_TOKEN, { HUB_SECRET_KEY: newKeyText });
    expectSentWith(await callErp(rotated, token), secrets.secret, [secrets.signingSecret, secrets.previousSigningSecret]);
    await stop(rotated);
    expect(await refusal(dir, { HUB_SECRET_KEY: oldKey })).toContain(`was encrypted with key ${keyId(newKeyText)}`);
  });

  it('seals at start the plaintext secrets of a database from before, which go on working', async () => {
    const dir = newDir();
    const path = join(dir, 'hub.db');
    const db = new Database(path);
    applyMigrations(
      db,
      SQLITE_MIGRATIONS.filter((m) => m.version <= 2),
    );
    const manifest = {
      id: 'erp',
      displayName: 'ERP',
      approval: 'automatic',
      visibility: 'private',
      services: { enabled: true, requests: [], responds: [{ action: GRADES, reason: 'grades', url: `${provider.url}/grades` }], publishes: [], subscribes: [] },
    };
    const legacy = { secret: randomBytes(32).toString('base64url'), signingSecret: `whsec_${randomBytes(32).toString('base64')}` };
    db.prepare('INSERT INTO apps (id, manifest, secret, signing_secret, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1)').run(
      'erp',
      JSON.stringify(manifest),
      legacy.secret,
      legacy.signingSecret,
    );
    db.close();

    const proc = await spawnHub(dir, ADMIN_TOKEN);
    const row = rawApp(path, 'erp');
    expect(row.secret).toMatch(/^enc:v1:/);
    expect(row.signing_secret).toMatch(/^enc:v1:/);
    expect(JSON.stringify(row)).not.toContain(legacy.secret);
    expect((await proc.admin('GET', '/apps/erp/secrets')).body).toEqual(legacy);
    const viewer = await proc.admin('PUT', '/apps/viewer', { displayName: 'Viewer', services: { requests: [{ action: GRADES, reason: 'show' }] } });
    expect(viewer.status).toBe(201);
    await proc.admin('PUT', '/communities/school-a');
    for (const app of ['erp', 'viewer']) await proc.admin('PUT', `/communities/school-a/installations/${app}`);
    const token = (await proc.admin('POST', '/apps/viewer/tokens')).body.token as string;
    expectSentWith(await callErp(proc, token), legacy.secret, [legacy.signingSecret]);
  });

  it('refuses PostgreSQL without HUB_SECRET_KEY, before connecting: one line, exit 2', async () => {
    expect(await refusedStart(newDir(), { DATABASE_URL: 'postgres://127.0.0.1:1/none' })).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'API Hub refused to start: HUB_SECRET_KEY is required with PostgreSQL: app secrets are encrypted at rest, and there is no place ' +
        'beside the database for a generated key. Set it to 32 random bytes written as base64 (44 characters, `openssl rand -base64 32`) ' +
        'or hex (64 characters, `openssl rand -hex 32`), the same in every hub process\n',
    });
  });
});

describe("rotation of an app's secrets with an overlap", () => {
  const OVERLAP_MS = 3000;
  let hub: TestHub;
  let provider: TestServer;
  let subscriber: TestServer;
  let viewer: string;
  let gate: string;
  const ok = (_req: Received, res: ServerResponse): void => void res.writeHead(204).end();

  beforeAll(async () => {
    provider = await startServer((_req, res) => json(res, 200, GRADEBOOK));
    subscriber = await startServer(ok);
    hub = await startHub({ secretOverlapMs: OVERLAP_MS });
    await registerApp(hub, 'erp', { services: { responds: [{ action: GRADES, reason: 'grades', url: `${provider.url}/grades` }] } });
    viewer = await registerApp(hub, 'viewer', {
      services: { requests: [{ action: GRADES, reason: 'show' }], subscribes: [{ action: CREATED, reason: 'hint', url: `${subscriber.url}/hook` }] },
    });
    gate = await registerApp(hub, 'gate', { services: { publishes: [{ action: CREATED, reason: 'x' }] } });
    for (const app of ['erp', 'viewer', 'gate']) await install(hub, 'school-a', app);
  });
  afterAll(async () => {
    await hub.close();
    await provider.close();
    await subscriber.close();
  });

  const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'x-community-id': 'school-a' });
  /** One call to erp; what erp received. */
  async function callErp(): Promise<Received> {
    const before = provider.received.length;
    const answer = await hub.send('POST', `/v1/services/call/${GRADES}/erp?version=1`, { headers: headers(viewer), body: USER });
    expect(answer.status).toBe(200);
    return provider.received[before]!;
  }
  /** One event published; what the subscriber received for it. */
  async function publishToViewer(): Promise<Received> {
    const answer: Answer = await hub.send('POST', `/v1/services/publish/${CREATED}`, { headers: headers(gate), body: { ids: [randomUUID()] } });
    expect(answer.status).toBe(201);
    return until(() => subscriber.received.find((r) => JSON.parse(r.body).context.eventId === answer.body.id), 10_000, 'delivery');
  }
  function expectSentWith(received: Received, secret: string, signingSecrets: string[]): void {
    expect(JSON.parse(received.body).secret).toBe(secret);
    expect((received.headers['webhook-signature'] as string).split(' ')).toHaveLength(signingSecrets.length);
    for (const signingSecret of signingSecrets) {
      expect(() => new Webhook(signingSecret).verify(received.body, received.headers as Record<string, string>)).not.toThrow();
    }
  }

  it('sends the old legacy secret and both signatures until the overlap ends, then only the new ones', async () => {
    const erpBefore = (await hub.admin('GET', '/apps/erp/secrets')).body;
    const viewerBefore = (await hub.admin('GET', '/apps/viewer/secrets')).body;
    const rotatedAt = Date.now();
    const erp = await hub.admin('POST', '/apps/erp/secrets/rotate');
    const viewerRotated = (await hub.admin('POST', '/apps/viewer/secrets/rotate')).body;
    expect(erp.status).toBe(200);
    expect(erp.body).toEqual({
      secret: erpBefore.secret,
      nextSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      nextSecretTakesEffectAt: expect.any(String),
      signingSecret: expect.stringMatching(/^whsec_/),
      previousSigningSecret: erpBefore.signingSecret,
      previousSigningSecretExpiresAt: erp.body.nextSecretTakesEffectAt,
    });
    const takesEffect = Date.parse(erp.body.nextSecretTakesEffectAt);
    expect(takesEffect).toBeGreaterThanOrEqual(rotatedAt + OVERLAP_MS);
    expect(takesEffect).toBeLessThanOrEqual(Date.now() + OVERLAP_MS);

    // Right after the rotation: what was sent follows the rule at the time it was sent (within the
    // overlap unless this machine stalled for the whole of it).
    const inOverlap = (received: Received, endsAt: string) => Date.parse(JSON.parse(received.body).context.issuedAt) < Date.parse(endsAt);
    const call = await callErp();
    if (inOverlap(call, erp.body.nextSecretTakesEffectAt)) expectSentWith(call, erpBefore.secret, [erp.body.signingSecret, erpBefore.signingSecret]);
    else expectSentWith(call, erp.body.nextSecret, [erp.body.signingSecret]);
    const delivery = await publishToViewer();
    if (inOverlap(delivery, viewerRotated.nextSecretTakesEffectAt))
      expectSentWith(delivery, viewerBefore.secret, [viewerRotated.signingSecret, viewerBefore.signingSecret]);
    else expectSentWith(delivery, viewerRotated.nextSecret, [viewerRotated.signingSecret]);

    // Once it ends, the new legacy secret and the new signature only.
    const after = await until(
      async () => {
        const received = await callErp();
        return JSON.parse(received.body).secret === erp.body.nextSecret && received;
      },
      15_000,
      'the new legacy secret sent',
    );
    expect(Date.parse(JSON.parse(after.body).context.issuedAt)).toBeGreaterThanOrEqual(takesEffect);
    expectSentWith(after, erp.body.nextSecret, [erp.body.signingSecret]);
    // The viewer was rotated a moment after the ERP: its overlap may end a little later.
    const delivered = await until(
      async () => {
        const received = await publishToViewer();
        return JSON.parse(received.body).secret === viewerRotated.nextSecret && received;
      },
      15_000,
      "the viewer's new legacy secret sent",
    );
    expect(Date.parse(JSON.parse(delivered.body).context.issuedAt)).toBeGreaterThanOrEqual(Date.parse(viewerRotated.nextSecretTakesEffectAt));
    expectSentWith(delivered, viewerRotated.nextSecret, [viewerRotated.signingSecret]);
    expect((await hub.admin('GET', '/apps/erp/secrets')).body).toEqual({ secret: erp.body.nextSecret, signingSecret: erp.body.signingSecret });
  });

  it('keeps sending the secret in effect when rotated again during the overlap, announcing only the newest', async () => {
    const before = (await hub.admin('GET', '/apps/erp/secrets')).body;
    const first = (await hub.admin('POST', '/apps/erp/secrets/rotate')).body;
    const second = (await hub.admin('POST', '/apps/erp/secrets/rotate')).body;
    expect(first.secret).toBe(before.secret);
    expect(second.secret).toBe(before.secret);
    expect(second.nextSecret).not.toBe(first.nextSecret);
    expect(second.previousSigningSecret).toBe(first.signingSecret);
    const sent = await until(
      async () => {
        const received = await callErp();
        return JSON.parse(received.body).secret !== before.secret && received;
      },
      15_000,
      'the newest legacy secret sent',
    );
    expect(JSON.parse(sent.body).secret).toBe(second.nextSecret);
  });

  it('answers 404 in the error format for the secrets of an unknown app', async () => {
    for (const [method, path] of [
      ['GET', '/apps/nobody/secrets'],
      ['POST', '/apps/nobody/secrets/rotate'],
    ] as const) {
      const answer = await hub.admin(method, path);
      expect(answer.body).toEqual({ status: 404, type: 'NotFound', name: 'Not Found', error: 'no app "nobody"', requestId: answer.headers['x-request-id'] });
    }
  });
});

const databaseUrl = process.env.TEST_DATABASE_URL;
describe.skipIf(databaseUrl === undefined || databaseUrl === '')('app secrets at rest on PostgreSQL', () => {
  const schema = `test_secrets_${randomUUID().replace(/-/g, '')}`;
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('keeps no secret in plaintext in the table; another hub with the key gives the same ones, another key is refused', async () => {
    const first = await startHub({}, undefined, { databaseUrl, pgSchema: schema });
    await registerApp(first, 'erp', { services: { responds: [{ action: GRADES, reason: 'grades', url: 'http://127.0.0.1:9/grades' }] } });
    const before = (await first.admin('GET', '/apps/erp/secrets')).body;
    const rotated = (await first.admin('POST', '/apps/erp/secrets/rotate')).body;
    await first.close();

    const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
    await client.connect();
    const row = (await client.query('SELECT * FROM apps WHERE id = $1', ['erp'])).rows[0] as Record<string, unknown>;
    await client.end();
    for (const column of SEALED_COLUMNS) expect(row[column]).toMatch(`enc:v1:${TEST_SECRET_KEY.id}:`);
    const text = JSON.stringify(row);
    for (const secret of [before.secret, before.signingSecret, rotated.nextSecret, rotated.signingSecret] as string[]) expect(text).not.toContain(secret);

    const second = await startHub({}, undefined, { databaseUrl, pgSchema: schema });
    expect((await second.admin('GET', '/apps/erp/secrets')).body).toEqual(rotated);
    await second.close();
    await expect(openStore(databaseUrl, { pgSchema: schema, secretKey: parseSecretKey(newKey(), 'HUB_SECRET_KEY') })).rejects.toThrow(
      `was encrypted with key ${TEST_SECRET_KEY.id}`,
    );
  });
});
