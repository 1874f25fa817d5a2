/** The audit log of calls: the API's filters (outcome and time range included), paging by cursor,
 * and the detail of one call found by its requestId. */
import { useState } from 'preact/hooks';
import { admin, query } from './api';
import { Outcome, Pager, time, timeBound, usePoll } from './ui';

export interface Call {
  id: string;
  at: number;
  communityId: string | null;
  consumer: string | null;
  provider: string | null;
  action: string | null;
  version: number | null;
  status: number;
  outcome: string;
  latencyMs: number;
  providerStatus: number | null;
  error: string | null;
}

const FILTERS = ['community', 'action', 'provider', 'consumer'] as const;

export function CallsPage() {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [applied, setApplied] = useState<Record<string, string>>({});
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<Call>();
  const [requestId, setRequestId] = useState('');
  const [notFound, setNotFound] = useState<string>();
  const cursor = cursors[cursors.length - 1];
  const { data } = usePoll(
    () => admin<{ items: Call[]; nextCursor: string | null }>('GET', `/calls${query({ ...serverFilters(applied), limit: 50, cursor })}`),
    [JSON.stringify(applied), cursor],
  );
  const rows = data?.body?.items ?? [];

  const find = async (e: Event) => {
    e.preventDefault();
    setNotFound(undefined);
    const result = await admin<{ items: Call[]; nextCursor: string | null }>('GET', `/calls${query({ requestId: requestId.trim(), limit: 1 })}`);
    if (!result.ok) return;
    const found = result.body.items[0];
    if (found) return setSelected(found);
    setNotFound(`No call with requestId ${requestId.trim()} in the audit log.`);
  };

  return (
    <>
      <h1>Calls</h1>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([]);
          setApplied(filters);
        }}
      >
        {FILTERS.map((name) => (
          <label key={name}>
            {name[0]!.toUpperCase() + name.slice(1)}
            <input value={filters[name] ?? ''} onInput={(e) => setFilters({ ...filters, [name]: e.currentTarget.value })} />
          </label>
        ))}
        <label>
          Outcome
          <input value={filters.outcome ?? ''} placeholder="ok, Timeout…" onInput={(e) => setFilters({ ...filters, outcome: e.currentTarget.value })} />
        </label>
        <label>
          From
          <input type="datetime-local" step={1} value={filters.from ?? ''} onInput={(e) => setFilters({ ...filters, from: e.currentTarget.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" step={1} value={filters.to ?? ''} onInput={(e) => setFilters({ ...filters, to: e.currentTarget.value })} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <form class="toolbar" onSubmit={find}>
        <label>
          RequestId
          <input class="mono" value={requestId} onInput={(e) => setRequestId(e.currentTarget.value)} />
        </label>
        <button type="submit" class="secondary">
          Find the call
        </button>
      </form>
      {notFound !== undefined && <p class="notice">{notFound}</p>}
      {selected !== undefined && <CallDetail call={selected} onClose={() => setSelected(undefined)} />}
      <Outcome answer={data} />
      <div class="table-wrap" tabIndex={0}>
        <table>
          <caption class="visually-hidden">Calls, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Consumer → provider</th>
              <th scope="col">Community</th>
              <th scope="col">Outcome</th>
              <th scope="col">Latency</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id}>
                <td>
                  {/* The visible time starts the accessible name, as a voice user says what they see. */}
                  <button type="button" class="secondary" onClick={() => setSelected(c)}>
                    {time(c.at)}
                    <span class="visually-hidden">, details of call {c.id}</span>
                  </button>
                </td>
                <td class="mono wrap">{c.action ?? '—'}</td>
                <td class="wrap">
                  {c.consumer ?? '—'} → {c.provider ?? '—'}
                </td>
                <td>{c.communityId ?? '—'}</td>
                <td>
                  <span class={`badge ${c.outcome === 'ok' ? 'ok' : 'bad'}`}>{c.outcome}</span> {c.status}
                </td>
                <td>{c.latencyMs} ms</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && <p class="muted">No calls match.</p>}
      <Pager cursors={cursors} nextCursor={data?.body?.nextCursor} onChange={setCursors} />
    </>
  );
}

function serverFilters(applied: Record<string, string>) {
  return {
    ...Object.fromEntries(FILTERS.map((name) => [name, applied[name]?.trim()])),
    outcome: applied.outcome?.trim(),
    since: timeBound(applied.from, 'since'),
    until: timeBound(applied.to, 'until'),
  };
}

function CallDetail({ call, onClose }: { call: Call; onClose: () => void }) {
  return (
    <section class="panel" aria-label={`Call ${call.id}`}>
      <h2>Call {call.id}</h2>
      <dl class="kv">
        {Object.entries(call).map(([k, v]) => [
          <dt key={`${k}t`}>{k}</dt>,
          <dd key={`${k}d`}>{k === 'at' ? time(v as number) : v === null ? '—' : String(v)}</dd>,
        ])}
      </dl>
      <button type="button" class="secondary" onClick={onClose}>
        Close
      </button>
    </section>
  );
}
