/**
 * The operator console (/console/): sign in with the admin token, then every page works through
 * the admin API and nothing else. The token lives in sessionStorage (this tab only); signing out,
 * or a 401, removes it. Everything the hub returns is rendered as text by Preact.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import '../shared/style.css';
import { href, useHashRoute } from '../shared/hash-route';
import { ActionsPage } from './actions';
import { admin, token, whenUnauthorized } from './api';
import { AppPage, AppsPage } from './apps';
import { CallsPage } from './calls';
import { ChangesPage } from './changes';
import { CommunitiesPage, CommunityPage } from './communities';
import { DeliveriesPage } from './deliveries';
import { KeysPage, type AdminKey } from './keys';
import { OverviewPage } from './overview';

const PAGES = [
  ['overview', 'Overview'],
  ['apps', 'Apps'],
  ['communities', 'Communities'],
  ['actions', 'Actions'],
  ['calls', 'Calls'],
  ['deliveries', 'Deliveries'],
  ['keys', 'Keys'],
  ['changes', 'Changes'],
] as const;

/** Who the console is signed in as: an admin key's name and scope (its id is in the key itself,
 * `hub_admin_<id>_<secret>`), or the bootstrap HUB_ADMIN_TOKEN, which has the admin scope. */
function Identity() {
  const [who, setWho] = useState<string>();
  useEffect(() => {
    const id = /^hub_admin_([0-9a-f]{16})_/.exec(token.get() ?? '')?.[1];
    if (id === undefined) return setWho('HUB_ADMIN_TOKEN · admin');
    void admin<AdminKey[]>('GET', '/keys').then((answer) => {
      const key = answer.ok ? answer.body.find((k) => k.id === id) : undefined;
      setWho(key === undefined ? `key ${id}` : `${key.name} · ${key.scope}`);
    });
  }, []);
  return who === undefined ? null : (
    <span class="who" data-testid="signed-in-as">
      {who}
    </span>
  );
}

function SignIn({ onSignedIn, reason }: { onSignedIn: () => void; reason: string | undefined }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(reason);
  const submit = async (e: Event) => {
    e.preventDefault();
    const answer = await admin('GET', '/communities', undefined, value);
    if (!answer.ok) return setError(answer.error);
    token.set(value);
    setValue('');
    onSignedIn();
  };
  return (
    <main id="main" class="stack" tabIndex={-1}>
      <form class="stack panel" onSubmit={submit} aria-label="Sign in">
        <h1>Sign in to the console</h1>
        <p class="muted">The admin token (HUB_ADMIN_TOKEN) or an admin key: it stays in this tab only and is gone when it closes.</p>
        <label for="admin-token">Admin token</label>
        <input id="admin-token" type="password" autoComplete="current-password" value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
        {error !== undefined && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div>
          <button type="submit">Sign in</button>
        </div>
      </form>
    </main>
  );
}

function App() {
  const route = useHashRoute();
  const [signedIn, setSignedIn] = useState(() => token.get() !== null);
  const [reason, setReason] = useState<string>();
  useEffect(
    () =>
      whenUnauthorized(() => {
        token.clear();
        setReason('The hub refused the admin token: sign in again.');
        setSignedIn(false);
      }),
    [],
  );
  const current = route[0] ?? 'overview';
  useEffect(() => {
    document.title = `${PAGES.find(([id]) => id === current)?.[1] ?? 'Console'} · API Hub console`;
  }, [current]);
  const signOut = () => {
    token.clear();
    setReason(undefined);
    setSignedIn(false);
  };

  let page;
  if (current === 'apps' && route[1] !== undefined) page = <AppPage id={route[1]} />;
  else if (current === 'apps') page = <AppsPage />;
  else if (current === 'communities' && route[1] !== undefined) page = <CommunityPage id={route[1]} />;
  else if (current === 'communities') page = <CommunitiesPage />;
  else if (current === 'actions') page = <ActionsPage />;
  else if (current === 'calls') page = <CallsPage />;
  else if (current === 'deliveries') page = <DeliveriesPage />;
  else if (current === 'keys') page = <KeysPage />;
  // Keyed by the route, so `#/changes/key/<id>` opens afresh with its filter.
  else if (current === 'changes') page = <ChangesPage key={route.join('/')} route={route} />;
  else page = <OverviewPage />;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">API Hub console</span>
        {signedIn && (
          <nav aria-label="Console">
            {PAGES.map(([id, label]) => (
              <a key={id} href={href(id)} aria-current={current === id ? 'page' : undefined}>
                {label}
              </a>
            ))}
          </nav>
        )}
        <span class="spacer" />
        <a href="/reference/">Reference</a>
        {signedIn && <Identity />}
        {signedIn && (
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      {signedIn ? (
        <main id="main" tabIndex={-1}>
          {page}
        </main>
      ) : (
        <SignIn onSignedIn={() => (setReason(undefined), setSignedIn(true))} reason={reason} />
      )}
    </>
  );
}

render(<App />, document.getElementById('app')!);
