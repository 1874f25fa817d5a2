/**
 * `api-hub backup` end to end: a hub runs as a child process on a SQLite file with apps, tokens,
 * secrets and deliveries pending to a subscriber that is down; the backup is taken while writes go
 * on; a new hub started on the backup (and the key file copied beside it) accepts the old tokens,
 * signs with the same secrets (a provider verifies a call, a subscriber a delivery) and delivers
 * the deliveries that were pending once the subscriber is up. Also the command's refusals.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinCatalog } from '../src/catalog/builtin.js';
import { generateSecretKeyText, parseSecretKey } from '../src/security/secret-key.js';
import { runApiHub } from './support/cli.js';
import { spawnHub, stopAll, type HubProcess } from './support/process.js';
import { json, startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';

const ADMIN = 'backup-restore-admin-token';
const OPENED = '@acme:test:Ticket:opened';
const GRADES = '@layers:education:GradeBooks:getRelated';
const GRADEBOOK = loadBuiltinCatalog().find((a) => a.id === GRADES)!.examples.response!.valid[0];
// Attempts every 300 ms for a while: the restored hub retries soon after the subscriber is up.
const ENV = { HUB_RETRY_SCHEDULE: Array(100).fill('300ms').join(','), HUB_RATE_LIMIT: '0' };

describe('backup and restore of a running SQLite hub', () => {
  const original = mkdtempSync(join(tmpdir(), 'hub-backup-a-'));
  const restored = mkdtempSync(join(tmpdir(), 'hub-backup-b-'));
  let subscriber: TestServer;
  let provider: TestServer;
  let subscriberUp = false;
  /** The signing secret the provider checks calls with (read from the first hub). */
  let providerSecret = '';
  const verifiedCalls: unknown[] = [];
  let hub: HubProcess;
  let gate = '';
  let viewerToken = '';
  let pendingEvents: string[] = [];

  const publish = (target: HubProcess, n: number) =>
    target.send('POST', `/v1/services/publish/${OPENED}`, { headers: { authorization: `Bearer ${gate}`, 'x-community-id': 'school-a' }, body: { n } });

  beforeAll(async () => {
    subscriber = await startServer((_req, res) => void res.writeHead(subscriberUp ? 204 : 503).end());
    provider = await startServer((req, res) => {
      verifiedCalls.push(new Webhook(providerSecret).verify(req.body, req.headers as Record<string, string>));
      json(res, 200, GRADEBOOK);
    });
    hub = await spawnHub(original, ADMIN, ENV);
    expect(
      (await hub.admin('PUT', `/actions/${OPENED}/versions/1`, { kind: 'event', title: 'Ticket opened', dataSchema: { type: 'object' }, coalesce: false }))
        .status,
    ).toBe(201);
    const register = async (id: string, services: Record<string, unknown>) => {
      expect((await hub.admin('PUT', `/apps/${id}`, { displayName: id, services })).status).toBe(201);
      expect((await hub.admin('PUT', '/communities/school-a')).status).toBeLessThan(300);
      expect((await hub.admin('PUT', `/communities/school-a/installations/${id}`)).status).toBe(201);
      return (await hub.admin('POST', `/apps/${id}/tokens`)).body.token as string;
    };
    gate = await register('gate', { publishes: [{ action: OPENED, reason: 'x' }] });
    await register('subscriber', { subscribes: [{ action: OPENED, reason: 'x', url: `${subscriber.url}/hook` }] });
    await register('erp', { responds: [{ action: GRADES, versions: [1], url: `${provider.url}/grades` }] });
    viewerToken = await register('viewer', { requests: [{ action: GRADES, reason: 'x' }] });
    providerSecret = (await hub.admin('GET', '/apps/erp/secrets')).body.signingSecret;
    for (let n = 0; n < 3; n++) pendingEvents.push((await publish(hub, n)).body.id);
    await until(
      async () => {
        const items = (await hub.admin('GET', '/deliveries?status=pending')).body.items as Array<{ attempts: number }>;
        return items.length === 3 && items.every((d) => d.attempts >= 1);
      },
      20_000,
      'three deliveries pending after a failed attempt',
    );
  }, 90_000);

  afterAll(async () => {
    await stopAll();
    await subscriber?.close();
    await provider?.close();
    rmSync(original, { recursive: true, force: true });
    rmSync(restored, { recursive: true, force: true });
  });

  it('backs up while the hub writes; a new hub on the copy and its key works as the old one', async () => {
    const backupFile = join(restored, 'hub.db');
    // Writes go on during the backup: publishes and tokens.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        const answer = await publish(hub, 100 + written);
        expect(answer.status).toBe(201);
        expect((await hub.admin('POST', '/apps/viewer/tokens')).status).toBe(201);
        written++;
      }
    })();
    await until(() => written >= 2, 20_000, 'writes under way');
    const run = await runApiHub(['backup', backupFile], { env: { DATABASE_URL: `file:${join(original, 'hub.db')}`, HUB_SECRET_KEY: '' } });
    writing = false;
    await writer;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`backed up ${join(original, 'hub.db')} to ${backupFile}`);
    expect(run.stdout).toContain(`copied the secrets key file ${join(original, 'hub.db.key')} to ${backupFile}.key: the backup is useless without it`);
    expect(readFileSync(`${backupFile}.key`, 'utf8')).toBe(readFileSync(join(original, 'hub.db.key'), 'utf8'));
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(statSync(`${backupFile}.key`).mode & 0o777).toBe(0o600);

    // The first hub goes; the new one starts on the copy.
    hub.child.kill('SIGKILL');
    await hub.exited;
    const next = await spawnHub(restored, ADMIN, ENV);

    // Tokens: the old viewer token calls; secrets: the provider verifies the signature with the
    // secret read from the first hub.
    const call = await next.send('POST', `/v1/services/call/${GRADES}/erp?version=1`, {
      headers: { authorization: `Bearer ${viewerToken}`, 'x-community-id': 'school-a' },
      body: { user: { id: 'u-1', name: 'Ana Souza', alias: 'ana' } },
    });
    expect(call.status).toBe(200);
    expect(call.body).toEqual({ data: GRADEBOOK });
    expect(verifiedCalls).toHaveLength(1);
    expect((await next.admin('GET', '/apps/erp/secrets')).body.signingSecret).toBe(providerSecret);

    // The deliveries pending at the time of the backup are delivered once the subscriber is up.
    subscriberUp = true;
    const subscriberSecret = (await next.admin('GET', '/apps/subscriber/secrets')).body.signingSecret as string;
    const delivered = await until(
      async () => {
        const items = (await next.admin('GET', '/deliveries?status=delivered&limit=1000')).body.items as Array<{ eventId: string }>;
        const ids = new Set(items.map((d) => d.eventId));
        return pendingEvents.every((id) => ids.has(id)) && ids;
      },
      30_000,
      'the pending deliveries delivered by the restored hub',
    );
    expect(delivered.size).toBeGreaterThanOrEqual(3);
    const accepted = subscriber.received.filter((r) => pendingEvents.includes(JSON.parse(r.body).context.eventId));
    for (const r of accepted) expect(() => new Webhook(subscriberSecret).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    pendingEvents = [];
  }, 120_000);

  it('refuses a backup whose secrets the key it names would not open, as after a key rotation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-backup-d-'));
    try {
      const database = join(restored, 'hub.db');
      const keyText = readFileSync(`${database}.key`, 'utf8');
      const sealedWith = parseSecretKey(keyText, 'key').id;
      const otherText = generateSecretKeyText();
      const other = parseSecretKey(otherText, 'key').id;
      const advice =
        'a restore could not open them. After a key rotation, run the backup with HUB_SECRET_KEY set to the key the hub runs with ' +
        '(docs/secrets.md); no backup was written\n';

      const wrongEnv = await runApiHub(['backup', join(dir, 'a.db'), '--database', database], { env: { HUB_SECRET_KEY: otherText } });
      expect({ code: wrongEnv.code, stderr: wrongEnv.stderr, stdout: wrongEnv.stdout }).toEqual({
        code: 1,
        stderr: `api-hub: the app secrets in the database are encrypted with key ${sealedWith}, but HUB_SECRET_KEY is key ${other}: ${advice}`,
        stdout: '',
      });
      expect(existsSync(join(dir, 'a.db'))).toBe(false);

      // A copy whose key file was replaced: the stale key file of a rotated hub.
      const good = await runApiHub(['backup', join(dir, 'good.db'), '--database', database], { env: { HUB_SECRET_KEY: '' } });
      expect(good.code).toBe(0);
      writeFileSync(join(dir, 'good.db.key'), `${otherText}\n`);
      const staleFile = await runApiHub(['backup', join(dir, 'b.db'), '--database', join(dir, 'good.db')], { env: { HUB_SECRET_KEY: '' } });
      expect({ code: staleFile.code, stderr: staleFile.stderr }).toEqual({
        code: 1,
        stderr: `api-hub: the app secrets in the database are encrypted with key ${sealedWith}, but the key file ${join(dir, 'good.db.key')} is key ${other}: ${advice}`,
      });
      expect(existsSync(join(dir, 'b.db'))).toBe(false);
      expect(existsSync(join(dir, 'b.db.key'))).toBe(false);

      // The key the hub runs with, given as HUB_SECRET_KEY (the previous one beside it is accepted).
      const right = await runApiHub(['backup', join(dir, 'c.db'), '--database', join(dir, 'good.db'), '--json'], {
        env: { HUB_SECRET_KEY: otherText, HUB_SECRET_KEY_PREVIOUS: keyText.trim() },
      });
      expect(right.code).toBe(0);
      expect(JSON.parse(right.stdout)).toEqual({
        database: join(dir, 'good.db'),
        backup: join(dir, 'c.db'),
        pages: expect.any(Number),
        keyFile: null,
        secretKey: 'HUB_SECRET_KEY',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses to overwrite without --force, refuses PostgreSQL, and prints JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-backup-c-'));
    try {
      const database = join(restored, 'hub.db');
      const target = join(dir, 'copy.db');
      writeFileSync(target, 'precious');
      const refused = await runApiHub(['backup', target, '--database', database], { env: { HUB_SECRET_KEY: '' } });
      expect({ code: refused.code, stderr: refused.stderr, stdout: refused.stdout }).toEqual({
        code: 1,
        stderr: `api-hub: ${target} exists; pass --force to replace it\n`,
        stdout: '',
      });
      expect(readFileSync(target, 'utf8')).toBe('precious');

      const forced = await runApiHub(['backup', target, '--database', database, '--force', '--json'], { env: { HUB_SECRET_KEY: '' } });
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.stdout)).toEqual({ database, backup: target, pages: expect.any(Number), keyFile: `${target}.key`, secretKey: 'key file' });

      const postgres = await runApiHub(['backup', join(dir, 'pg.db')], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
      expect(postgres.code).toBe(1);
      expect(postgres.stderr).toBe(
        'api-hub: DATABASE_URL names PostgreSQL: back it up with pg_dump, or with WAL archiving for point-in-time recovery, ' +
          'and keep HUB_SECRET_KEY apart from it (see docs/operations.md)\n',
      );
      expect(existsSync(join(dir, 'pg.db'))).toBe(false);

      const usage = await runApiHub(['backup']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/^api-hub: the backup file is required\n\nUsage: api-hub backup <file>/);
      const help = await runApiHub(['backup', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: api-hub backup <file> \[options\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
