/**
 * The action reference (/reference/): public, read from GET /v1/catalog/actions.json each time
 * the index is shown, so an action an operator defines a moment ago is listed at once. An index
 * with search and filters, and one page per action version. Everything from the catalogue is
 * rendered as text by Preact (no HTML is ever parsed from data).
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import '../shared/style.css';
import { FieldTable } from '../shared/FieldTable';
import { href, useHashRoute } from '../shared/hash-route';
import { curlOf, envelopeOf, matches, namespaceOf, successorOf, type Action, type Version } from './catalog';

function useCatalog(route: string[]): { actions: Action[] | undefined; error: string | undefined } {
  const [actions, setActions] = useState<Action[]>();
  const [error, setError] = useState<string>();
  const key = route.length === 0 ? 'index' : route.join('/');
  useEffect(() => {
    let live = true;
    fetch('/v1/catalog/actions.json', { headers: { accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`the hub answered ${res.status}`);
        const body = (await res.json()) as { actions: Action[] };
        if (live) setActions(body.actions);
      })
      .catch((err: Error) => live && setError(`The catalogue could not be loaded: ${err.message}`));
    return () => {
      live = false;
    };
  }, [key]);
  return { actions, error };
}

function Index({ actions }: { actions: Action[] }) {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const [query, setQuery] = useState(params.get('q') ?? '');
  const [kind, setKind] = useState('');
  const [namespace, setNamespace] = useState('');
  const namespaces = useMemo(() => [...new Set(actions.map((a) => namespaceOf(a.id)))].sort(), [actions]);
  const shown = actions.filter((a) => (kind === '' || a.kind === kind) && (namespace === '' || namespaceOf(a.id) === namespace) && matches(a, query));
  return (
    <>
      <h1>Action reference</h1>
      <p class="muted">
        Every action of this hub's catalogue: the request a consumer sends, the answer a provider must give, and the events publishers send. {actions.length}{' '}
        actions.
      </p>
      <div class="toolbar" role="search">
        <label>
          Search
          <input type="search" value={query} placeholder="id, title or field name" onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="">All kinds</option>
            <option value="request">Request</option>
            <option value="event">Event</option>
          </select>
        </label>
        <label>
          Namespace
          <select value={namespace} onChange={(e) => setNamespace(e.currentTarget.value)}>
            <option value="">All namespaces</option>
            {namespaces.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="muted" aria-live="polite">
        {shown.length} shown
      </p>
      <ul class="plain action-list">
        {shown.map((a) => {
          const latest = a.versions[a.versions.length - 1]!;
          return (
            <li key={a.id}>
              <span class={`badge ${a.kind}`}>{a.kind}</span>{' '}
              <a href={href('actions', a.id, latest.version)} class="mono">
                {a.id}
              </a>{' '}
              <span class="muted">v{a.versions.map((v) => v.version).join(', v')}</span>
              <div class="title">{latest.title}</div>
            </li>
          );
        })}
      </ul>
    </>
  );
}

function Copyable({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div>
      <pre aria-label={label} tabIndex={0}>
        {text}
      </pre>
      <button
        type="button"
        class="secondary"
        onClick={() =>
          navigator.clipboard?.writeText(text).then(
            () => setCopied(true),
            () => undefined,
          )
        }
      >
        {copied ? 'Copied' : `Copy ${label.toLowerCase()}`}
      </button>
    </div>
  );
}

/** What an app using a deprecated or retired version must know, and where to go instead. */
function StatusNotice({ action, version }: { action: Action; version: Version }) {
  const successor = successorOf(action, version);
  const since = version.statusChangedAt === null ? '' : ` since ${new Date(version.statusChangedAt).toISOString().slice(0, 10)}`;
  return (
    <p role="note">
      {version.status === 'retired'
        ? `Version ${version.version} is retired${since}: the hub refuses calls and publishes of it.`
        : `Version ${version.version} is deprecated${since}: it still works, and its answers carry a Deprecation header.`}{' '}
      {successor !== undefined && <a href={href('actions', action.id, successor.version)}>Use version {successor.version}</a>}
    </p>
  );
}

