/**
 * A subscriber app: receives `@layers:education:Entrance:created` events from the hub, and does
 * what the protocol asks of subscribers:
 *   1. verifies the Standard Webhooks signature over the exact bytes received (and the legacy
 *      secret), answering 401 otherwise;
 *   2. ignores a `webhook-id` it has already handled (deliveries are at least once);
 *   3. treats the event as a hint and pulls the data through the hub with the request action
 *      `@layers:education:Entrance:getUpdatedAfter`, from the provider that publishes entrances,
 *      keeping its own cursor — so a duplicate, late or coalesced event never loses or doubles data.
 *
 * Run: `HUB_URL=… APP_TOKEN=hub_… COMMUNITY=… PROVIDER=<app id> SIGNING_SECRET=whsec_… SECRET=…
 * PORT=4002 npx tsx examples/entrance-subscriber.ts`
 */
import { createServer, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';

const GET_UPDATED_AFTER = '@layers:education:Entrance:getUpdatedAfter';

export interface Entrance {
  id: string;
  person: { id: string; name: string; role: string };
  direction: 'in' | 'out';
  occurredAt: string;
  gate: { id: string; name: string };
  createdAt?: string;
  updatedAt: string;
}

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

/** The ids already handled, bounded: the oldest are forgotten first. */
class SeenIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max = 10_000) {}
  /** True when the id is new (and remembers it). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startEntranceSubscriber(options: SubscriberOptions): Promise<{ server: Server; close(): Promise<void> }> {
  const webhook = new Webhook(options.signingSecret);
  const seen = new SeenIds();
  let cursor = new Date(0).toISOString();
  // One pull at a time: events arriving meanwhile only ask for one more pull afterwards.
  let pulling: Promise<void> | undefined;
  let again = false;

  const pull = async (): Promise<void> => {
    for (;;) {
      const answer = await request(`${options.hubUrl}/v1/services/call/${GET_UPDATED_AFTER}/${options.provider}?version=1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'x-community-id': options.community, 'content-type': 'application/json' },
        body: JSON.stringify({ after: cursor, limit: 100 }),
      });
      const body = (await answer.body.json()) as { data?: { result?: Entrance[] }; error?: string };
      if (answer.statusCode !== 200) throw new Error(`getUpdatedAfter failed: ${answer.statusCode} ${body.error ?? ''}`);
      const entrances = body.data?.result ?? [];
      if (entrances.length > 0) {
        options.onEntrances?.(entrances);
        cursor = entrances.reduce((max, e) => (e.updatedAt > max ? e.updatedAt : max), cursor);
      }
      if (entrances.length < 100) return;
    }
  };
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

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let envelope: { secret?: string; context?: { eventId?: string } };
      try {
        envelope = webhook.verify(raw, req.headers as Record<string, string>) as typeof envelope;
      } catch {
        res.writeHead(401).end();
        return;
      }
      if (typeof envelope.secret !== 'string' || !sameSecret(envelope.secret, options.secret)) {
        res.writeHead(401).end();
        return;
      }
      // Acknowledge at once; the work happens after. A repeated webhook-id is acknowledged too.
      res.writeHead(204).end();
      if (seen.add(String(req.headers['webhook-id']))) schedulePull();
    });
  });
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
