/**
 * The graphile-worker side of the durable publish → delivery benchmark, in its own process so its
 * CPU is its own: a runner of task `deliver` that delivers each job to the subscriber.
 *
 * Environment: DATABASE_URL (PostgreSQL), WORKER_SCHEMA (graphile-worker's schema, migrated by the
 * bench), SUBSCRIBER_URL, CONCURRENCY (jobs at once, default 16, as for BullMQ).
 */
import { Logger, run } from 'graphile-worker';
import { ready, onStop } from '../servers/child.js';
import { deliverer, type BenchJob } from './deliver.js';

const subscriberUrl = process.env.SUBSCRIBER_URL;
if (subscriberUrl === undefined) throw new Error('SUBSCRIBER_URL is required');
const { deliver, close } = deliverer(subscriberUrl);
const concurrency = Number(process.env.CONCURRENCY ?? 16);

const runner = await run({
  connectionString: process.env.DATABASE_URL,
  schema: process.env.WORKER_SCHEMA,
  concurrency,
  maxPoolSize: concurrency + 2,
  noHandleSignals: true,
  // Errors only: a line per job would cost more than the job.
  logger: new Logger(() => (level, message) => {
    if ((level as string) === 'error') console.error(`graphile-worker: ${message}`);
  }),
  taskList: { deliver: (payload) => deliver(payload as BenchJob) },
});
ready(0);
onStop(async () => {
  await runner.stop();
  await close();
});
