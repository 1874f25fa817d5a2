/**
 * Publish & subscribe benchmark, against the hub in its own process (temporary SQLite file) and a
 * subscriber process that answers every delivery 200 at once and notes when each came:
 *   (1) durable publish throughput: autocannon POSTs `/v1/services/publish/<action>` of a
 *       non-coalescing event action with one subscriber; 201s per second, then how long the hub
 *       takes to deliver the backlog;
 *   (2) publish-to-receipt latency: events sent at a fixed rate (timer-driven, open loop), each
 *       one's receipt at the subscriber minus the start of its publish request;
 *   (3) fan-out: 500 subscriber apps of one action (distinct URL paths on the subscriber), one
 *       event, time from the publish request's start until the 500th delivery arrived.
 * Phase (1) runs on a hub of its own, so its backlog never weighs on (2) and (3). Before it, the same
 * load runs against the baseline (bench/durable-append.ts: validate, append to SQLite, fsync, 201),
 * and the hub's throughput is printed as a ratio of it, which the machine's drift affects less.
 *
 * Environment (beside run.ts's): BENCH_PUBLISH_CONNECTIONS (default 100), BENCH_THROUGHPUT_SUBSCRIBERS
 * (subscriber apps of (1), default 1; 0 measures publishing alone), BENCH_PUBLISH_RATE
 * (events/s of (2), default 500), BENCH_FANOUT (subscriber apps of (3), default 500).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import autocannon, { type Result } from 'autocannon';
import { Pool, request } from 'undici';
import { json, round, startBuiltHub, startServer, watchRss, type RunOptions, type Server } from './request-respond.js';

/** Defined through the admin API: `coalesce` false, so every publish is one delivery per subscriber. */
export const ACTION = '@bench:Load:happened';
const FANOUT_ACTION = '@bench:Fanout:happened';
const COMMUNITY = 'bench';
export const BODY = JSON.stringify({ entity: 'grade', id: '61b087e1a608106241d30a8a', updatedAt: '2025-06-15T10:00:00.000Z' });
const DATA_SCHEMA = {
  type: 'object',
  required: ['entity', 'id'],
  properties: { entity: { type: 'string' }, id: { type: 'string' }, updatedAt: { type: 'string', format: 'date-time' } },
};

export const TARGETS = {
  /** Publishes acknowledged (201, durably stored) per second, at least. */
  publishesPerSecond: 5000,
  /** p99 of publish request start → receipt at the subscriber, at a steady rate, at most (ms). */
  latencyP99Ms: 100,
  /** Publish request start → all fan-out deliveries received, at most (ms). */
  fanoutMs: 2000,
  /** Peak resident memory of the hub, below (MB), as in the request & respond benchmark. */
  hubRssMb: 200,
} as const;

export interface ThroughputMeasure {
  connections: number;
  subscribers: number;
  /** The same load against the bare durable append of the baseline. */
  baseline: { publishesPerSecond: number; latencyP50Ms: number; latencyP99Ms: number; errors: number };
  /** Hub publishes/s ÷ baseline publishes/s. */
  ratio: number;
  publishesPerSecond: number;
  acknowledged: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  errors: number;
  non201: number;
  statusCodes: Record<string, number>;
  /** Events published in the whole run (warm-up included), from the hub's metrics. */
  publishedTotal: number;
  /** Deliveries received by the subscriber by the end of the load. */
  deliveredDuringLoad: number;
  /** From the end of the load until the subscriber had every event (null: not within the limit). */
  drainS: number | null;
  /** Events delivered per second, from the start of the load until the backlog was drained. */
  deliveriesPerSecond: number;
}

export interface LatencyMeasure {
  ratePerSecond: number;
  sent: number;
  acknowledged: number;
  received: number;
  /** Acknowledged events the subscriber never got within the wait. */
  missing: number;
  errors: number;
  /** Publish request start → 201. */
  ackP50Ms: number;
  ackP99Ms: number;
  /** Publish request start → receipt at the subscriber. */
  receiptP50Ms: number;
  receiptP90Ms: number;
  receiptP99Ms: number;
  receiptMaxMs: number;
}

export interface FanoutMeasure {
  subscribers: number;
  /** Per round: publish request start → the last subscriber's delivery received (ms). */
  roundsMs: number[];
  /** Per round: publish request start → 201 (ms). */
  acksMs: number[];
  worstMs: number;
  /** Every round reached every subscriber. */
  complete: boolean;
}

