/**
 * The viewer's shell: sign-in (demo directory), the header with the language switch, the menu of
 * views and the hash route (#/payables…). Each view gets its data through `<Sources>`, which shows
 * every provider's answer with its source, a provider picker when there are several, and a polite
 * message with the request id when one fails.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getDirectory, getSession, signIn, signOut, type Directory, type SessionInfo } from './api.js';
import { i18n, type I18n, type Locale } from './i18n.js';
import { VIEWS, type RouteName } from './views.js';
import './style.css';

const MENU: RouteName[] = [
  'home',
  'posts',
  'events',
  'calendar',
  'grades',
  'attendance',
  'records',
  'timetables',
  'payables',
  'tabs',
  'documents',
  'medical',
  'entrance',
];

const routeOf = (hash: string): RouteName => {
  const name = hash.replace(/^#\/?/, '') as RouteName;
  return MENU.includes(name) ? name : 'home';
};

function SignIn({ ui, onDone }: { ui: I18n; onDone: () => void }) {
  const [directory, setDirectory] = useState<Directory>();
  const [community, setCommunity] = useState<string>();
  useEffect(() => {
    void getDirectory().then((d) => {
      setDirectory(d);
      setCommunity(d.communities[0]?.id);
    });
  }, []);
  const people = directory?.communities.find((c) => c.id === community)?.people ?? [];
  return (
    <main class="signin">
      <h1>{ui.t('signInTitle')}</h1>
      <p>{ui.t('signInIntro')}</p>
      {directory === undefined ? (
        <p aria-busy="true">{ui.t('loading')}</p>
      ) : (
        <>
          <label>
            {ui.t('community')}
            <select value={community} onChange={(e) => setCommunity((e.target as HTMLSelectElement).value)}>
              {directory.communities.map((c) => (
                <option value={c.id} key={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <h2>{ui.t('signInAs')}</h2>
          <ul class="people">
            {people.map((p) => (
              <li key={p.id}>
                <button type="button" onClick={() => void signIn(community!, p.id).then(onDone)}>
                  <strong>{p.name}</strong> <span class="muted">{p.role}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </main>
  );
}

function App() {
  const [state, setState] = useState<{ session?: SessionInfo; serverLocale: Locale; ready: boolean }>({ serverLocale: 'pt-BR', ready: false });
  const [chosen, setChosen] = useState<Locale | null>(() => (localStorage.getItem('viewer.locale') as Locale | null) ?? null);
  const [route, setRoute] = useState<RouteName>(routeOf(location.hash));
  const locale = chosen ?? state.serverLocale;
  const ui = i18n(locale);
  const load = () => void getSession().then(({ session, locale: serverLocale }) => setState({ session, serverLocale, ready: true }));
  useEffect(load, []);
  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = `${ui.t(route)} · ${ui.t('appName')}`;
  }, [locale, route]);
  const switchTo = (next: Locale) => {
    localStorage.setItem('viewer.locale', next);
    setChosen(next);
  };
  const View = VIEWS[route];
  return (
    <>
      <header class="top">
        <a class="brand" href="#/home">
          {ui.t('appName')}
        </a>
        {state.session && (
          <span class="who">
            {state.session.person.name} · {state.session.community.name}
          </span>
        )}
        <div class="lang" role="group" aria-label={ui.t('language')}>
          <button type="button" aria-pressed={locale === 'pt-BR'} onClick={() => switchTo('pt-BR')}>
            Português
          </button>
          <button type="button" aria-pressed={locale === 'en'} onClick={() => switchTo('en')}>
            English
          </button>
        </div>
        {state.session && (
          <button type="button" class="signout" onClick={() => void signOut().then(load)}>
            {ui.t('signOut')}
          </button>
        )}
      </header>
      {!state.ready ? (
        <p aria-busy="true">{ui.t('loading')}</p>
      ) : !state.session ? (
        <SignIn ui={ui} onDone={load} />
      ) : (
        <div class="layout">
          <nav aria-label="menu">
            <ul>
              {MENU.map((name) => (
                <li key={name}>
                  <a href={`#/${name}`} aria-current={route === name ? 'page' : undefined}>
                    {ui.t(name)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <main>
            <h1>{ui.t(route)}</h1>
            <View ui={ui} key={route} />
          </main>
        </div>
      )}
    </>
  );
}

render(<App />, document.getElementById('app')!);
