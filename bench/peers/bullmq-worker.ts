/**
 * The BullMQ side of the durable publish → delivery benchmark, in its own process so its CPU is
 * its own: a Worker on queue `bench` that delivers each job to the subscriber.
 *
 * Environment: REDIS_PORT (the bench's own redis-server on 127.0.0.1), SUBSCRIBER_URL,
 * CONCURRENCY (jobs at once, default 16: the hub's deliveries at once to one subscriber app).
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ready, onStop } from '../servers/child.js';
import { deliverer, type BenchJob } from './deliver.js';

const subscriberUrl = process.env.SUBSCRIBER_URL;
if (subscriberUrl === undefined) throw new Error('SUBSCRIBER_URL is required');
const { deliver, close } = deliverer(subscriberUrl);

const worker = new Worker<BenchJob>('bench', (job) => deliver(job.data), {
  // Under native ESM BullMQ wants a client, not connection options.
  connection: new Redis({ host: '127.0.0.1', port: Number(process.env.REDIS_PORT), maxRetriesPerRequest: null }),
  concurrency: Number(process.env.CONCURRENCY ?? 16),
});
await worker.waitUntilReady();
ready(0);
onStop(async () => {
  await worker.close();
  await close();
});