export interface PublishSubscribeResult {
  benchmark: 'publish-subscribe';
  action: string;
  durationS: number;
  warmupS: number;
  throughput: ThroughputMeasure;
  latency: LatencyMeasure;
  fanout: FanoutMeasure;
  hub: { peakRssBytes: number };
  checks: { name: string; value: number; target: string; pass: boolean }[];
  pass: boolean;
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function integerEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}`);
  return value;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await request(url);
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${await res.body.text()}`);
  return (await res.body.json()) as T;
}

async function startHub(): Promise<{ hub: Server; adminToken: string }> {
  const adminToken = `bench_admin_${randomBytes(16).toString('hex')}`;
  const hub = await startBuiltHub({ HUB_ADMIN_TOKEN: adminToken, HUB_RATE_LIMIT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'production' });
  return { hub, adminToken };
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Defines `action` (non-coalescing event), registers the publisher and `subscribers` subscriber apps
 * (each at its own path on the subscriber process), installs them all; returns the publisher's token.
 */
export async function setUp(hubUrl: string, adminToken: string, subscriberUrl: string, action: string, subscribers: number, prefix: string): Promise<string> {
  const admin = (method: 'PUT' | 'POST', path: string, body?: unknown) => json(method, `${hubUrl}/v1/admin${path}`, adminToken, body);
  await admin('PUT', `/actions/${action}/versions/1`, { kind: 'event', title: 'Bench event', dataSchema: DATA_SCHEMA, coalesce: false });
  await admin('PUT', `/communities/${COMMUNITY}`);
  const publisherId = `${prefix}-publisher`;
  await admin('PUT', `/apps/${publisherId}`, { displayName: 'Bench publisher', services: { publishes: [{ action, reason: 'bench' }] } });
  await admin('PUT', `/communities/${COMMUNITY}/installations/${publisherId}`);
  const ids = Array.from({ length: subscribers }, (_, i) => `${prefix}-sub-${i}`);
  await eachLimited(ids, 8, async (id) => {
    await admin('PUT', `/apps/${id}`, {
      displayName: `Bench subscriber ${id}`,
      services: { subscribes: [{ action, reason: 'bench', url: `${subscriberUrl}/events/${id}` }] },
    });
    await admin('PUT', `/communities/${COMMUNITY}/installations/${id}`);
  });
  return (await admin('POST', `/apps/${publisherId}/tokens`, { label: 'bench' })).token as string;
}

export const publishHeaders = (token: string) => ({ authorization: `Bearer ${token}`, 'x-community-id': COMMUNITY, 'content-type': 'application/json' });

/** Sends one publish and checks that it is acknowledged, so a misconfigured hub fails fast. */
async function probe(url: string, token: string): Promise<void> {
  const res = await request(url, { method: 'POST', headers: publishHeaders(token), body: BODY });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`publish probe answered ${res.statusCode} ${text.slice(0, 500)}`);
}

async function publishedTotal(hubUrl: string): Promise<number> {
  const res = await request(`${hubUrl}/metrics`);
  const text = await res.body.text();
  let total = 0;
  for (const match of text.matchAll(/^hub_publishes_total\{[^}]*outcome="ok"[^}]*\}\s+(\S+)/gm)) total += Number(match[1]);
  return total;
}

/** Waits until the subscriber has received `count` deliveries in all, or `limitMs` passed. */
export async function waitReceived(subscriberUrl: string, count: number, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const { received } = await getJson<{ received: number }>(`${subscriberUrl}/_bench/stats`);
    if (received >= count) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
}

/** autocannon's closed loop of publishes: `connections` clients, each sending the next on an answer. */
async function flood(url: string, headers: Record<string, string>, connections: number, options: RunOptions): Promise<Result> {
  return await autocannon({
    url,
    method: 'POST',
    headers,
    body: BODY,
    connections,
    duration: options.durationS,
    timeout: 10,
    ...(options.warmupS > 0 && { warmup: { connections, duration: options.warmupS } }),
  });
}

