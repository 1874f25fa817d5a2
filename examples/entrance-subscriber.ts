/**
 * A subscriber app: receives `@layers:education:Entrance:created` events from the hub, and does
 * what the protocol asks of subscribers:
 *   1. verifies the Standard Webhooks signature over the exact bytes received (and the legacy
 *      secret), answering 401 otherwise (the SDK's subscriber handler);
 *   2. ignores a `webhook-id` it has already handled (deliveries are at least once; the SDK's
 *      de-duplication, in memory here);
 *   3. treats the event as a hint and pulls the data through the hub with the request action
 *      `@layers:education:Entrance:getUpdatedAfter`, from the provider that publishes entrances,
 *      keeping its own cursor — so a duplicate, late or coalesced event never loses or doubles data.
 *
 * Run: `HUB_URL=… APP_TOKEN=hub_… COMMUNITY=… PROVIDER=<app id> SIGNING_SECRET=whsec_… SECRET=…
 * PORT=4002 npx tsx examples/entrance-subscriber.ts`
 */
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createClient, createSubscriberHandler, MemoryWebhookIdStore, type ActionResponse, type BuiltinActions } from '@api-hub/sdk';

const GET_UPDATED_AFTER = '@layers:education:Entrance:getUpdatedAfter';
const PAGE = 100;

/** One record of the gate, as the action's response schema defines it. */
export type Entrance = ActionResponse<BuiltinActions, typeof GET_UPDATED_AFTER>['result'][number];

export interface SubscriberOptions {
  port: number;
  hubUrl: string;
  token: string;
  community: string;
  /** The app that answers getUpdatedAfter (typically the one that publishes the events). */
  provider: string;
  signingSecret: string;
  secret: string;
  onEntrances?: (entrances: Entrance[]) => void;
}

export async function startEntranceSubscriber(options: SubscriberOptions): Promise<{ server: Server; close(): Promise<void> }> {
  const hub = createClient({ hubUrl: options.hubUrl, token: options.token, community: options.community });
  let cursor = new Date(0).toISOString();
  let pulling: Promise<void> | undefined;
  let again = false;

  const pull = async (): Promise<void> => {
    for (;;) {
      const { result } = await hub.call(GET_UPDATED_AFTER, options.provider, { after: cursor, limit: PAGE }, { version: 1 });
      if (result.length > 0) {
        options.onEntrances?.(result);
        cursor = result.reduce((max, e) => (e.updatedAt > max ? e.updatedAt : max), cursor);
      }
      if (result.length < PAGE) return;
    }
  };
  // One pull at a time; events during a pull ask for one more after it.
  const schedulePull = () => {
    if (pulling) {
      again = true;
      return;
    }
    pulling = pull()
      .catch((err: unknown) => console.error(String(err)))
      .finally(() => {
        pulling = undefined;
        if (again) {
          again = false;
          schedulePull();
        }
      });
  };

  // The SDK verifies the signature and the legacy secret (401 otherwise), and acknowledges a
  // webhook-id it has handled without calling us again.
  const events = createSubscriberHandler(
    { action: '@layers:education:Entrance:created', signingSecrets: [options.signingSecret], secrets: [options.secret], dedupe: new MemoryWebhookIdStore() },
    () => schedulePull(),
  );
  const server = createServer(events.node);
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`set ${name}`);
    return value;
  };
  await startEntranceSubscriber({
    port: Number(process.env.PORT ?? 4002),
    hubUrl: env('HUB_URL'),
    token: env('APP_TOKEN'),
    community: env('COMMUNITY'),
    provider: env('PROVIDER'),
    signingSecret: env('SIGNING_SECRET'),
    secret: env('SECRET'),
    onEntrances: (entrances) => {
      for (const e of entrances) console.log(`${e.occurredAt} ${e.direction === 'in' ? '→ in ' : '← out'} ${e.person.name} (${e.gate.name})`);
    },
  });
  console.log('entrance subscriber listening');
}
