/**
 * `npm run demo`: the whole request & respond flow in a few seconds, in one process.
 *
 * A hub on a SQLite file in a temporary folder, a school ERP (`examples/erp-provider.ts`) and a
 * viewer app (`examples/consumer.ts`): the operator registers both apps and a community through
 * the admin HTTP API, the viewer discovers the ERP and calls its three actions, then sends a bad
 * body to show the error format, and the operator reads the audit log.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { getGlobalDispatcher, request } from 'undici';
import { defaultConfig } from '../src/config.js';
import { createHub } from '../src/hub.js';
import { openStore } from '../src/store/open.js';
import { ACTIONS, callAction, discover, summarize, type HubClient, type HubError, type ProviderEntry, type User } from './consumer.js';
import { ERP_PATHS, startErpProvider, type ErpSecrets } from './erp-provider.js';

const COMMUNITY = 'escola-modelo';
const ERP = 'erp-modelo';
const VIEWER = 'student-viewer';
const USER: User = { id: '61b087e1a608106241d30a8a', name: 'Carla Mendes', alias: 'carla.mendes' };

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const line = (method: string, path: string, status: number, note = '') => console.log(`  ${method.padEnd(4)} ${path}  → ${status}${note ? `  ${note}` : ''}`);

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'api-hub-demo-'));
  const adminToken = `demo_admin_${randomBytes(16).toString('hex')}`;
  const store = await openStore(`file:${join(dir, 'hub.db')}`);
  const hub = await createHub({ config: defaultConfig({ adminToken, logLevel: 'silent' }), store, logger: pino({ level: 'silent' }) });
  const hubUrl = await hub.app.listen({ port: 0, host: '127.0.0.1' });

  const erpLog: { action?: string; status: number }[] = [];
  const erp = await startErpProvider({ onRequest: (entry) => erpLog.push(entry) });

  const cleanup = async () => {
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
        responds: ACTIONS.map((action) => ({ action, reason: 'The school data of the user', url: `${erp.url}${ERP_PATHS[action]}` })),
      },
    });
    await admin('PUT', `/apps/${VIEWER}`, {
      displayName: 'Student Viewer',
      description: 'Shows students and parents their grades, calendar and bills.',
      services: { enabled: true, requests: ACTIONS.map((action) => ({ action, reason: 'Show it to the user' })) },
    });
    await admin('PUT', `/communities/${COMMUNITY}`);
    await admin('PUT', `/communities/${COMMUNITY}/installations/${ERP}`);
    await admin('PUT', `/communities/${COMMUNITY}/installations/${VIEWER}`);
    const { token } = await admin<{ id: string; token: string }>('POST', `/apps/${VIEWER}/tokens`, { label: 'demo' });
    const secrets = await admin<ErpSecrets>('GET', `/apps/${ERP}/secrets`);
    erp.setSecrets(secrets);
    console.log(dim(`  → the viewer gets its token (${token.slice(0, 12)}…), the ERP its secret and signing secret (${secrets.signingSecret.slice(0, 10)}…)\n`));

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
    line('POST', `/v1/services/call/${ACTIONS[1]}/${ERP}  body {"user":{"id":42,"name":"Carla Mendes"}}`, bad.status, dim(`(forwarded to the ERP: ${erpLog.length === 0 ? 'no' : 'yes'})`));
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

    // ---- The operator reads the audit log. ----
    console.log(bold('\nAudit log (GET /v1/admin/calls)'));
    const calls = await admin<{ items: { at: number; consumer: string; provider: string; action: string; status: number; outcome: string; latencyMs: number; providerStatus: number | null }[] }>(
      'GET',
      `/calls?community=${COMMUNITY}`,
    );
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