function ActionPage({ action, version }: { action: Action; version: Version }) {
  const example = version.examples?.data.valid[0];
  const response = version.examples?.response?.valid[0];
  return (
    <article>
      <p>
        <a href="#/">← All actions</a>
      </p>
      <h1>{version.title}</h1>
      <p class="mono">{action.id}</p>
      <p>
        <span class={`badge ${action.kind}`}>{action.kind}</span> <span class="badge">{version.builtin ? 'built-in' : 'custom'}</span>{' '}
        {version.timeoutMs !== undefined && <span class="badge">timeout {version.timeoutMs} ms</span>}
        {version.coalesce === true && <span class="badge">coalesced</span>}
        {version.status !== 'active' && <span class={`badge ${version.status === 'retired' ? 'bad' : 'pending'}`}>{version.status}</span>}
      </p>
      {version.status !== 'active' && <StatusNotice action={action} version={version} />}
      {version.description !== undefined && <p>{version.description}</p>}
      <nav aria-label="Versions">
        <h2>Versions</h2>
        <ul class="plain">
          {action.versions.map((v) => (
            <li key={v.version}>
              {v.version === version.version ? (
                <strong aria-current="page">Version {v.version}</strong>
              ) : (
                <a href={href('actions', action.id, v.version)}>Version {v.version}</a>
              )}{' '}
              <span class="muted">
                {v.changes.length === 0
                  ? v === action.versions[0]
                    ? 'first version'
                    : 'compatible with the version before'
                  : `${v.changes.length} breaking changes from the version before`}
                {v.status !== 'active' && ` · ${v.status}`}
              </span>
            </li>
          ))}
        </ul>
      </nav>
      {version.changes.length > 0 && (
        <>
          <h3>What changed from version {action.versions[action.versions.indexOf(version) - 1]?.version}</h3>
          <div class="table-wrap" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Location</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {version.changes.map((c) => (
                  <tr key={c.path + c.change}>
                    <td class="mono wrap">{c.path}</td>
                    <td class="wrap">{c.change}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <h2>{action.kind === 'event' ? 'Event data' : 'Request'}</h2>
      <FieldTable schema={version.dataSchema} caption={action.kind === 'event' ? 'Event data fields' : 'Request fields'} />
      {version.responseSchema !== undefined && (
        <>
          <h2>Response</h2>
          <p class="muted">What a provider must answer; the hub checks it and returns it to the consumer as {'{ "data": … }'}.</p>
          <FieldTable schema={version.responseSchema} caption="Response fields" />
        </>
      )}
      <h2>Examples</h2>
      {example === undefined && response === undefined ? (
        <p class="muted">No example ships with this version.</p>
      ) : (
        <>
          {example !== undefined && (
            <>
              <h3>{action.kind === 'event' ? 'Data' : 'Request data'}</h3>
              <pre tabIndex={0}>{JSON.stringify(example, null, 2)}</pre>
            </>
          )}
          {response !== undefined && (
            <>
              <h3>Response</h3>
              <pre tabIndex={0}>{JSON.stringify(response, null, 2)}</pre>
            </>
          )}
        </>
      )}
      <h2>Try it</h2>
      <Copyable label="Command" text={curlOf(location.origin, version, example)} />
      <h3>What the {action.kind === 'event' ? 'subscriber' : 'provider'} receives</h3>
      <p class="muted">POSTed by the hub, signed (Standard Webhooks headers webhook-id, webhook-timestamp, webhook-signature).</p>
      <pre tabIndex={0}>{JSON.stringify(envelopeOf(version, example), null, 2)}</pre>
      <h2>JSON Schema</h2>
      <details>
        <summary>{action.kind === 'event' ? 'Data schema' : 'Request schema (dataSchema)'}</summary>
        <pre tabIndex={0}>{JSON.stringify(version.dataSchema, null, 2)}</pre>
      </details>
      {version.responseSchema !== undefined && (
        <details>
          <summary>Response schema (responseSchema)</summary>
          <pre tabIndex={0}>{JSON.stringify(version.responseSchema, null, 2)}</pre>
        </details>
      )}
    </article>
  );
}

function App() {
  const route = useHashRoute();
  const { actions, error } = useCatalog(route);
  let page;
  if (error !== undefined) page = <p class="notice bad">{error}</p>;
  else if (actions === undefined) page = <p aria-busy="true">Loading the catalogue…</p>;
  else if (route[0] === 'actions' && route[1] !== undefined) {
    const action = actions.find((a) => a.id === route[1]);
    const version = action?.versions.find((v) => String(v.version) === route[2]) ?? action?.versions[action.versions.length - 1];
    page =
      action === undefined || version === undefined ? (
        <p class="notice bad">
          There is no action {route[1]} in this catalogue. <a href="#/">All actions</a>
        </p>
      ) : (
        <ActionPage action={action} version={version} />
      );
  } else page = <Index actions={actions} />;
  useEffect(() => {
    document.title = route[0] === 'actions' && route[1] !== undefined ? `${route[1]} · Action reference` : 'Action reference · API Hub';
  }, [route.join('/')]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/">
          API Hub · Action reference
        </a>
        <span class="spacer" />
        <a href="/v1/catalog/openapi.json">OpenAPI</a>
        <a href="/v1/catalog/asyncapi.json">AsyncAPI</a>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
