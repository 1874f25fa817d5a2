/**
 * A consumer app on @api-hub/sdk: discovers the providers of three actions in its community and
 * calls each, typed end to end by the action id; a refusal of the hub is a HubApiError carrying
 * its `type`, `details` and `requestId`. The same app over raw HTTP, which shows the Layers
 * protocol the SDK speaks, is `consumer-http.ts` (and the one-line summaries are shared with it).
 *
 * Run against a hub: `HUB_URL=http://127.0.0.1:8080 APP_TOKEN=hub_… COMMUNITY=escola-modelo
 * npx tsx examples/consumer.ts` (optional USER_ID, USER_NAME, USER_ALIAS).
 */
import { createClient, HubApiError } from '@api-hub/sdk';
import { pathToFileURL } from 'node:url';
import { ACTIONS, summarize } from './consumer-http.js';

export async function run(env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<boolean> {
  // createClient throws a TypeError naming the option when APP_TOKEN or another one is unset.
  const hub = createClient({ hubUrl: env.HUB_URL ?? 'http://127.0.0.1:8080', token: env.APP_TOKEN!, community: env.COMMUNITY ?? 'escola-modelo' });
  const user = { id: env.USER_ID ?? 'u-61b087e1', name: env.USER_NAME ?? 'Carla Mendes', alias: env.USER_ALIAS ?? 'carla.mendes' };
  let ok = true;
  for (const action of ACTIONS) {
    const providers = await hub.discover(action, { version: 1 });
    print(`discover ${action}: ${providers.map((p) => p.id).join(', ') || 'no provider'}`);
    for (const provider of providers) {
      try {
        const { result } = await hub.call(action, provider.id, { user }, { version: 1 });
        for (const line of summarize(action, result)) print(`  ${provider.id}: ${line}`);
      } catch (error) {
        if (!(error instanceof HubApiError)) throw error;
        print(`  ${provider.id}: ${error.status} ${error.type}: ${error.message} (request ${error.requestId})`);
        ok = false;
      }
    }
  }
  return ok;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.env, (line) => console.log(line)).then(
    (ok) => (process.exitCode = ok ? 0 : 1),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