async function measureBaseline(options: RunOptions, connections: number): Promise<ThroughputMeasure['baseline']> {
  const server = await startServer('./durable-append.ts', { DATA_SCHEMA: JSON.stringify(DATA_SCHEMA) });
  try {
    options.log(`  baseline: ${options.warmupS} s warm-up + ${options.durationS} s of publishes at ${connections} connections to a bare durable append…`);
    const result = await flood(`${server.url}/v1/services/publish/${ACTION}`, { 'content-type': 'application/json' }, connections, options);
    const acknowledged = result.statusCodeStats['201']?.count ?? 0;
    return {
      publishesPerSecond: Math.round(acknowledged / options.durationS),
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      errors: result.errors + result.timeouts + (result.requests.total - acknowledged),
    };
  } finally {
    await server.stop();
  }
}

async function measureThroughput(
  subscriberUrl: string,
  options: RunOptions,
  connections: number,
  subscribers: number,
  pushRss: (bytes: number) => void,
): Promise<ThroughputMeasure> {
  const baseline = await measureBaseline(options, connections);
  const { hub, adminToken } = await startHub();
  try {
    const token = await setUp(hub.url, adminToken, subscriberUrl, ACTION, subscribers, 'thr');
    const url = `${hub.url}/v1/services/publish/${ACTION}`;
    await probe(url, token);
    await json('POST', `${subscriberUrl}/_bench/reset`, '');
    options.log(`  throughput: ${options.warmupS} s warm-up + ${options.durationS} s of publishes at ${connections} connections…`);
    const rss = watchRss(hub.url);
    const startedAt = Date.now();
    const result = await flood(url, publishHeaders(token), connections, options);
    const loadEndedAt = Date.now();
    const { received: deliveredDuringLoad } = await getJson<{ received: number }>(`${subscriberUrl}/_bench/stats`);
    const total = await publishedTotal(hub.url);
    const limitS = Math.max(30, options.durationS * 6);
    options.log(`  throughput: ${total} events published; waiting up to ${limitS} s for their delivery…`);
    const drained = await waitReceived(subscriberUrl, total * subscribers, limitS * 1000);
    const drainedAt = Date.now();
    pushRss(await rss.stop());
    const acknowledged = result.statusCodeStats['201']?.count ?? 0;
    const publishesPerSecond = Math.round(acknowledged / options.durationS);
    return {
      connections,
      subscribers,
      baseline,
      ratio: round(publishesPerSecond / baseline.publishesPerSecond, 2),
      publishesPerSecond,
      acknowledged,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      latencyMaxMs: result.latency.max,
      errors: result.errors + result.timeouts,
      non201: result.requests.total - acknowledged,
      statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
      publishedTotal: total,
      deliveredDuringLoad,
      drainS: drained ? round((drainedAt - loadEndedAt) / 1000, 2) : null,
      deliveriesPerSecond: Math.round((total * subscribers) / ((drainedAt - startedAt) / 1000)),
    };
  } finally {
    await hub.stop();
  }
}

/** Open loop: the n-th event is sent at n / rate seconds, whatever the answers before it. */
async function sendAtRate(pool: Pool, path: string, token: string, rate: number, seconds: number) {
  const starts = new Map<string, number>();
  const acks: number[] = [];
  let sent = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const send = () => {
    const start = now();
    const work = pool
      .request({ path, method: 'POST', headers: publishHeaders(token), body: BODY })
      .then(async (res) => {
        const answer = (await res.body.json()) as { id?: string };
        if (res.statusCode !== 201 || typeof answer.id !== 'string') {
          errors++;
          return;
        }
        acks.push(now() - start);
        starts.set(answer.id, start);
      })
      .catch(() => {
        errors++;
      });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    sent++;
  };
  const begin = now();
  const total = Math.round(rate * seconds);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - begin) / 1000) * rate) + 1);
    while (sent < due) send();
    await sleep(1);
  }
  await Promise.all([...inFlight]);
  return { starts, acks, sent, errors };
}

