/**
 * A hub on a real SQLite file (or, when given, a PostgreSQL URL and schema) and a real port, driven
 * over HTTP as apps and operators drive it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request, type Dispatcher } from 'undici';
import { defaultConfig, type HubConfig } from '../../src/config.js';
import { createHub, type Hub } from '../../src/hub.js';
import { parseSecretKey } from '../../src/security/secret-key.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface TestHub {
  url: string;
  hub: Hub;
  store: Store;
  dir: string;
  /** Any HTTP request to the hub; JSON bodies are sent as JSON, strings and Buffers as they are. */
  send(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown }): Promise<Answer>;
  /** An admin API request with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<Answer>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token';

/** The HUB_SECRET_KEY of the tests' PostgreSQL hubs, as configured (base64 of 32 bytes). */
export const TEST_SECRET_KEY_TEXT = '2gRtHFtcSIupE8T3m8tLCgjckiNJeR8GweaMYYBwTGc=';
export const TEST_SECRET_KEY = parseSecretKey(TEST_SECRET_KEY_TEXT, "the tests' key");

/** An HTTP request to `url + path`: JSON bodies are sent as JSON, strings and Buffers (raw bytes)
 * as they are; the answer with its body parsed when it is JSON. */
export async function sendTo(
  url: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
  dispatcher?: Dispatcher,
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(`${url}${path}`, { method: method as 'GET', headers, body, ...(dispatcher !== undefined && { dispatcher }) });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

export async function startHub(
  overrides: Partial<HubConfig> = {},
  dir = mkdtempSync(join(tmpdir(), 'hub-test-')),
  options: { deliver?: boolean; databaseUrl?: string; pgSchema?: string; webDir?: string } = {},
): Promise<TestHub> {
  const { databaseUrl, pgSchema, ...hubOptions } = options;
  const config = defaultConfig({ adminToken: ADMIN_TOKEN, port: 0, logLevel: 'silent', ...overrides });
  // PostgreSQL needs a key; a SQLite hub without one uses its key file, as `npm start` does.
  const secretKey = config.secretKey ?? (databaseUrl?.startsWith('postgres') === true ? TEST_SECRET_KEY : undefined);
  // Another store on the same URL and schema is another hub process sharing the database.
  const store = await openStore(databaseUrl ?? `file:${join(dir, 'hub.db')}`, { pgSchema, secretKey, previousSecretKey: config.secretKeyPrevious });
  const hub = await createHub({ config, store, logger: pino({ level: 'silent' }), ...hubOptions });
  const address = await hub.app.listen({ port: 0, host: '127.0.0.1' });
  const send: TestHub['send'] = (method, path, options) => sendTo(address, method, path, options);
  return {
    url: address,
    hub,
    store,
    dir,
    send,
    admin: (method, path, body) => send(method, `/v1/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body }),
    async close() {
      await hub.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registers an app from its manifest and returns a fresh token of it. */
export async function registerApp(hub: TestHub, id: string, manifest: Record<string, unknown>): Promise<string> {
  const put = await hub.admin('PUT', `/apps/${id}`, { displayName: id, ...manifest });
  if (put.status !== 201 && put.status !== 200) throw new Error(`registering ${id}: ${put.status} ${put.text}`);
  const token = await hub.admin('POST', `/apps/${id}/tokens`);
  return token.body.token as string;
}

export async function install(hub: TestHub, community: string, appId: string): Promise<Answer> {
  await hub.admin('PUT', `/communities/${community}`);
  return hub.admin('PUT', `/communities/${community}/installations/${appId}`);
}

/** A publisher `gate` and a subscriber `viewer` of `action` (its deliveries to `${subscriberUrl}/viewer`),
 * both installed in `school-a`; returns the publisher's token. */
export async function publisherAndSubscriber(hub: TestHub, action: string, subscriberUrl: string): Promise<string> {
  const publisher = await registerApp(hub, 'gate', { services: { publishes: [{ action, reason: 'x' }] } });
  await registerApp(hub, 'viewer', { services: { subscribes: [{ action, reason: 'x', url: `${subscriberUrl}/viewer` }] } });
  await install(hub, 'school-a', 'gate');
  await install(hub, 'school-a', 'viewer');
  return publisher;
}
