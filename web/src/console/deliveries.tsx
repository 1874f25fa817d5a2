/**
 * Events and deliveries: the delivery log (filters, live by polling every 3 s), every attempt of a
 * delivery, replay one or every dead one matching the filters, each subscription's health over the
 * deliveries listed, and a test event sent to one subscriber from the action's example.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { admin, query, seg, type Answer } from './api';
import type { AppView } from './apps';
import { Json, Outcome, time, timeBound, usePoll } from './ui';

interface Attempt {
  at: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  /** The start of the subscriber's answer body. */
  answer?: string | null;
}
export interface Delivery {
  id: string;
  eventId: string;
  communityId: string;
  appId: string;
  action: string;
  status: 'pending' | 'delivered' | 'dead' | 'cancelled';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  history: Attempt[];
}

const ok = (a: Attempt) => a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
const attemptText = (a: Attempt) => (a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.error ?? 'no answer'));

export interface Health {
  key: string;
  community: string;
  app: string;
  action: string;
  attempts: number;
  successes: number;
  lastError: { at: number; text: string } | undefined;
  lastSuccess: number | undefined;
  dead: number;
}

/** Per subscription (community, app, action): its attempts' success rate, last error, last success. */
export function healthOf(deliveries: Delivery[]): Health[] {
  const byKey = new Map<string, Health>();
  for (const d of deliveries) {
    const key = `${d.communityId} ${d.appId} ${d.action}`;
    const h = byKey.get(key) ?? {
      key,
      community: d.communityId,
      app: d.appId,
      action: d.action,
      attempts: 0,
      successes: 0,
      lastError: undefined,
      lastSuccess: undefined,
      dead: 0,
    };
    if (d.status === 'dead') h.dead++;
    for (const a of d.history) {
      h.attempts++;
      if (ok(a)) {
        h.successes++;
        h.lastSuccess = Math.max(h.lastSuccess ?? 0, a.at);
      } else if (h.lastError === undefined || a.at > h.lastError.at) h.lastError = { at: a.at, text: attemptText(a) };
    }
    byKey.set(key, h);
  }
  return [...byKey.values()].sort((a, b) => a.successes / Math.max(1, a.attempts) - b.successes / Math.max(1, b.attempts));
}

type Filters = { status?: string; app?: string; action?: string; community?: string; from?: string; to?: string };

