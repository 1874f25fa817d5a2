/**
 * `npm run demo`: the whole request & respond and publish & subscribe flows in a few seconds, in
 * one process.
 *
 * A hub on a SQLite file in a temporary folder, a school ERP (`examples/erp-provider.ts`), a
 * viewer app (`examples/consumer-http.ts`, raw HTTP to show the protocol) and a gate monitor (`examples/entrance-subscriber.ts`): the
 * operator registers the apps and a community through the admin HTTP API, the viewer discovers
 * the ERP and calls its three actions, then sends a bad body to show the error format; the ERP
 * publishes an entrance, the hub delivers it to the monitor, which pulls what changed through the
 * hub; and the operator reads the audit log.
 *
 * `npm run demo -- --serve` instead starts the hub, the ERP and the viewer apps (viewer/, registered
 * from its manifest) and keeps them running: it publishes a few entrances and prints one
 * `name: URL` line per page, and the admin token.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { getGlobalDispatcher, request } from 'undici';
import { defaultConfig } from '../src/config.js';
import { createHub } from '../src/hub.js';
import { openStore } from '../src/store/open.js';
import { ACTIONS, callAction, discover, summarize, type HubClient, type HubError, type ProviderEntry, type User } from './consumer-http.js';
import { startEntranceSubscriber, type Entrance } from './entrance-subscriber.js';
import { ENTRANCES_UPDATED_AFTER, ERP_PATHS, startErpProvider, type ErpSecrets } from './erp-provider.js';
import { startViewerStack } from './viewer-stack.js';

const COMMUNITY = 'escola-modelo';
const ERP = 'erp-modelo';
const VIEWER = 'student-viewer';
const MONITOR = 'gate-monitor';
const ENTRANCE_CREATED = '@layers:education:Entrance:created';
const USER: User = { id: '61b087e1a608106241d30a8a', name: 'Carla Mendes', alias: 'carla.mendes' };

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const line = (method: string, path: string, status: number, note = '') => console.log(`  ${method.padEnd(4)} ${path}  → ${status}${note ? `  ${note}` : ''}`);

/** A port free right now on 127.0.0.1, for the monitor, whose URL is registered before it starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'api-hub-demo-'));
  const adminToken = `demo_admin_${randomBytes(16).toString('hex')}`;
  const store = await openStore(`file:${join(dir, 'hub.db')}`);
  const hub = await createHub({ config: defaultConfig({ adminToken, logLevel: 'silent' }), store, logger: pino({ level: 'silent' }) });
  const hubUrl = await hub.app.listen({ port: 0, host: '127.0.0.1' });

  const erpLog: { action?: string; status: number }[] = [];
  const erp = await startErpProvider({ onRequest: (entry) => erpLog.push(entry) });
  const monitorPort = await freePort();
  let monitor: Awaited<ReturnType<typeof startEntranceSubscriber>> | undefined;

  const cleanup = async () => {
    await monitor?.close();
    await hub.close();
    await store.close();
    await erp.close();
    await getGlobalDispatcher().close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    console.log(bold('API Hub demo'));
    console.log(`  hub  ${hubUrl}  ${dim(`(SQLite ${join(dir, 'hub.db')})`)}`);
    console.log(`  ERP  ${erp.url}  ${dim('(examples/erp-provider.ts)')}\n`);

    // ---- The operator sets things up through the admin API. ----
    const admin = async <T = Record<string, unknown>>(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<T> => {
      const res = await request(`${hubUrl}/v1/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = (await res.body.json()) as T;
      if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(answer)}`);
      line(method, `/v1/admin${path}`, res.statusCode);
      return answer;
    };
    console.log(bold('Operator (admin API)'));
    await admin('PUT', `/apps/${ERP}`, {
      displayName: 'ERP Modelo',
      description: 'School management system of Escola Modelo: grades, calendar, tuition.',
      icon: 'https://erp-modelo.example/icon.png',
      services: {
        enabled: true,
        responds: [
          ...ACTIONS.map((action) => ({ action, reason: 'The school data of the user', url: `${erp.url}${ERP_PATHS[action]}` })),
          { action: ENTRANCES_UPDATED_AFTER, reason: 'The gate records', url: `${erp.url}${ERP_PATHS[ENTRANCES_UPDATED_AFTER]}` },
        ],
        publishes: [{ action: ENTRANCE_CREATED, reason: 'Someone went through the school gate' }],
      },
    });
    await admin('PUT', `/apps/${VIEWER}`, {
      displayName: 'Student Viewer',
      description: 'Shows students and parents their grades, calendar and bills.',
      services: { enabled: true, requests: ACTIONS.map((action) => ({ action, reason: 'Show it to the user' })) },
    });
    await admin('PUT', `/apps/${MONITOR}`, {
      displayName: 'Gate Monitor',
      description: 'Shows who went through the school gate.',
      services: {
        enabled: true,
        subscribes: [{ action: ENTRANCE_CREATED, reason: 'Know when someone goes through the gate', url: `http://127.0.0.1:${monitorPort}/events` }],
        requests: [{ action: ENTRANCES_UPDATED_AFTER, reason: 'Fetch the gate records' }],
      },
    });
    await admin('PUT', `/communities/${COMMUNITY}`);
    for (const app of [ERP, VIEWER, MONITOR]) await admin('PUT', `/communities/${COMMUNITY}/installations/${app}`);
    const { token } = await admin<{ id: string; token: string }>('POST', `/apps/${VIEWER}/tokens`, { label: 'demo' });
    const { token: erpToken } = await admin<{ id: string; token: string }>('POST', `/apps/${ERP}/tokens`, { label: 'demo' });
    const { token: monitorToken } = await admin<{ id: string; token: string }>('POST', `/apps/${MONITOR}/tokens`, { label: 'demo' });
    const secrets = await admin<ErpSecrets>('GET', `/apps/${ERP}/secrets`);
    erp.setSecrets(secrets);
    const monitorSecrets = await admin<ErpSecrets>('GET', `/apps/${MONITOR}/secrets`);
    let pulled: (entrances: Entrance[]) => void = () => undefined;
    const firstPull = new Promise<Entrance[]>((done) => (pulled = done));
    monitor = await startEntranceSubscriber({
      port: monitorPort,
      hubUrl,
      token: monitorToken,
      community: COMMUNITY,
      provider: ERP,
      ...monitorSecrets,
      onEntrances: (entrances) => pulled(entrances),
    });
    console.log(
      dim(
        `  → each app gets its token (${token.slice(0, 12)}…), the ERP and the monitor their secret and signing secret (${secrets.signingSecret.slice(0, 10)}…)\n`,
      ),
    );

    // ---- The viewer app calls the hub as Layers apps do. ----
    const client: HubClient = { hubUrl, token, community: COMMUNITY };
    console.log(bold(`Consumer ${VIEWER}, community ${COMMUNITY}, user ${USER.name}`));
    for (const action of ACTIONS) {
      const found = await discover(client, action);
      const ids = found.status === 200 ? (found.body as ProviderEntry[]).map((p) => p.id).join(', ') : (found.body as HubError).error;
      line('GET', `/v1/services/discover/${action}?version=1`, found.status, `[${ids}]`);
    }
    for (const action of ACTIONS) {
      erpLog.length = 0;
      const t0 = performance.now();
      const answer = await callAction<{ result: unknown[] }>(client, action, ERP, { user: USER });
      const ms = (performance.now() - t0).toFixed(1);
      const erpSaw = erpLog.map((e) => `ERP verified signature + secret, answered ${e.status}`).join('; ');
      line('POST', `/v1/services/call/${action}/${ERP}?version=1&timeout=10000`, answer.status, dim(`${ms} ms; ${erpSaw}`));
      if (answer.status === 200) {
        for (const text of summarize(action, (answer.body as { data: { result: unknown[] } }).data.result)) console.log(`         ${text}`);
      } else {
        console.log(`         ${JSON.stringify(answer.body)}`);
        process.exitCode = 1;
      }
    }

    console.log(bold('\nErrors'));
    erpLog.length = 0;
    const bad = await callAction(client, ACTIONS[1], ERP, { user: { id: 42, name: 'Carla Mendes' } });
    line(
      'POST',
      `/v1/services/call/${ACTIONS[1]}/${ERP}  body {"user":{"id":42,"name":"Carla Mendes"}}`,
      bad.status,
      dim(`(forwarded to the ERP: ${erpLog.length === 0 ? 'no' : 'yes'})`),
    );
    console.log(
      JSON.stringify(bad.body, null, 2)
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );
    const direct = await request(`${erp.url}${ERP_PATHS[ACTIONS[1]]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: 'guess', data: { user: USER } }),
    });
    line('POST', `${erp.url}${ERP_PATHS[ACTIONS[1]]}  straight to the ERP, unsigned`, direct.statusCode, dim(JSON.stringify(await direct.body.json())));

    // ---- The ERP publishes an entrance; the hub delivers it; the monitor pulls what changed. ----
    console.log(bold(`\nPublish & subscribe (${ERP} → hub → ${MONITOR})`));
    const entrance = erp.recordEntrance({ id: 'st-0042', name: 'Lucas Mendes', role: 'student' }, 'in');
    const publishPath = `/v1/services/publish/${ENTRANCE_CREATED}`;
    const published = await request(`${hubUrl}${publishPath}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${erpToken}`, 'x-community-id': COMMUNITY, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [entrance.id] }),
    });
    const { id: eventId } = (await published.body.json()) as { id: string };
    line('POST', `${publishPath}  {"ids":["${entrance.id}"]}`, published.statusCode, dim(`stored as ${eventId}`));
    const entrances = await Promise.race([
      firstPull,
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error('the monitor pulled nothing within 10 s')), 10_000).unref()),
    ]);
    // The monitor acknowledges before it pulls; the hub records the outcome a moment later.
    type EventView = { deliveries: { appId: string; status: string; attempts: number }[] };
    let event = await admin<EventView>('GET', `/events/${eventId}`);
    for (let tries = 0; tries < 50 && event.deliveries.some((d) => d.status === 'pending'); tries++) {
      await new Promise((done) => setTimeout(done, 100));
      event = await admin<EventView>('GET', `/events/${eventId}`);
    }
    for (const d of event.deliveries)
      console.log(`         delivery to ${d.appId}: ${d.status} after ${d.attempts} attempt(s) (the monitor verified its signature)`);
    console.log(`  ${MONITOR} pulled through the hub (${ENTRANCES_UPDATED_AFTER}):`);
    for (const e of entrances)
      console.log(`         ${e.occurredAt.slice(11, 19)} ${e.direction === 'in' ? '→ in ' : '← out'} ${e.person.name} (${e.gate.name})`);

    // ---- The operator reads the audit log. ----
    console.log(bold('\nAudit log (GET /v1/admin/calls)'));
    const calls = await admin<{
      items: {
        at: number;
        consumer: string;
        provider: string;
        action: string;
        status: number;
        outcome: string;
        latencyMs: number;
        providerStatus: number | null;
      }[];
    }>('GET', `/calls?community=${COMMUNITY}`);
    for (const c of calls.items.slice().reverse()) {
      console.log(
        `    ${new Date(c.at).toISOString().slice(11, 23)}  ${c.consumer} → ${c.provider}  ${String(c.action).padEnd(40)}  ${c.status} ${c.outcome.padEnd(14)} ${String(c.latencyMs).padStart(3)} ms  provider ${c.providerStatus ?? '—'}`,
      );
    }
    console.log(dim(`\nDone in ${Date.now() - started} ms.`));
  } finally {
    await cleanup();
  }
}

/** The stack for a person to look at, kept running until Ctrl-C. */
async function serve(): Promise<void> {
  if (!existsSync(new URL('../viewer/dist/index.html', import.meta.url)))
    execFileSync('npm', ['run', 'build', '--silent', '-w', 'viewer'], { stdio: 'inherit' });
  const stack = await startViewerStack();
  const visitors: [Entrance['person'], Entrance['direction']][] = [
    [{ id: 'st-0042', name: 'Lucas Mendes', role: 'student' }, 'out'],
    [{ id: 'v-0003', name: 'Roberto Lima', role: 'visitor' }, 'in'],
    [{ id: 'st-0077', name: 'Marina Mendes', role: 'student' }, 'out'],
  ];
  for (const [person, direction] of visitors) await stack.publishEntrance(person, direction);
  console.log(`console: ${stack.hubUrl}/console/`);
  console.log(`reference: ${stack.hubUrl}/reference/`);
  console.log(`viewer: ${stack.viewerUrl}/`);
  console.log(`admin token: ${stack.adminToken}`);
  const stop = () => void stack.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

(process.argv.includes('--serve') ? serve() : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
