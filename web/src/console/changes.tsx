/** The change trail (GET /v1/admin/changes): who changed what and when, filtered by the API
 * (key, app, community, target, kind, route, time range), paged by cursor; a change opens to its
 * before and after as a line diff or as two JSON blocks. `#/changes/<filter>/<value>` opens the
 * page filtered (the Keys page links each key's changes so). */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { admin, query } from './api';
import { jsonDiff } from './diff';
import { Json, Outcome, Pager, time, timeBound, usePoll } from './ui';

export interface Change {
  at: number;
  keyId: string;
  keyName: string;
  method: string;
  route: string;
  kind: string;
  target: string | null;
  targets: Record<string, string>;
  before: unknown;
  after: unknown;
  status: number;
  outcome: string;
  requestId: string;
}

const TEXT_FILTERS = [
  ['key', 'Key id'],
  ['app', 'App'],
  ['community', 'Community'],
  ['target', 'Target'],
  ['route', 'Route'],
] as const;
const KINDS = [
  'action.define',
  'app.delete',
  'app.put',
  'community.delete',
  'community.put',
  'delivery.replay',
  'installation.approve',
  'installation.delete',
  'installation.put',
  'key.create',
  'key.revoke',
  'secrets.rotate',
  'subscription.enable',
  'subscription.test',
  'token.issue',
  'token.revoke',
];
const FILTER_NAMES: readonly string[] = [...TEXT_FILTERS.map(([name]) => name), 'kind'];

export function ChangesPage({ route }: { route: string[] }) {
  // `#/changes/key/<id>`: the page opens with that filter applied.
  const initial: Record<string, string> = route[1] !== undefined && FILTER_NAMES.includes(route[1]) && route[2] !== undefined ? { [route[1]]: route[2] } : {};
  const [filters, setFilters] = useState<Record<string, string>>(initial);
  const [applied, setApplied] = useState<Record<string, string>>(initial);
  const [cursors, setCursors] = useState<string[]>([]);
  const [open, setOpen] = useState<string>();
  const cursor = cursors[cursors.length - 1];
  const { data } = usePoll(
    () =>
      admin<{ items: Change[]; nextCursor: string | null }>(
        'GET',
        `/changes${query({
          ...Object.fromEntries(FILTER_NAMES.map((name) => [name, applied[name]?.trim()])),
          since: timeBound(applied.since, 'since'),
          until: timeBound(applied.until, 'until'),
          limit: 50,
          cursor,
        })}`,
      ),
    [JSON.stringify(applied), cursor],
  );
  const rows = data?.body?.items ?? [];

  return (
    <>
      <h1>Changes</h1>
      <p class="muted">Every admin write, made or refused, newest first: which key, what, and the value before and after (secrets redacted).</p>
      <form
        class="toolbar"
        aria-label="Filter the changes"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([]);
          setOpen(undefined);
          setApplied(filters);
        }}
      >
        {TEXT_FILTERS.map(([name, label]) => (
          <label key={name}>
            {label}
            <input value={filters[name] ?? ''} onInput={(e) => setFilters({ ...filters, [name]: e.currentTarget.value })} />
          </label>
        ))}
        <label>
          Kind
          <select value={filters.kind ?? ''} onChange={(e) => setFilters({ ...filters, kind: e.currentTarget.value })}>
            <option value="">Any kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" step={1} value={filters.since ?? ''} onInput={(e) => setFilters({ ...filters, since: e.currentTarget.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" step={1} value={filters.until ?? ''} onInput={(e) => setFilters({ ...filters, until: e.currentTarget.value })} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Outcome answer={data} />
      <div class="table-wrap" tabIndex={0}>
        <table>
          <caption class="visually-hidden">Changes, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Key</th>
              <th scope="col">Kind</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <Fragment key={c.requestId}>
                <tr data-change={c.kind}>
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      aria-expanded={open === c.requestId}
                      onClick={() => setOpen(open === c.requestId ? undefined : c.requestId)}
                      aria-label={`Details of the ${c.kind} change at ${time(c.at)}`}
                    >
                      {time(c.at)}
                    </button>
                  </td>
                  <td class="key-cell">
                    {c.keyName}
                    {c.keyId !== c.keyName && <div class="muted mono">{c.keyId}</div>}
                  </td>
                  <td class="mono">{c.kind}</td>
                  <td class="mono wrap">{c.target ?? '—'}</td>
                  <td>
                    <span class={`badge ${c.outcome === 'ok' ? 'ok' : 'bad'}`}>{c.outcome}</span> {c.status}
                  </td>
                </tr>
                {open === c.requestId && (
                  <tr>
                    <td colSpan={5}>
                      <ChangeDetail change={c} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      {data?.ok && rows.length === 0 && <p class="muted">No changes match.</p>}
      <Pager cursors={cursors} nextCursor={data?.body?.nextCursor} onChange={setCursors} />
    </>
  );
}

function ChangeDetail({ change }: { change: Change }) {
  const [view, setView] = useState<'diff' | 'both'>('diff');
  const hasValues = change.before != null || change.after != null;
  return (
    <section aria-label={`The ${change.kind} change`}>
      <dl class="kv">
        <dt>Request</dt>
        <dd class="mono">
          {change.method} {change.route}
        </dd>
        <dt>requestId</dt>
        <dd class="mono">{change.requestId}</dd>
        {Object.entries(change.targets).map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd class="mono">{v}</dd>
          </Fragment>
        ))}
      </dl>
      {!hasValues ? (
        <p class="muted">{change.outcome === 'ok' ? 'No before or after is kept for this kind of change.' : 'Refused: nothing was changed.'}</p>
      ) : (
        <>
          <div class="row" role="group" aria-label="Show the change as">
            <button type="button" class={view === 'diff' ? '' : 'secondary'} aria-pressed={view === 'diff'} onClick={() => setView('diff')}>
              Diff
            </button>
            <button type="button" class={view === 'both' ? '' : 'secondary'} aria-pressed={view === 'both'} onClick={() => setView('both')}>
              Before and after
            </button>
          </div>
          {view === 'diff' ? (
            <pre class="diff" tabIndex={0} aria-label="Diff of before and after" data-testid="change-diff">
              {jsonDiff(change.before, change.after).map((line, i) => (
                <span key={i} class={line.sign === '-' ? 'del' : line.sign === '+' ? 'add' : undefined}>
                  {`${line.sign} ${line.text}`}
                </span>
              ))}
            </pre>
          ) : (
            <div class="columns">
              <div>
                <h3>Before</h3>
                {change.before == null ? <p class="muted">Nothing: it was new.</p> : <Json value={change.before} label="Before" />}
              </div>
              <div>
                <h3>After</h3>
                {change.after == null ? <p class="muted">Nothing: it was deleted.</p> : <Json value={change.after} label="After" />}
              </div>
            </div>
          )}
        </>
      )}
    </section>
  );
}
