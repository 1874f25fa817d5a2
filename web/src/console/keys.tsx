/** Admin keys: create one with a name and a scope (the key shown once, with a copy button), list
 * them with their scope and dates, revoke one after a confirmation. All through /v1/admin/keys. */
import { useState } from 'preact/hooks';
import { href } from '../shared/hash-route';
import { admin, seg, type Answer } from './api';
import { ConfirmButton, CopyButton, Field, Outcome, detailsAt, time, usePoll } from './ui';

export interface AdminKey {
  id: string;
  name: string;
  scope: 'read' | 'operate' | 'admin';
  createdAt: number;
  revokedAt: number | null;
}

const SCOPES = [
  ['read', 'read — sees everything, changes nothing'],
  ['operate', 'operate — installations, approvals, replays, tokens and secrets'],
  ['admin', 'admin — everything, keys included'],
] as const;

export function KeysPage() {
  const { data, reload } = usePoll(() => admin<AdminKey[]>('GET', '/keys'), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<AdminKey['scope']>('read');
  const [created, setCreated] = useState<AdminKey & { key: string }>();
  const [answer, setAnswer] = useState<Answer>();
  const [success, setSuccess] = useState<string>();

  const create = async (e: Event) => {
    e.preventDefault();
    const result = await admin<AdminKey & { key: string }>('POST', '/keys', { name: name.trim(), scope });
    setAnswer(result);
    setSuccess(undefined);
    if (result.ok) {
      setCreated(result.body);
      setName('');
      reload();
    }
  };
  const revoke = async (key: AdminKey) => {
    const result = await admin('DELETE', `/keys/${seg(key.id)}`);
    setAnswer(result);
    setSuccess(`The key “${key.name}” is revoked: the hub refuses it from its next request on.`);
    if (result.ok && created?.id === key.id) setCreated(undefined);
    reload();
  };

  return (
    <>
      <h1>Admin keys</h1>
      <p class="muted">Each key has a name (shown in the change trail) and a scope. The hub keeps only a hash: a key is shown once, when it is created.</p>
      <form class="toolbar" onSubmit={create} aria-label="Create an admin key">
        <Field label="Key name" errors={detailsAt(answer?.details ?? [], '/body/name')}>
          {(attrs) => <input {...attrs} value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Scope" errors={detailsAt(answer?.details ?? [], '/body/scope')}>
          {(attrs) => (
            <select {...attrs} value={scope} onChange={(e) => setScope(e.currentTarget.value as AdminKey['scope'])}>
              {SCOPES.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit">Create key</button>
      </form>
      {created !== undefined && (
        <div class="notice ok" role="status">
          <p>
            <strong>
              New {created.scope} key “{created.name}”
            </strong>
            : copy it now, it is shown only once.
          </p>
          <p>
            <code class="mono wrap-any" data-testid="created-key">
              {created.key}
            </code>
          </p>
          <CopyButton text={created.key} label="Copy the key" />
        </div>
      )}
      <Outcome answer={answer} success={success} />
      <Outcome answer={data} />
      {data?.ok && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <caption class="visually-hidden">Admin keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Key id</th>
                <th scope="col">Created</th>
                <th scope="col">Revoked</th>
                <th scope="col">Trail</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.body.map((k) => (
                <tr key={k.id} data-key={k.id}>
                  <td class="wrap">{k.name}</td>
                  <td>
                    <span class={`badge scope-${k.scope}`}>{k.scope}</span>
                  </td>
                  <td class="mono">{k.id}</td>
                  <td>{time(k.createdAt)}</td>
                  <td data-testid="key-revoked">{time(k.revokedAt)}</td>
                  <td>
                    <a href={href('changes', 'key', k.id)}>
                      Changes<span class="visually-hidden"> made with {k.name}</span>
                    </a>
                  </td>
                  <td>
                    {k.revokedAt === null && (
                      <ConfirmButton
                        label="Revoke"
                        ariaLabel={`Revoke key ${k.name}`}
                        title={`Revoke the key “${k.name}”?`}
                        question="Whoever holds it is refused from their next request on. This cannot be undone: create a new key instead."
                        confirmLabel="Revoke the key"
                        onConfirm={() => void revoke(k)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data?.ok && data.body.length === 0 && <p class="muted">No keys yet: only HUB_ADMIN_TOKEN opens the console.</p>}
    </>
  );
}
