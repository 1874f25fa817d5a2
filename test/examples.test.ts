/** The examples run: the demo end to end (and with --serve), the SDK consumer against the example
 * ERP through a hub, and the subscriber doing what subscribers must. */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runConsumer } from '../examples/consumer.js';
import { ACTIONS } from '../examples/consumer-http.js';
import { startEntranceSubscriber, type Entrance } from '../examples/entrance-subscriber.js';
import { ERP_PATHS, startErpProvider } from '../examples/erp-provider.js';
import { install, registerApp, startHub, type TestHub } from './support/hub.js';
import { json, startServer, type TestServer } from './support/servers.js';
import { buildViewer } from './support/viewer.js';
import { quiet } from './support/wait.js';

const CREATED = '@layers:education:Entrance:created';
const UPDATED_AFTER = '@layers:education:Entrance:getUpdatedAfter';

describe('examples', () => {
  it('npm run demo shows a whole exchange and exits 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { timeout: 30_000 });
    expect(stdout).toContain('200');
    expect(stdout).toMatch(/InvalidRequest/);
    // Publish & subscribe: the event stored, delivered, and what changed pulled through the hub.
    expect(stdout).toMatch(/POST \/v1\/services\/publish\/@layers:education:Entrance:created {2}\{"ids":\["ent-1"\]\} {2}→ 201 {2}stored as evt_\S+/);
    expect(stdout).toContain('delivery to gate-monitor: delivered after 1 attempt(s)');
    expect(stdout).toMatch(
      /gate-monitor pulled through the hub \(@layers:education:Entrance:getUpdatedAfter\):\n\s+\d\d:\d\d:\d\d → in {2}Lucas Mendes \(Portão principal\)\n/,
    );
    expect(stdout).toMatch(/gate-monitor → erp-modelo {2}@layers:education:Entrance:getUpdatedAfter {2}200 ok/);
  }, 40_000);

  it('the SDK consumer discovers and calls the example ERP through a hub', async () => {
    const hub = await startHub();
    const erp = await startErpProvider();
    try {
      const responds = ACTIONS.map((action) => ({ action, reason: 'x', url: erp.url + ERP_PATHS[action] }));
      await registerApp(hub, 'erp-modelo', { services: { responds } });
      const token = await registerApp(hub, 'student-viewer', { services: { requests: ACTIONS.map((action) => ({ action, reason: 'x' })) } });
      for (const app of ['erp-modelo', 'student-viewer']) await install(hub, 'escola-modelo', app);
      erp.setSecrets((await hub.admin('GET', '/apps/erp-modelo/secrets')).body);

      const lines: string[] = [];
      const ok = await runConsumer({ HUB_URL: hub.url, APP_TOKEN: token, COMMUNITY: 'escola-modelo' }, (line) => lines.push(line));
      expect(lines.filter((line) => line.startsWith('discover '))).toEqual(ACTIONS.map((action) => `discover ${action}: erp-modelo`));
      expect(lines).toContainEqual(expect.stringMatching(/^ {2}erp-modelo: .+: \d+ events/));
      expect(lines).toContainEqual(expect.stringMatching(/^ {2}erp-modelo: .+ \(.+\): \d+ terms/));
      expect(lines).toContainEqual(expect.stringMatching(/^ {2}erp-modelo: .+: \d+ paid, \d+ late, \d+ open, \d+ pending; due now R\$ /));
      expect(ok).toBe(true);
    } finally {
      await erp.close();
      await hub.close();
    }
  }, 40_000);

  it('npm run demo -- --serve keeps the hub, the ERP and the viewer running and prints their URLs', async () => {
    buildViewer();
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts', '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await expect.poll(() => out, { timeout: 60_000, interval: 200 }).toMatch(/admin token: \S+\n/);
      const urls = Object.fromEntries([...out.matchAll(/^(console|reference|viewer): (http:\/\/127\.0\.0\.1:\d+\/\S*)$/gm)].map((m) => [m[1], m[2]]));
      expect(Object.keys(urls).sort()).toEqual(['console', 'reference', 'viewer']);
      expect(urls.console).toMatch(/\/console\/$/);
      const viewer = await request(urls.viewer);
      expect(viewer.statusCode).toBe(200);
      expect(await viewer.body.text()).toContain('<div id="app">');
      const directory = await request(`${urls.viewer}api/directory`);
      expect(((await directory.body.json()) as { communities: { id: string }[] }).communities.map((c) => c.id)).toEqual(['escola-modelo']);
    } finally {
      child.kill('SIGTERM');
    }
  }, 90_000);

  describe('entrance subscriber', () => {
    let hub: TestHub;
    let gate: TestServer;
    let subscriber: Awaited<ReturnType<typeof startEntranceSubscriber>>;
    let gateToken: string;
    const pulled: Entrance[][] = [];
    const records: Entrance[] = [];

    beforeAll(async () => {
      // The gate system publishes entrances and answers getUpdatedAfter with what changed after the cursor.
      gate = await startServer((req, res) => {
        const { data } = JSON.parse(req.body) as { data: { after: string } };
        json(res, 200, { result: records.filter((r) => r.updatedAt > data.after) });
      });
      hub = await startHub({ retrySchedule: [100] });
      gateToken = await registerApp(hub, 'gate', {
        services: { publishes: [{ action: CREATED, reason: 'x' }], responds: [{ action: UPDATED_AFTER, reason: 'x', url: `${gate.url}/` }] },
      });
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const viewerToken = await registerApp(hub, 'viewer', {
        services: {
          subscribes: [{ action: CREATED, reason: 'x', url: `http://127.0.0.1:${port}/events` }],
          requests: [{ action: UPDATED_AFTER, reason: 'x' }],
        },
      });
      await install(hub, 'school', 'gate');
      await install(hub, 'school', 'viewer');
      const secrets = (await hub.admin('GET', '/apps/viewer/secrets')).body;
      subscriber = await startEntranceSubscriber({
        port,
        hubUrl: hub.url,
        token: viewerToken,
        community: 'school',
        provider: 'gate',
        signingSecret: secrets.signingSecret,
        secret: secrets.secret,
        onEntrances: (e) => pulled.push(e),
      });
    });
    afterAll(async () => {
      await subscriber.close();
      await hub.close();
      await gate.close();
    });

    const entrance = (id: string, updatedAt: string): Entrance => ({
      id,
      person: { id: 'st-1', name: 'Lucas Almeida', role: 'student' },
      direction: 'in',
      occurredAt: updatedAt,
      gate: { id: 'g-1', name: 'Main gate' },
      updatedAt,
    });

    it('pulls what changed after each event, through the hub', async () => {
      records.push(entrance('e-1', '2026-11-20T07:00:00.000Z'));
      const published = await hub.send('POST', `/v1/services/publish/${CREATED}`, {
        headers: { authorization: `Bearer ${gateToken}`, 'x-community-id': 'school' },
        body: { ids: ['e-1'] },
      });
      expect(published.status).toBe(201);
      await expect.poll(() => pulled.flat().map((e) => e.id), { timeout: 5000 }).toEqual(['e-1']);
      records.push(entrance('e-2', '2026-11-20T07:05:00.000Z'));
      await hub.send('POST', `/v1/services/publish/${CREATED}`, { headers: { authorization: `Bearer ${gateToken}`, 'x-community-id': 'school' } });
      // Only the new record: the subscriber keeps its cursor.
      await expect.poll(() => pulled.flat().map((e) => e.id), { timeout: 5000 }).toEqual(['e-1', 'e-2']);
    });

    it('refuses an unsigned event and skips a webhook-id it has handled', async () => {
      const url = `http://127.0.0.1:${(subscriber.server.address() as { port: number }).port}/events`;
      const unsigned = await request(url, { method: 'POST', body: '{"context":{},"secret":"x","data":null}' });
      expect(unsigned.statusCode).toBe(401);
      await unsigned.body.dump();

      const delivery = (await hub.admin('GET', '/deliveries?status=delivered&app=viewer&limit=1')).body.items[0];
      const before = gate.received.length;
      const replayed = await hub.admin('POST', `/deliveries/${delivery.id}/replay`);
      expect(replayed.status).toBe(200);
      await expect.poll(async () => (await hub.admin('GET', `/deliveries/${delivery.id}`)).body.status, { timeout: 5000 }).toBe('delivered');
      expect(await quiet(() => gate.received.length)).toBe(before);
    });
  });
});
