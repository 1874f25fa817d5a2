/**
 * The delivery engine on a thread of its own (docs/adr/0022): the hub's process writes publishes
 * and attempts deliveries there, with the thread's own connection to the store, its own copy of
 * the registry and its own outbound client, so the event loop that serves requests does neither
 * the SQL of the outbox nor the HTTP of the deliveries. This side is the thread's handle: batches
 * go over as messages and their outcomes come back; the thread's metrics are counted here.
 *
 * A thread that dies is started again; the batches it held are failed (their publishers get a
 * 500 and retry, as for any store error) and their deliveries, if committed, claimed again.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { HubConfig } from '../config.js';
import type { HubMetrics } from '../observability/metrics.js';
import type { DeliveryEngine } from './outbox.js';
import type { EventRecord, NewEvent, PublishOutcome } from './types.js';

/** What the thread is told; the thread's entry reads the same types. */
export type ToThread =
  { type: 'write'; id: number; batch: NewEvent[] } | { type: 'wake' } | { type: 'registry' } | { type: 'stop'; graceMs: number } | { type: 'close' };

export type FromThread =
  | { type: 'ready' }
  | { type: 'startFailed'; message: string }
  /** A batch is committed. Only its duplicates are told (by index in the batch, with the earlier
   * event): every other publish was written as it was sent, and copying outcomes between threads
   * is a cost per object. */
  | { type: 'written'; id: number; duplicates: Array<[index: number, earlier: EventRecord]> }
  | { type: 'writeFailed'; id: number; message: string }
  | { type: 'metrics'; attempts: Record<string, number>; delivered: number[] }
  | { type: 'subscriptionDisabled' }
  | { type: 'stopped' }
  | { type: 'closed' };

/** The thread's entry, beside this file: compiled `.js` in dist, `.ts` when run from the sources. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const ENTRY = new URL(`./delivery-thread-entry${FROM_SOURCES ? '.ts' : '.js'}`, import.meta.url);

/** From the sources (tsx, in development and tests), a thread does not inherit tsx's loader
 * (privatenumber/tsx#354): it registers it before importing the entry. */
function newThread(options: WorkerOptions): Worker {
  if (!FROM_SOURCES) return new Worker(ENTRY, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}
/** Longest wait before a dead thread is started again. */
const MAX_RESTART_DELAY_MS = 10_000;

export class DeliveryThread implements DeliveryEngine {
  private thread: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { batch: NewEvent[]; resolve: (outcomes: PublishOutcome[]) => void; reject: (err: Error) => void }>();
  private waitingFor: { type: 'stopped' | 'closed'; done: () => void } | undefined;
  private stopped = false;
  private closing = false;
  private restarts = 0;

  private constructor(
    /** The thread opens its own connection to the store `config.databaseUrl` names. */
    private readonly config: HubConfig,
    private readonly metrics: Pick<HubMetrics, 'deliveryAttempts' | 'publishToDelivery'>,
    private readonly log: Logger,
    /** Called when the thread disabled a subscription (a 410), so every process reloads. */
    private readonly onSubscriptionDisabled: () => Promise<void>,
  ) {}

  /** Starts the thread; resolves once its store is open and its registry loaded. */
  static async start(
    config: HubConfig,
    metrics: Pick<HubMetrics, 'deliveryAttempts' | 'publishToDelivery'>,
    log: Logger,
    onSubscriptionDisabled: () => Promise<void>,
  ): Promise<DeliveryThread> {
    const engine = new DeliveryThread(config, metrics, log, onSubscriptionDisabled);
    await engine.spawn();
    return engine;
  }

  write(batch: NewEvent[]): Promise<PublishOutcome[]> {
    const thread = this.thread;
    if (thread === undefined) return Promise.reject(new Error('the delivery thread is restarting'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { batch, resolve, reject });
      this.send({ type: 'write', id, batch });
    });
  }

  deliveriesChanged(): void {
    this.send({ type: 'wake' });
  }

  registryChanged(): void {
    this.send({ type: 'registry' });
  }

  async stop(graceMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.request({ type: 'stop', graceMs }, 'stopped');
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.request({ type: 'close' }, 'closed');
    await this.thread?.terminate();
    this.thread = undefined;
  }

  private send(message: ToThread): void {
    this.thread?.postMessage(message);
  }

  private request(message: ToThread, answer: 'stopped' | 'closed'): Promise<void> {
    if (this.thread === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.waitingFor = { type: answer, done: resolve };
      this.send(message);
    });
  }

  private spawn(): Promise<void> {
    const thread = newThread({ workerData: { config: this.config }, name: 'delivery' });
    return new Promise((resolve, reject) => {
      let started = false;
      thread.on('message', (message: FromThread) => {
        if (message.type === 'ready') {
          started = true;
          this.thread = thread;
          this.restarts = 0;
          resolve();
        } else if (message.type === 'startFailed') {
          reject(new Error(`the delivery thread failed to start: ${message.message}`));
        } else {
          this.handle(message);
        }
      });
      thread.on('error', (err) => {
        if (!started) reject(err);
        else this.log.error({ err }, 'the delivery thread failed');
      });
      thread.on('exit', (code) => {
        if (!started) return reject(new Error(`the delivery thread exited with code ${code} before it started`));
        if (this.thread === thread) this.thread = undefined;
        this.failPending(new Error('the delivery thread stopped before it answered'));
        this.waitingFor?.done();
        this.waitingFor = undefined;
        if (!this.closing) this.restart(code);
      });
    });
  }

  private restart(code: number): void {
    const delay = Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** this.restarts++);
    this.log.error({ code, restartInMs: delay }, 'the delivery thread exited; starting another');
    setTimeout(() => {
      if (this.closing) return;
      this.spawn().then(
        () => {
          if (this.stopped) this.send({ type: 'stop', graceMs: 0 });
        },
        (err: unknown) => {
          this.log.error({ err }, 'restarting the delivery thread failed');
          this.restart(1);
        },
      );
    }, delay).unref();
  }

  private handle(message: FromThread): void {
    switch (message.type) {
      case 'written': {
        const waiter = this.settle(message.id);
        if (waiter === undefined) break;
        const outcomes: PublishOutcome[] = waiter.batch.map(({ event }) => ({ eventId: event.id, duplicate: false, leased: [] }));
        for (const [index, earlier] of message.duplicates) outcomes[index] = { eventId: earlier.id, duplicate: true, leased: [], earlier };
        waiter.resolve(outcomes);
        break;
      }
      case 'writeFailed':
        this.settle(message.id)?.reject(new Error(message.message));
        break;
      case 'metrics':
        for (const [outcome, count] of Object.entries(message.attempts)) this.metrics.deliveryAttempts.inc({ outcome }, count);
        for (const seconds of message.delivered) this.metrics.publishToDelivery.observe(seconds);
        break;
      case 'subscriptionDisabled':
        this.onSubscriptionDisabled().catch((err: unknown) => this.log.error({ err }, 'reloading the registry failed'));
        break;
      case 'stopped':
      case 'closed':
        if (this.waitingFor?.type === message.type) {
          this.waitingFor.done();
          this.waitingFor = undefined;
        }
        break;
    }
  }

  private settle(id: number) {
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    return waiter;
  }

  private failPending(err: Error): void {
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }
}
