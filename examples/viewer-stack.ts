/**
 * The viewer's whole stack in one process, for `npm run demo -- --serve` and the viewer's tests:
 * a hub on a SQLite file, the example ERP as provider of every action the viewer shows, and the
 * viewer (viewer/server) registered from viewer/manifest.json as an ordinary consumer app. The
 * operator's steps go through the admin HTTP API; the viewer itself only gets its app token and
 * its secrets, as a third-party app would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { request } from 'undici';
import { defaultConfig } from '../src/config.js';
import { createHub } from '../src/hub.js';
import { openStore } from '../src/store/open.js';
import { createViewer, type Viewer } from '../viewer/server/server.js';
import type { Community } from '../viewer/server/contract.js';
import type { Entrance } from './entrance-subscriber.js';
import { ERP_PATHS, morningEntrances, startErpProvider, type ErpProvider, type ErpSecrets } from './erp-provider.js';

export const COMMUNITY = 'escola-modelo';
export const ERP = 'erp-modelo';
export const VIEWER = 'visao-escola';
const ENTRANCE_CREATED = '@layers:education:Entrance:created';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The demo sign-in directory (a real deployment signs people in through its SSO instead). */
export const DEMO_COMMUNITIES: Community[] = [
  {
    id: COMMUNITY,
    name: 'Escola Modelo',
    people: [
      { id: '61b087e1a608106241d30a8a', name: 'Carla Mendes', alias: 'carla.mendes', role: 'guardian' },
      { id: '61b087e1a608106241d30b17', name: 'Roberto Almeida', alias: 'roberto.almeida', role: 'guardian' },
      { id: '61b087e1a608106241d30c02', name: 'Ana Souza', alias: 'ana.souza', role: 'guardian' },
    ],
  },
];

export interface ViewerStack {
  hubUrl: string;
  adminToken: string;
  viewerUrl: string;
  erp: ErpProvider;
  viewer: Viewer;
  /** What must never reach a browser: every token and secret of the stack. */
  credentials: string[];
  /** The admin API, as the operator uses it; throws on an error answer. */
  admin<T = Record<string, unknown>>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** The ERP records someone at the gate and publishes `Entrance:created` through the hub. */
  publishEntrance(person: Entrance['person'], direction: Entrance['direction']): Promise<Entrance>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export interface ViewerStackOptions {
  viewerPort?: number;
  staticDir?: string;
  /** A hub already running (the benchmark's built one), left running on close; without it the stack starts its own. */
  hub?: { url: string; adminToken: string };
}

/** The stack's own hub, in this process, on a SQLite file of a temporary folder. */
async function startOwnHub(): Promise<{ url: string; adminToken: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'api-hub-viewer-'));
  const adminToken = `demo_admin_${randomBytes(16).toString('hex')}`;
  const store = await openStore(`file:${join(dir, 'hub.db')}`);
  const hub = await createHub({ config: defaultConfig({ adminToken, logLevel: 'silent' }), store, logger: pino({ level: 'silent' }) });
  const url = await hub.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    adminToken,
    async close() {
      await hub.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startViewerStack(options: ViewerStackOptions = {}): Promise<ViewerStack> {
  // A hub given by the caller is the caller's to stop: only the stack's own has `close`.
  const hub: { url: string; adminToken: string; close?(): Promise<void> } = options.hub ?? (await startOwnHub());
  const { url: hubUrl, adminToken } = hub;
  const erp = await startErpProvider({ entrances: morningEntrances() });

  const admin = async <T = Record<string, unknown>>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const res = await request(`${hubUrl}/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  };

  await admin('PUT', `/apps/${ERP}`, {
    displayName: 'ERP Modelo',
    description: 'School management system of Escola Modelo.',
    services: {
      enabled: true,
      responds: Object.entries(ERP_PATHS).map(([action, path]) => ({ action, reason: 'The school data', url: `${erp.url}${path}` })),
      publishes: [{ action: ENTRANCE_CREATED, reason: 'Someone went through the school gate' }],
    },
  });
  const viewerPort = options.viewerPort ?? (await freePort());
  const viewerUrl = `http://127.0.0.1:${viewerPort}`;
  const manifest = readFileSync(join(ROOT, 'viewer', 'manifest.json'), 'utf8').replaceAll('{viewerUrl}', viewerUrl);
  await admin('PUT', `/apps/${VIEWER}`, JSON.parse(manifest));
  await admin('PUT', `/communities/${COMMUNITY}`);
  for (const app of [ERP, VIEWER]) await admin('PUT', `/communities/${COMMUNITY}/installations/${app}`);
  const { token: erpToken } = await admin<{ token: string }>('POST', `/apps/${ERP}/tokens`, { label: 'demo' });
  const erpSecrets = await admin<ErpSecrets>('GET', `/apps/${ERP}/secrets`);
  erp.setSecrets(erpSecrets);
  const { token } = await admin<{ token: string }>('POST', `/apps/${VIEWER}/tokens`, { label: 'viewer server' });
  const secrets = await admin<ErpSecrets>('GET', `/apps/${VIEWER}/secrets`);
  const viewer = await createViewer({
    hubUrl,
    token,
    ...secrets,
    communities: DEMO_COMMUNITIES,
    staticDir: options.staticDir ?? join(ROOT, 'viewer', 'dist'),
  });
  await viewer.listen(viewerPort);

  return {
    hubUrl,
    adminToken,
    viewerUrl,
    erp,
    viewer,
    credentials: [adminToken, token, secrets.signingSecret, secrets.secret, erpToken, erpSecrets.signingSecret, erpSecrets.secret],
    admin,
    async publishEntrance(person, direction) {
      const entrance = erp.recordEntrance(person, direction);
      const res = await request(`${hubUrl}/v1/services/publish/${ENTRANCE_CREATED}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${erpToken}`, 'x-community-id': COMMUNITY, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [entrance.id] }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`publish: ${res.statusCode} ${text}`);
      return entrance;
    },
    async close() {
      await viewer.close();
      await hub.close?.();
      await erp.close();
    },
  };
}
