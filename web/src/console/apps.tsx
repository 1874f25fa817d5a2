/** Apps: the list, one app's manifest, tokens and secrets, and the manifest form (or JSON). */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { href } from '../shared/hash-route';
import { admin, seg, type Answer, type ErrorDetail } from './api';
import { ConfirmButton, CopyButton, Field, Flash, Json, Outcome, detailsAt, flash, time, usePoll } from './ui';

interface Token {
  id: string;
  label: string | null;
  createdAt: number;
  revokedAt: number | null;
}
export interface AppView {
  id: string;
  manifest: { displayName: string; description?: string; approval?: string; services: Record<string, unknown[] | boolean> };
  tokens: Token[];
  createdAt: number;
  updatedAt: number;
}

const EMPTY_SERVICES = { requests: [], responds: [], publishes: [], subscribes: [] };

/** The manifest's services without the defaults the hub fills in, for editing. */
function editableServices(manifest: AppView['manifest'] | undefined): Record<string, unknown> {
  if (manifest === undefined) return EMPTY_SERVICES;
  const { enabled: _enabled, ...lists } = manifest.services;
  return lists;
}

export function AppForm({ existing, onSaved }: { existing?: AppView; onSaved: (id: string) => void }) {
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [id, setId] = useState(existing?.id ?? '');
  const [displayName, setDisplayName] = useState(existing?.manifest.displayName ?? '');
  const [description, setDescription] = useState(existing?.manifest.description ?? '');
  const [approval, setApproval] = useState(existing?.manifest.approval ?? 'automatic');
  const [services, setServices] = useState(JSON.stringify(editableServices(existing?.manifest), null, 2));
  const [json, setJson] = useState('');
  const [answer, setAnswer] = useState<Answer>();
  const [local, setLocal] = useState<ErrorDetail[]>([]);
  const details = [...local, ...(answer?.details ?? [])];

  const manifestFromForm = (): unknown => {
    const parsed = JSON.parse(services) as unknown;
    return { displayName, ...(description !== '' && { description }), approval, services: parsed };
  };
  const switchTo = (next: 'form' | 'json') => {
    setLocal([]);
    if (next === 'json') {
      try {
        setJson(JSON.stringify(manifestFromForm(), null, 2));
      } catch {
        setJson(JSON.stringify({ displayName, approval, services: EMPTY_SERVICES }, null, 2));
      }
    } else {
      try {
        const m = JSON.parse(json) as AppView['manifest'];
        setDisplayName(m.displayName ?? '');
        setDescription(m.description ?? '');
        setApproval(m.approval ?? 'automatic');
        setServices(JSON.stringify(m.services ?? EMPTY_SERVICES, null, 2));
      } catch {
        /* keep the form as it was */
      }
    }
    setMode(next);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setLocal([]);
    let manifest: unknown;
    try {
      manifest = mode === 'json' ? JSON.parse(json) : manifestFromForm();
    } catch (err) {
      setAnswer(undefined);
      setLocal([{ pointer: mode === 'json' ? '' : '/services', message: `is not valid JSON: ${(err as Error).message}` }]);
      return;
    }
    if (id.trim() === '') {
      setLocal([{ pointer: '/path/appId', message: 'is required' }]);
      return;
    }
    const result = await admin('PUT', `/apps/${seg(id.trim())}`, manifest);
    setAnswer(result);
    if (result.ok) onSaved(id.trim());
  };

  return (
    <form class="stack panel" onSubmit={submit} aria-label={existing ? `Edit ${existing.id}` : 'Register an app'} noValidate>
      <div class="row" role="group" aria-label="Editor">
        <button type="button" class={mode === 'form' ? '' : 'secondary'} aria-pressed={mode === 'form'} onClick={() => switchTo('form')}>
          Form
        </button>
        <button type="button" class={mode === 'json' ? '' : 'secondary'} aria-pressed={mode === 'json'} onClick={() => switchTo('json')}>
          JSON
        </button>
      </div>
      <Field label="App id" errors={detailsAt(details, '/path/appId')} hint="Letters, digits, _ . - ; used in URLs and logs.">
        {(attrs) => <input {...attrs} name="appId" value={id} disabled={existing !== undefined} onInput={(e) => setId(e.currentTarget.value)} />}
      </Field>
      {mode === 'form' ? (
        <>
          <Field label="Display name" errors={detailsAt(details, '/displayName')}>
            {(attrs) => <input {...attrs} name="displayName" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />}
          </Field>
          <Field label="Description" errors={detailsAt(details, '/description')}>
            {(attrs) => <input {...attrs} name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
          </Field>
          <Field label="Approval" errors={detailsAt(details, '/approval')} hint="Manual: each installation waits for an operator's approval.">
            {(attrs) => (
              <select {...attrs} name="approval" value={approval} onChange={(e) => setApproval(e.currentTarget.value)}>
                <option value="automatic">automatic</option>
                <option value="manual">manual</option>
              </select>
            )}
          </Field>
          <Field
            label="Services (JSON)"
            errors={detailsAt(details, '/services')}
            hint="requests, responds (with url), publishes, subscribes (with url): lists of { action, reason, url }."
          >
            {(attrs) => <textarea {...attrs} name="services" rows={10} value={services} onInput={(e) => setServices(e.currentTarget.value)} />}
          </Field>
        </>
      ) : (
        <Field label="Manifest (JSON)" errors={details.filter((d) => !d.pointer.startsWith('/path/'))}>
          {(attrs) => <textarea {...attrs} name="manifest" rows={16} value={json} onInput={(e) => setJson(e.currentTarget.value)} />}
        </Field>
      )}
      <div>
        <button type="submit">{existing ? 'Save manifest' : 'Register app'}</button>
      </div>
      {answer !== undefined && !answer.ok && <Outcome answer={answer} />}
    </form>
  );
}

export function AppsPage() {
  const { data, reload } = usePoll(() => admin<AppView[]>('GET', '/apps'), []);
  const [registering, setRegistering] = useState(false);
  return (
    <>
      <h1>Apps</h1>
      <Flash />
      <div class="toolbar">
        <button type="button" onClick={() => setRegistering(!registering)} aria-expanded={registering}>
          {registering ? 'Close the form' : 'Register an app'}
        </button>
      </div>
      {registering && <AppForm onSaved={(id) => (reload(), (location.hash = href('apps', id)))} />}
      <Outcome answer={data} />
      {data?.ok && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <caption class="visually-hidden">Apps</caption>
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Display name</th>
                <th scope="col">Services</th>
                <th scope="col">Tokens</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {data.body.map((app) => (
                <tr key={app.id}>
                  <td class="mono wrap">
                    <a href={href('apps', app.id)}>{app.id}</a>
                  </td>
                  <td class="wrap">{app.manifest.displayName}</td>
                  <td class="wrap">
                    {(['requests', 'responds', 'publishes', 'subscribes'] as const)
                      .map((k) => [k, (app.manifest.services[k] as unknown[] | undefined)?.length ?? 0] as const)
                      .filter(([, n]) => n > 0)
                      .map(([k, n]) => `${k} ${n}`)
                      .join(', ') || '—'}
                  </td>
                  <td>{app.tokens.filter((t) => t.revokedAt === null).length}</td>
                  <td>{time(app.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function AppPage({ id }: { id: string }) {
  const { data, reload } = usePoll(() => admin<AppView>('GET', `/apps/${seg(id)}`), [id]);
  const [editing, setEditing] = useState(false);
  const [issued, setIssued] = useState<{ id: string; token: string }>();
  const [label, setLabel] = useState('');
  const [secrets, setSecrets] = useState<Record<string, string>>();
  const [outcome, setOutcome] = useState<Answer>();
  // Shown beside the delete button, where the operator is looking.
  const [removed, setRemoved] = useState<Answer>();
  if (data === undefined) return <p aria-busy="true">Loading…</p>;
  if (!data.ok) return <Outcome answer={data} />;
  const app = data.body;

  const issue = async (e: Event) => {
    e.preventDefault();
    const result = await admin<{ id: string; token: string }>('POST', `/apps/${seg(id)}/tokens`, label === '' ? {} : { label });
    setOutcome(result);
    if (result.ok) {
      setIssued(result.body);
      setLabel('');
      reload();
    }
  };
  const revoke = async (tokenId: string) => {
    setOutcome(await admin('DELETE', `/apps/${seg(id)}/tokens/${seg(tokenId)}`));
    reload();
  };
  const showSecrets = async () => {
    const result = await admin<Record<string, string>>('GET', `/apps/${seg(id)}/secrets`);
    setOutcome(result);
    if (result.ok) setSecrets(result.body);
  };
  const remove = async () => {
    const result = await admin('DELETE', `/apps/${seg(id)}`);
    setRemoved(result);
    if (result.ok) {
      flash(`The app ${id} is deleted: its installations are removed, its pending deliveries cancelled, its tokens revoked.`);
      location.hash = href('apps');
    }
  };
  const rotate = async () => {
    const result = await admin<Record<string, string>>('POST', `/apps/${seg(id)}/secrets/rotate`);
    setOutcome(result);
    if (result.ok) setSecrets(result.body);
  };

  return (
    <>
      <p>
        <a href={href('apps')}>← Apps</a>
      </p>
      <h1>{app.manifest.displayName}</h1>
      <p class="mono">{app.id}</p>
      <Outcome answer={outcome} />
      <h2>Manifest</h2>
      <div class="toolbar">
        <button type="button" class="secondary" onClick={() => setEditing(!editing)} aria-expanded={editing}>
          {editing ? 'Close the editor' : 'Edit the manifest'}
        </button>
      </div>
      {editing ? <AppForm existing={app} onSaved={() => (setEditing(false), reload())} /> : <Json value={app.manifest} label="Manifest" />}
      <h2>Tokens</h2>
      {issued !== undefined && (
        <div class="notice ok" role="status">
          <p>
            <strong>New token {issued.id}</strong>: copy it now, it is shown only once.
          </p>
          <p>
            <code class="mono" data-testid="issued-token">
              {issued.token}
            </code>
          </p>
          <CopyButton text={issued.token} label="Copy the token" />
        </div>
      )}
      <form class="toolbar" onSubmit={issue}>
        <label>
          Token label
          <input value={label} onInput={(e) => setLabel(e.currentTarget.value)} maxLength={200} />
        </label>
        <button type="submit">Issue a token</button>
      </form>
      {app.tokens.length === 0 ? (
        <p class="muted">No tokens.</p>
      ) : (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <caption class="visually-hidden">Tokens</caption>
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Label</th>
                <th scope="col">Issued</th>
                <th scope="col">Revoked</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {app.tokens.map((t) => (
                <tr key={t.id}>
                  <td class="mono wrap">{t.id}</td>
                  <td class="wrap">{t.label ?? ''}</td>
                  <td>{time(t.createdAt)}</td>
                  <td>{time(t.revokedAt)}</td>
                  <td>
                    {t.revokedAt === null && (
                      <button type="button" class="danger" onClick={() => revoke(t.id)} aria-label={`Revoke token ${t.id}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Secrets</h2>
      <div class="toolbar">
        <button type="button" class="secondary" onClick={showSecrets}>
          Show secrets
        </button>
        <button type="button" class="danger" onClick={rotate}>
          Rotate secrets
        </button>
      </div>
      {secrets !== undefined && (
        <dl class="kv">
          {Object.entries(secrets).map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd class="mono">{v}</dd>
            </Fragment>
          ))}
        </dl>
      )}
      <h2>Delete</h2>
      <p class="muted">
        <a href={href('changes', 'app', app.id)}>Its changes</a> stay in the change trail, and its calls in the audit log.
      </p>
      <ConfirmButton
        label="Delete the app"
        title={`Delete the app ${app.id}?`}
        question="Its installations in every community are removed, its pending deliveries cancelled and its tokens revoked. This cannot be undone."
        confirmLabel="Delete it"
        onConfirm={() => void remove()}
      />
      <Outcome answer={removed} />
    </>
  );
}
