/**
 * The hub as `npm start` runs it (configuration from the environment: HUB_RATE_LIMIT, LOG_LEVEL,
 * HUB_ADMIN_TOKEN…), on a SQLite file in a temporary folder removed at exit, on a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createHub } from '../../src/hub.js';
import { openStore } from '../../src/store/open.js';
import { onStop, ready } from './child.js';

const dir = mkdtempSync(join(tmpdir(), 'api-hub-bench-'));
const config = { ...loadConfig([], process.env), port: 0 };
const store = await openStore(`file:${join(dir, 'hub.db')}`);
const hub = await createHub({ config, store, logger: pino({ level: config.logLevel }) });
await hub.app.listen({ port: 0, host: '127.0.0.1' });
const address = hub.app.server.address();
ready(typeof address === 'object' && address !== null ? address.port : 0);
onStop(async () => {
  await hub.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
