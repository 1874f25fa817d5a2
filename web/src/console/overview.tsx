/** Overview: what an operator looks at first, computed from the admin lists (the last 1,000 calls
 * and the open deliveries), refreshed every 5 s. */
import { href } from '../shared/hash-route';
import { admin } from './api';
import type { Call } from './calls';
import { Outcome, usePoll } from './ui';

const WINDOW_MS = 5 * 60_000;

/** Counts by key, largest first. */
function top<T>(items: T[], key: (item: T) => string | null, n = 5): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

export function summarize(calls: Call[], now: number) {
  const recent = calls.filter((c) => c.at >= now - WINDOW_MS);
  const failed = recent.filter((c) => c.outcome !== 'ok');
  return {
    perMinute: recent.length / (WINDOW_MS / 60_000),
    errorRate: recent.length === 0 ? 0 : failed.length / recent.length,
    outcomes: top(recent, (c) => c.outcome, 10),
    busiest: top(recent, (c) => c.action),
    failingProviders: top(failed, (c) => c.provider),
  };
}

async function load() {
  const [calls, pending, dead, apps, communities] = await Promise.all([
    admin<{ items: Call[] }>('GET', '/calls?limit=1000'),
    admin<{ items: unknown[]; nextCursor: string | null }>('GET', '/deliveries?status=pending&limit=1000'),
    admin<{ items: unknown[]; nextCursor: string | null }>('GET', '/deliveries?status=dead&limit=1000'),
    admin<unknown[]>('GET', '/apps'),
    admin<unknown[]>('GET', '/communities'),
  ]);
  return { calls, pending, dead, apps, communities };
}

const count = (page: { items: unknown[]; nextCursor: string | null } | undefined) =>
  page === undefined ? '—' : `${page.items.length}${page.nextCursor ? '+' : ''}`;

export function OverviewPage() {
  const { data } = usePoll(load, [], 5000);
  if (data === undefined) return <p aria-busy="true">Loading…</p>;
  if (!data.calls.ok) return <Outcome answer={data.calls} />;
  const s = summarize(data.calls.body.items, Date.now());
  const cards: Array<[string, string, string]> = [
    ['Calls per minute', s.perMinute.toFixed(1), 'over the last 5 minutes'],
    ['Error rate', `${(100 * s.errorRate).toFixed(1)}%`, 'calls not answered ok'],
    ['Pending deliveries', count(data.pending.body), 'waiting or retrying'],
    ['Dead deliveries', count(data.dead.body), 'retries exhausted'],
    ['Apps', String(data.apps.body?.length ?? '—'), 'registered'],
    ['Communities', String(data.communities.body?.length ?? '—'), ''],
  ];
  return (
    <>
      <h1>Overview</h1>
      <div class="cards">
        {cards.map(([label, value, hint]) => (
          <div class="card" key={label}>
            <div class="label">{label}</div>
            <div class="value">{value}</div>
            <div class="label">{hint}</div>
          </div>
        ))}
      </div>
      <div class="cards">
        <section>
          <h2>Outcomes</h2>
          <TopList rows={s.outcomes} empty="No calls in the last 5 minutes." />
        </section>
        <section>
          <h2>Busiest actions</h2>
          <TopList rows={s.busiest} empty="No calls in the last 5 minutes." />
        </section>
        <section>
          <h2>Providers failing most</h2>
          <TopList rows={s.failingProviders} empty="No provider failed in the last 5 minutes." />
        </section>
      </div>
      <p>
        <a href={href('deliveries')}>Deliveries and subscription health →</a>
      </p>
    </>
  );
}

function TopList({ rows, empty }: { rows: Array<[string, number]>; empty: string }) {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <ul class="plain">
      {rows.map(([name, n]) => (
        <li key={name}>
          <span class="mono">{name}</span> <strong>{n}</strong>
        </li>
      ))}
    </ul>
  );
}