async function measureLatency(hubUrl: string, subscriberUrl: string, token: string, options: RunOptions, rate: number): Promise<LatencyMeasure> {
  const pool = new Pool(hubUrl, { connections: 64 });
  const path = `/v1/services/publish/${ACTION}`;
  try {
    if (options.warmupS > 0) {
      options.log(`  latency: ${options.warmupS} s warm-up at ${rate} events/s…`);
      const warm = await sendAtRate(pool, path, token, rate, options.warmupS);
      await waitReceived(subscriberUrl, warm.starts.size, 30_000);
    }
    await json('POST', `${subscriberUrl}/_bench/reset`, '');
    options.log(`  latency: ${options.durationS} s at ${rate} events/s…`);
    const run = await sendAtRate(pool, path, token, rate, options.durationS);
    await waitReceived(subscriberUrl, run.starts.size, 30_000);
    const { receipts } = await getJson<{ receipts: Array<[string, number]> }>(`${subscriberUrl}/_bench/receipts`);
    const firstReceipt = new Map<string, number>();
    for (const [id, at] of receipts) if (!firstReceipt.has(id)) firstReceipt.set(id, at);
    const latencies: number[] = [];
    for (const [id, start] of run.starts) {
      const at = firstReceipt.get(id);
      if (at !== undefined) latencies.push(at - start);
    }
    latencies.sort((a, b) => a - b);
    const acks = run.acks.sort((a, b) => a - b);
    return {
      ratePerSecond: rate,
      sent: run.sent,
      acknowledged: run.starts.size,
      received: latencies.length,
      missing: run.starts.size - latencies.length,
      errors: run.errors,
      ackP50Ms: round(percentile(acks, 50), 2),
      ackP99Ms: round(percentile(acks, 99), 2),
      receiptP50Ms: round(percentile(latencies, 50), 2),
      receiptP90Ms: round(percentile(latencies, 90), 2),
      receiptP99Ms: round(percentile(latencies, 99), 2),
      receiptMaxMs: round(latencies[latencies.length - 1] ?? Number.NaN, 2),
    };
  } finally {
    await pool.close();
  }
}

async function measureFanout(hubUrl: string, adminToken: string, subscriberUrl: string, options: RunOptions, subscribers: number): Promise<FanoutMeasure> {
  options.log(`  fan-out: registering and installing ${subscribers} subscriber apps…`);
  const setUpStart = Date.now();
  const token = await setUp(hubUrl, adminToken, subscriberUrl, FANOUT_ACTION, subscribers, 'fan');
  options.log(`  fan-out: set up in ${round((Date.now() - setUpStart) / 1000, 1)} s; publishing 3 events, one at a time…`);
  const roundsMs: number[] = [];
  const acksMs: number[] = [];
  let complete = true;
  for (let i = 0; i < 3; i++) {
    const start = now();
    const res = await request(`${hubUrl}/v1/services/publish/${FANOUT_ACTION}`, { method: 'POST', headers: publishHeaders(token), body: BODY });
    const answer = (await res.body.json()) as { id?: string };
    acksMs.push(round(now() - start, 2));
    if (res.statusCode !== 201 || typeof answer.id !== 'string') throw new Error(`fan-out publish answered ${res.statusCode} ${JSON.stringify(answer)}`);
    const wait = await getJson<{ paths: number; lastAt: number | null }>(
      `${subscriberUrl}/_bench/wait?event=${encodeURIComponent(answer.id)}&count=${subscribers}&timeoutMs=30000`,
    );
    complete &&= wait.paths >= subscribers;
    roundsMs.push(wait.paths >= subscribers && wait.lastAt !== null ? round(wait.lastAt - start, 2) : Number.POSITIVE_INFINITY);
    await sleep(200);
  }
  return { subscribers, roundsMs, acksMs, worstMs: Math.max(...roundsMs), complete };
}