export function DeliveriesPage() {
  const [filters, setFilters] = useState<Filters>({});
  const [applied, setApplied] = useState<Filters>({});
  const [open, setOpen] = useState<string>();
  const [answer, setAnswer] = useState<Answer>();
  const [success, setSuccess] = useState<string>();
  const server = {
    status: applied.status,
    app: applied.app?.trim(),
    action: applied.action?.trim(),
    community: applied.community?.trim(),
    since: timeBound(applied.from, 'since'),
    until: timeBound(applied.to, 'until'),
  };
  const { data, reload } = usePoll(
    () => admin<{ items: Delivery[]; nextCursor: string | null }>('GET', `/deliveries${query({ ...server, limit: 200 })}`),
    [JSON.stringify(applied)],
    3000,
  );
  const rows = data?.body?.items ?? [];

  const replay = async (id: string) => {
    const result = await admin('POST', `/deliveries/${seg(id)}/replay`);
    setAnswer(result);
    setSuccess(`Delivery ${id} is pending again.`);
    reload();
  };
  const replayDead = async () => {
    let replayed = 0;
    let failed: Answer | undefined;
    let cursor: string | undefined;
    do {
      const page = await admin<{ items: Delivery[]; nextCursor: string | null }>(
        'GET',
        `/deliveries${query({ ...server, status: 'dead', limit: 1000, cursor })}`,
      );
      if (!page.ok) return setAnswer(page);
      for (const d of page.body.items) {
        const result = await admin('POST', `/deliveries/${seg(d.id)}/replay`);
        if (result.ok) replayed++;
        else failed = result;
      }
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor !== undefined);
    setAnswer(failed ?? ({ ok: true } as Answer));
    setSuccess(`${replayed} dead deliveries are pending again.`);
    reload();
  };

  return (
    <>
      <h1>Events and deliveries</h1>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <label>
          Status
          <select value={filters.status ?? ''} onChange={(e) => setFilters({ ...filters, status: e.currentTarget.value })}>
            <option value="">Any status</option>
            {['pending', 'delivered', 'dead', 'cancelled'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {(['app', 'action', 'community'] as const).map((name) => (
          <label key={name}>
            {name[0]!.toUpperCase() + name.slice(1)}
            <input value={filters[name] ?? ''} onInput={(e) => setFilters({ ...filters, [name]: e.currentTarget.value })} />
          </label>
        ))}
        <label>
          From
          <input type="datetime-local" step={1} value={filters.from ?? ''} onInput={(e) => setFilters({ ...filters, from: e.currentTarget.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" step={1} value={filters.to ?? ''} onInput={(e) => setFilters({ ...filters, to: e.currentTarget.value })} />
        </label>
        <button type="submit">Filter</button>
        <button type="button" class="danger" onClick={replayDead}>
          Replay all dead matching
        </button>
      </form>
      <Outcome answer={answer} success={success} />
      <Outcome answer={data} />
      <div class="table-wrap" tabIndex={0}>
        <table>
          <caption class="visually-hidden">Deliveries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Delivery</th>
              <th scope="col">Status</th>
              <th scope="col">Subscriber</th>
              <th scope="col">Action</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <Fragment key={d.id}>
                <tr data-delivery={d.id}>
                  <td class="mono wrap">
                    <button
                      type="button"
                      class="secondary"
                      aria-expanded={open === d.id}
                      onClick={() => setOpen(open === d.id ? undefined : d.id)}
                      aria-label={`Attempts of delivery ${d.id}`}
                    >
                      {d.id}
                    </button>
                    <div class="muted">{time(d.createdAt)}</div>
                  </td>
                  <td>
                    <span class={`badge ${d.status}`} data-testid="delivery-status">
                      {d.status}
                    </span>
                  </td>
                  <td class="wrap">
                    {d.appId}
                    <div class="muted">{d.communityId}</div>
                  </td>
                  <td class="mono wrap">{d.action}</td>
                  <td>{d.attempts}</td>
                  <td class="wrap">{d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '—')}</td>
                  <td>
                    {d.status !== 'pending' && (
                      <button type="button" onClick={() => replay(d.id)} aria-label={`Replay delivery ${d.id}`}>
                        Replay
                      </button>
                    )}
                  </td>
                </tr>
                {open === d.id && (
                  <tr>
                    <td colSpan={7}>
                      <h3>Attempts of {d.id}</h3>
                      {d.history.length === 0 ? (
                        <p class="muted">No attempt yet.</p>
                      ) : (
                        <ol>
                          {d.history.map((a, i) => (
                            <li key={i}>
                              {time(a.at)} — <strong>{attemptText(a)}</strong> {a.statusCode !== null && a.error !== null && `(${a.error})`} in {a.durationMs}{' '}
                              ms
                              {a.answer && (
                                <pre class="answer" aria-label="The subscriber's answer">
                                  {a.answer}
                                </pre>
                              )}
                            </li>
                          ))}
                        </ol>
                      )}
                      <p class="muted">Event {d.eventId}</p>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && <p class="muted">No deliveries match.</p>}
      <h2>Subscription health</h2>
      <HealthTable rows={healthOf(data?.body?.items ?? [])} />
      <h2>Send a test event</h2>
      <TestEvent />
    </>
  );
}

function HealthTable({ rows }: { rows: Health[] }) {
  if (rows.length === 0) return <p class="muted">No deliveries listed yet.</p>;
  return (
    <div class="table-wrap" tabIndex={0}>
      <table>
        <caption class="visually-hidden">Health of each subscription, the least healthy first</caption>
        <thead>
          <tr>
            <th scope="col">Subscriber</th>
            <th scope="col">Action</th>
            <th scope="col">Success rate</th>
            <th scope="col">Dead</th>
            <th scope="col">Last error</th>
            <th scope="col">Last success</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((h) => (
            <tr key={h.key}>
              <td class="wrap">
                {h.app}
                <div class="muted">{h.community}</div>
              </td>
              <td class="mono wrap">{h.action}</td>
              <td>{h.attempts === 0 ? '—' : `${Math.round((100 * h.successes) / h.attempts)}% of ${h.attempts}`}</td>
              <td>{h.dead}</td>
              <td class="wrap">{h.lastError === undefined ? '—' : `${h.lastError.text}, ${time(h.lastError.at)}`}</td>
              <td>{time(h.lastSuccess)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What POST …/subscriptions/{action}/test answers (src/admin/test-event.ts). */
interface TestEventResult {
  delivered: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
  data: unknown;
  answer: string | null;
}

function TestEvent() {
  const apps = usePoll(() => admin<AppView[]>('GET', '/apps'), []);
  const communities = usePoll(() => admin<Array<{ id: string }>>('GET', '/communities'), []);
  const [community, setCommunity] = useState('');
  const [choice, setChoice] = useState('');
  const [answer, setAnswer] = useState<Answer<TestEventResult>>();
  const subscriptions = (apps.data?.body ?? []).flatMap((a) =>
    ((a.manifest.services.subscribes ?? []) as Array<{ action: string }>).map((s) => `${a.id} ${s.action}`),
  );
  // Until the operator picks, the first of each list is the one shown and the one used.
  const shownCommunity = community || communities.data?.body?.[0]?.id || '';
  const shownChoice = choice || subscriptions[0] || '';
  const send = async (e: Event) => {
    e.preventDefault();
    const [app, action] = (shownChoice || ' ').split(' ');
    const target = shownCommunity;
    setAnswer(await admin('POST', `/communities/${seg(target)}/installations/${seg(app!)}/subscriptions/${seg(action!)}/test`, {}));
  };
  return (
    <form class="stack panel" onSubmit={send}>
      <p class="muted">Sends the action's example to one subscriber now, signed as a real delivery; nothing is stored.</p>
      <div class="row">
        <label>
          Community to test in
          <select value={shownCommunity} onChange={(e) => setCommunity(e.currentTarget.value)}>
            {(communities.data?.body ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Subscriber and action
          <select value={shownChoice} onChange={(e) => setChoice(e.currentTarget.value)}>
            {subscriptions.map((s) => (
              <option key={s} value={s}>
                {s.replace(' ', ' — ')}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={subscriptions.length === 0}>
          Send a test event
        </button>
      </div>
      {answer !== undefined &&
        (answer.ok ? (
          <div class={`notice ${answer.body.delivered ? 'ok' : 'bad'}`} role="status">
            <strong data-testid="test-event-result">
              {answer.body.delivered ? 'Delivered' : 'Not delivered'}:{' '}
              {answer.body.status !== null ? `HTTP ${String(answer.body.status)}` : String(answer.body.error)} in {String(answer.body.durationMs)} ms
            </strong>
            <h3>Sent</h3>
            <Json value={answer.body.data} label="Data sent" />
            <h3>The subscriber answered</h3>
            <pre tabIndex={0}>{String(answer.body.answer ?? '')}</pre>
          </div>
        ) : (
          <Outcome answer={answer} />
        ))}
    </form>
  );
}
