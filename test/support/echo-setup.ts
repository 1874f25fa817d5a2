/**
 * A hub with one request action and one event action of its own, a real provider that echoes
 * what it was sent, a real subscriber that acknowledges, and a client app allowed to discover,
 * call and publish, all installed in one community. For the tests of the HTTP edge.
 */
import type { HubConfig } from '../../src/config.js';
import { install, registerApp, startHub, type TestHub } from './hub.js';
import { json, startServer, type TestServer } from './servers.js';

export const ECHO = '@acme:Echo:get';
export const CHANGED = '@acme:Echo:changed';
export const COMMUNITY = 'school';

export interface EchoSetup {
  hub: TestHub;
  provider: TestServer;
  subscriber: TestServer;
  /** Token of the app that discovers, calls and publishes. */
  token: string;
  /** Headers a client sends on every public request. */
  headers: Record<string, string>;
  close(): Promise<void>;
}

export async function startEchoSetup(overrides: Partial<HubConfig> = {}): Promise<EchoSetup> {
  // The provider answers what it received under `data`, so a test sees what was forwarded.
  const provider = await startServer((req, res) => json(res, 200, { echo: JSON.parse(req.body).data }));
  const subscriber = await startServer((_req, res) => {
    res.writeHead(204).end();
  });
  const hub = await startHub(overrides);
  await hub.admin('PUT', `/actions/${ECHO}/versions/1`, {
    kind: 'request',
    title: 'Echo',
    dataSchema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    responseSchema: { type: 'object', required: ['echo'] },
  });
  await hub.admin('PUT', `/actions/${CHANGED}/versions/1`, {
    kind: 'event',
    title: 'Echo changed',
    dataSchema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
  });
  const token = await registerApp(hub, 'client', {
    services: { requests: [{ action: ECHO, reason: 'x' }], publishes: [{ action: CHANGED, reason: 'x' }] },
  });
  await registerApp(hub, 'echo', { services: { responds: [{ action: ECHO, reason: 'x', url: `${provider.url}/echo` }] } });
  await registerApp(hub, 'listener', { services: { subscribes: [{ action: CHANGED, reason: 'x', url: `${subscriber.url}/events` }] } });
  for (const app of ['client', 'echo', 'listener']) await install(hub, COMMUNITY, app);
  return {
    hub,
    provider,
    subscriber,
    token,
    headers: { authorization: `Bearer ${token}`, 'x-community-id': COMMUNITY },
    async close() {
      await hub.close();
      await provider.close();
      await subscriber.close();
    },
  };
}

/** Waits until `check` returns something truthy (polling), or fails after `timeoutMs`. */
export async function until<T>(check: () => T | false | null | undefined | Promise<T | false | null | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
