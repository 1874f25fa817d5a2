/** Communities and their installations: create, install, approve, uninstall, re-enable a
 * subscription the hub disabled after a 410. The installations list polls while it is open, as an
 * operator waits for a pending app. */
import { useState } from 'preact/hooks';
import { href } from '../shared/hash-route';
import { admin, seg, type Answer } from './api';
import type { AppView } from './apps';
import { ConfirmButton, Field, Flash, Outcome, detailsAt, flash, time, usePoll } from './ui';

interface Installation {
  community: string;
  app: string;
  status: 'pending_approval' | 'installed' | 'uninstalled';
  createdAt: number;
  updatedAt: number;
}

export function CommunitiesPage() {
  const { data, reload } = usePoll(() => admin<Array<{ id: string }>>('GET', '/communities'), []);
  const [id, setId] = useState('');
  const [answer, setAnswer] = useState<Answer>();
  const create = async (e: Event) => {
    e.preventDefault();
    const result = await admin('PUT', `/communities/${seg(id.trim())}`);
    setAnswer(result);
    if (result.ok) {
      setId('');
      reload();
    }
  };
  return (
    <>
      <h1>Communities</h1>
      <Flash />
      <form class="toolbar" onSubmit={create}>
        <Field label="New community id" errors={detailsAt(answer?.details ?? [], '/path/community')}>
          {(attrs) => <input {...attrs} value={id} onInput={(e) => setId(e.currentTarget.value)} />}
        </Field>
        <button type="submit">Create community</button>
      </form>
      <Outcome answer={answer} success="Community created." />
      <Outcome answer={data} />
      {data?.ok && (
        <ul class="plain">
          {data.body.map((c) => (
            <li key={c.id}>
              <a class="mono" href={href('communities', c.id)}>
                {c.id}
              </a>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function CommunityPage({ id }: { id: string }) {
  const installations = usePoll(() => admin<Installation[]>('GET', `/communities/${seg(id)}/installations`), [id], 3000);
  const apps = usePoll(() => admin<AppView[]>('GET', '/apps'), []);
  const [appId, setAppId] = useState('');
  const [answer, setAnswer] = useState<Answer>();
  const [success, setSuccess] = useState<string>();
  const [subApp, setSubApp] = useState('');
  const [subAction, setSubAction] = useState('');

  const act = async (method: string, path: string, done: string) => {
    const result = await admin(method, path);
    setAnswer(result);
    setSuccess(done);
    installations.reload();
  };
  const install = (e: Event) => {
    e.preventDefault();
    if (appId !== '') void act('PUT', `/communities/${seg(id)}/installations/${seg(appId)}`, `${appId} installed (or waiting for approval).`);
  };
  const enable = (e: Event) => {
    e.preventDefault();
    void act(
      'POST',
      `/communities/${seg(id)}/installations/${seg(subApp)}/subscriptions/${seg(subAction)}/enable`,
      `The subscription of ${subApp} to ${subAction} is enabled again.`,
    );
  };
  // A 409 of the delete: the apps still installed (or waiting for approval), and the offer to force.
  const [held, setHeld] = useState<{ error: string; apps: Array<{ app: string; status: string }> }>();
  // Any other refusal (a 403 for the key's scope), shown beside the delete button.
  const [removed, setRemoved] = useState<Answer>();
  const remove = async (force: boolean) => {
    const result = await admin<{ details?: Array<{ app: string; status: string }> }>('DELETE', `/communities/${seg(id)}${force ? '?force=true' : ''}`);
    if (result.ok) {
      flash(`The community ${id} is deleted.`);
      location.hash = href('communities');
      return;
    }
    if (result.status === 409 && !force) {
      setRemoved(undefined);
      return setHeld({ error: result.error ?? '', apps: result.body?.details ?? [] });
    }
    setHeld(undefined);
    setRemoved(result);
  };
  const subscribers = (apps.data?.body ?? []).filter((a) => ((a.manifest.services.subscribes as unknown[] | undefined) ?? []).length > 0);
  const actionsOf = (app: string) =>
    (((subscribers.find((a) => a.id === app)?.manifest.services.subscribes ?? []) as Array<{ action: string }>) ?? []).map((s) => s.action);

  return (
    <>
      <p>
        <a href={href('communities')}>← Communities</a>
      </p>
      <h1>Community {id}</h1>
      <Outcome answer={answer} success={success} />
      <h2>Installations</h2>
      <form class="toolbar" onSubmit={install}>
        <label>
          App to install
          <select value={appId} onChange={(e) => setAppId(e.currentTarget.value)}>
            <option value="">Choose an app</option>
            {(apps.data?.body ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.id} — {a.manifest.displayName}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Install</button>
      </form>
      <Outcome answer={installations.data} />
      {installations.data?.ok && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <caption class="visually-hidden">Installations of {id}</caption>
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Status</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {installations.data.body.map((i) => (
                <tr key={i.app}>
                  <td class="mono wrap">
                    <a href={href('apps', i.app)}>{i.app}</a>
                  </td>
                  <td>
                    <span class={`badge ${i.status}`}>{i.status.replace('_', ' ')}</span>
                  </td>
                  <td>{time(i.updatedAt)}</td>
                  <td>
                    <div class="row">
                      {i.status === 'pending_approval' && (
                        <button
                          type="button"
                          onClick={() => act('POST', `/communities/${seg(id)}/installations/${seg(i.app)}/approve`, `${i.app} approved.`)}
                          aria-label={`Approve ${i.app}`}
                        >
                          Approve
                        </button>
                      )}
                      {i.status !== 'uninstalled' && (
                        <button
                          type="button"
                          class="danger"
                          onClick={() => act('DELETE', `/communities/${seg(id)}/installations/${seg(i.app)}`, `${i.app} uninstalled.`)}
                          aria-label={`Uninstall ${i.app}`}
                        >
                          Uninstall
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Re-enable a subscription</h2>
      <p class="muted">The hub disables a subscription when its subscriber answers 410 Gone; enable it again once the subscriber is fixed.</p>
      <form class="toolbar" onSubmit={enable}>
        <label>
          Subscriber
          <select value={subApp} onChange={(e) => (setSubApp(e.currentTarget.value), setSubAction(actionsOf(e.currentTarget.value)[0] ?? ''))}>
            <option value="">Choose an app</option>
            {subscribers.map((a) => (
              <option key={a.id} value={a.id}>
                {a.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Event action
          <select value={subAction} onChange={(e) => setSubAction(e.currentTarget.value)}>
            {actionsOf(subApp).map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={subApp === '' || subAction === ''}>
          Enable again
        </button>
      </form>
      <h2>Delete the community</h2>
      <p class="muted">A community with apps installed is kept unless forced: uninstall them first, or force and every installation goes with it.</p>
      <ConfirmButton
        label="Delete the community"
        title={`Delete the community ${id}?`}
        question="Its installations, subscriptions and pending deliveries go with it. This cannot be undone."
        confirmLabel="Delete it"
        onConfirm={() => void remove(false)}
      />
      <Outcome answer={removed} />
      {held !== undefined && (
        <div class="notice bad" role="alert" aria-label="Apps still installed">
          <p>
            <strong>{held.error}</strong>
          </p>
          <ul>
            {held.apps.map((a) => (
              <li key={a.app}>
                <a class="mono" href={href('apps', a.app)}>
                  {a.app}
                </a>{' '}
                <span class={`badge ${a.status}`}>{a.status.replace('_', ' ')}</span>
              </li>
            ))}
          </ul>
          <div class="row">
            <button type="button" class="danger-solid" onClick={() => void remove(true)}>
              Delete anyway (force)
            </button>
            <button type="button" class="secondary" onClick={() => setHeld(undefined)}>
              Keep it
            </button>
          </div>
        </div>
      )}
    </>
  );
}