export async function runPublishSubscribe(options: RunOptions): Promise<PublishSubscribeResult> {
  const connections = integerEnv('BENCH_PUBLISH_CONNECTIONS', 100);
  const throughputSubscribers = integerEnv('BENCH_THROUGHPUT_SUBSCRIBERS', 1, 0);
  const rate = integerEnv('BENCH_PUBLISH_RATE', 500);
  const fanoutSubscribers = integerEnv('BENCH_FANOUT', 500);
  const servers: Server[] = [];
  let peakRssBytes = 0;
  const pushRss = (bytes: number) => {
    peakRssBytes = Math.max(peakRssBytes, bytes);
  };
  try {
    const subscriber = await startServer('./servers/subscriber.ts', {});
    servers.push(subscriber);

    const throughput = await measureThroughput(subscriber.url, options, connections, throughputSubscribers, pushRss);

    const { hub, adminToken } = await startHub();
    servers.push(hub);
    const rss = watchRss(hub.url);
    await json('POST', `${subscriber.url}/_bench/reset`, '');
    const token = await setUp(hub.url, adminToken, subscriber.url, ACTION, 1, 'lat');
    await probe(`${hub.url}/v1/services/publish/${ACTION}`, token);
    const latency = await measureLatency(hub.url, subscriber.url, token, options, rate);
    await json('POST', `${subscriber.url}/_bench/reset`, '');
    const fanout = await measureFanout(hub.url, adminToken, subscriber.url, options, fanoutSubscribers);
    pushRss(await rss.stop());

    const rssMb = peakRssBytes / 1024 / 1024;
    const checks = [
      {
        name: 'durable publishes/s',
        value: throughput.publishesPerSecond,
        target: `≥ ${TARGETS.publishesPerSecond}`,
        pass: throughput.publishesPerSecond >= TARGETS.publishesPerSecond,
      },
      {
        name: `p99 publish→receipt (ms)`,
        value: latency.receiptP99Ms,
        target: `≤ ${TARGETS.latencyP99Ms} ms`,
        pass: latency.receiptP99Ms <= TARGETS.latencyP99Ms,
      },
      {
        name: `fan-out to ${fanoutSubscribers} (ms)`,
        value: fanout.worstMs,
        target: `≤ ${TARGETS.fanoutMs} ms`,
        pass: fanout.complete && fanout.worstMs <= TARGETS.fanoutMs,
      },
      { name: 'hub peak RSS (MB)', value: round(rssMb, 1), target: `< ${TARGETS.hubRssMb} MB`, pass: peakRssBytes > 0 && rssMb < TARGETS.hubRssMb },
      {
        name: 'errors, lost events',
        value: throughput.errors + throughput.non201 + latency.errors + latency.missing + (throughput.drainS === null ? 1 : 0),
        target: '0',
        pass: throughput.errors + throughput.non201 + latency.errors + latency.missing === 0 && throughput.drainS !== null,
      },
    ];
    return {
      benchmark: 'publish-subscribe',
      action: ACTION,
      durationS: options.durationS,
      warmupS: options.warmupS,
      throughput,
      latency,
      fanout,
      hub: { peakRssBytes },
      checks,
      pass: checks.every((c) => c.pass),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** The results as a table, for the terminal. */
export function formatPublishSubscribe(r: PublishSubscribeResult): string {
  const t = r.throughput;
  const l = r.latency;
  const f = r.fanout;
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    return rows.map((row) => `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`);
  };
  const ms = (n: number) => (Number.isFinite(n) ? String(n) : '—');
  const checks = r.checks.map((c) => `  ${c.name.padEnd(26)} ${String(c.value).padStart(8)}   target ${c.target.padEnd(8)}  ${c.pass ? 'PASS' : 'FAIL'}`);
  return [
    `Publish & subscribe: ${r.action} (not coalescing), ${r.durationS} s each after ${r.warmupS} s warm-up`,
    '',
    ...table([
      ['throughput', 'publish/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-201', 'delivered/s', 'drain s'],
      [
        `bare durable append`,
        String(t.baseline.publishesPerSecond),
        String(t.baseline.latencyP50Ms),
        String(t.baseline.latencyP99Ms),
        '',
        String(t.baseline.errors),
        '',
        '',
        '',
      ],
      [
        `hub, ${t.connections} connections, ${t.subscribers} subscriber${t.subscribers === 1 ? '' : 's'}`,
        String(t.publishesPerSecond),
        String(t.latencyP50Ms),
        String(t.latencyP99Ms),
        String(t.latencyMaxMs),
        String(t.errors),
        String(t.non201),
        String(t.deliveriesPerSecond),
        t.drainS === null ? 'timeout' : String(t.drainS),
      ],
    ]),
    '',
    ...table([
      ['latency', 'sent', 'ack p50', 'ack p99', 'recv p50', 'recv p90', 'recv p99', 'recv max', 'missing'],
      [
        `${l.ratePerSecond} events/s`,
        String(l.sent),
        ms(l.ackP50Ms),
        ms(l.ackP99Ms),
        ms(l.receiptP50Ms),
        ms(l.receiptP90Ms),
        ms(l.receiptP99Ms),
        ms(l.receiptMaxMs),
        String(l.missing),
      ],
    ]),
    '',
    ...table([
      ['fan-out', ...f.roundsMs.map((_, i) => `round ${i + 1} ms`), 'ack ms (each)'],
      [`${f.subscribers} subscribers`, ...f.roundsMs.map(ms), f.acksMs.join(' / ')],
    ]),
    '',
    `  hub ÷ bare durable append, publishes/s: ${t.ratio}${t.subscribers > 0 ? ' (the hub delivering beside)' : ''}`,
    ...checks,
  ].join('\n');
}
