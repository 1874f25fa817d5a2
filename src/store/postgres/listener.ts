/**
 * Receives PostgreSQL notifications on one dedicated connection, opened on first use and
 * reopened after an error, and hands them to callbacks. Notifications whose payload is this
 * process's own id are skipped: a store is not told about its own changes.
 *
 * A notification sent while a channel is not yet (or no longer) listened to is lost, so each
 * LISTEN that takes effect is followed by one call of the channel's callbacks: a callback means
 * "look again", and a change made between `add` and the LISTEN, or during a reconnection, is seen.
 */
import pg from 'pg';

const RECONNECT_DELAY_MS = 1000;

const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export class NotificationListener {
  /** Callbacks by PostgreSQL channel name. */
  private readonly callbacks = new Map<string, Set<() => void>>();
  private client: pg.Client | null = null;
  private connection: Promise<pg.Client> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly ownId: string,
  ) {}

  /** Returns the unsubscribe function. */
  add(channel: string, callback: () => void): () => void {
    // A wrapper per call, so the same function added twice is removed once per unsubscribe.
    const entry = (): void => callback();
    let entries = this.callbacks.get(channel);
    if (entries === undefined) {
      entries = new Set();
      this.callbacks.set(channel, entries);
      this.startListening(channel);
    }
    entries.add(entry);
    return () => {
      const current = this.callbacks.get(channel);
      if (current?.delete(entry) !== true || current.size > 0) return;
      this.callbacks.delete(channel);
      this.send(`UNLISTEN ${quoteIdentifier(channel)}`);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const connection = this.connection;
    this.connection = null;
    this.client = null;
    if (connection !== null) await connection.then((client) => client.end()).catch(() => {});
  }

  private startListening(channel: string): void {
    this.send(`LISTEN ${quoteIdentifier(channel)}`, () => this.callBack(channel));
  }

  private send(sql: string, then?: () => void): void {
    if (this.closed) return;
    this.connection ??= this.connect();
    this.connection
      .then((client) => client.query(sql))
      .then(then)
      .catch(() => this.reconnectLater());
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    this.client = client;
    client.on('notification', (message) => {
      if (message.payload !== this.ownId) this.callBack(message.channel);
    });
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    await client.connect();
    return client;
  }

  private callBack(channel: string): void {
    for (const callback of this.callbacks.get(channel) ?? []) {
      try {
        callback();
      } catch {
        // One failing callback must not keep the others from hearing about the change.
      }
    }
  }

  private dropped(client: pg.Client): void {
    if (this.client === client) this.reconnectLater();
  }

  private reconnectLater(): void {
    this.client?.end().catch(() => {});
    this.client = null;
    this.connection = null;
    if (this.closed || this.callbacks.size === 0 || this.reconnectTimer !== null) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closed || this.connection !== null || this.callbacks.size === 0) return;
      // Listen again on every channel that still has callbacks.
      for (const channel of this.callbacks.keys()) this.startListening(channel);
    }, RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }
}
