/**
 * How the peers of the durable publish → delivery benchmark deliver a job: one HTTP POST of
 * `{ context: { eventId }, data }` to the subscriber (the shape the bench subscriber reads the id
 * from), a 2xx answer or the job fails and its queue retries it.
 */
import { Agent, request } from 'undici';

export interface BenchJob {
  id: string;
  data: unknown;
}

export function deliverer(url: string): { deliver(this: void, job: BenchJob): Promise<void>; close(this: void): Promise<void> } {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
  return {
    async deliver(job) {
      const res = await request(url, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ context: { eventId: job.id }, data: job.data }),
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`subscriber answered ${res.statusCode}`);
    },
    close: () => agent.close(),
  };
}
