// The plant console (issue 21): andon, OEE board, orders and the operator's station, a browser
// client of the hub's public GraphQL API only, bundled by console/build.mjs and served at /console.
import './console.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { gql, onConnection, type Session, savedSession, saveSession, whenSignedOut } from './api.js';
import { Andon } from './andon.js';
import { OeeBoard } from './oee.js';
import { Orders } from './orders.js';
import { SignIn } from './sign-in.js';
import { Station } from './station.js';

type Grant = { role: string; scope: string };
const SCREENS = [
  ['andon', 'Andon'],
  ['oee', 'OEE'],
  ['orders', 'Orders'],
  ['station', 'Station'],
] as const;
type Screen = (typeof SCREENS)[number][0];

/** `#/andon?scope=acme/berlin`: the screen and its scope in the address, so a wall screen can be bookmarked. */
function readHash(): { screen: Screen; params: URLSearchParams } {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const screen = SCREENS.some(([s]) => s === path) ? (path as Screen) : 'andon';
  return { screen, params: new URLSearchParams(query) };
}

function useHash() {
  const [hash, setHash] = useState(readHash);
  useEffect(() => {
    const changed = () => setHash(readHash());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

export function go(screen: Screen, params: Record<string, string>): void {
  location.hash = `#/${screen}?${new URLSearchParams(params)}`;
}

function App() {
  const [session, setSession] = useState<Session | null>(savedSession);
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [viewer, setViewer] = useState('');
  const [expired, setExpired] = useState(false);
  const [online, setOnline] = useState(true);
  const { screen, params } = useHash();

  useEffect(() => {
    whenSignedOut(() => {
      saveSession(null);
      setSession(null);
      setExpired(true);
    });
    return onConnection(setOnline);
  }, []);
  useEffect(() => {
    if (!session) return;
    gql<{ viewer: { name: string; grants: Grant[] } }>('{ viewer { name grants { role scope } } }')
      .then((d) => {
        setGrants(d.viewer.grants);
        setViewer(d.viewer.name);
      })
      .catch(() => setGrants([]));
  }, [session]);

  if (!session)
    return (
      <SignIn
        expired={expired}
        onSignedIn={(s) => {
          setExpired(false);
          saveSession(s);
          setSession(s);
        }}
      />
    );
  // What a user sees follows their scopes: the first grant's scope unless the address names another.
  const scopes = [...new Set((grants ?? []).map((g) => g.scope).filter((s) => s !== '*'))];
  const scope = params.get('scope') ?? scopes[0] ?? 'acme';
  const set = (next: Record<string, string>) => go(screen, { ...Object.fromEntries(params), ...next });
  return (
    <div class="app">
      <header class="bar">
        <strong class="brand">PlantGraph</strong>
        <nav aria-label="Screens">
          {SCREENS.map(([id, label]) => (
            <a
              key={id}
              href={`#/${id}?scope=${encodeURIComponent(scope)}`}
              aria-current={id === screen ? 'page' : undefined}
            >
              {label}
            </a>
          ))}
        </nav>
        <label class="scope">
          Scope{' '}
          <input
            name="scope"
            value={scope}
            size={30}
            list="scopes"
            onChange={(e) => set({ scope: e.currentTarget.value.trim() })}
          />
          <datalist id="scopes">
            {scopes.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        </label>
        <span class={online ? 'link up' : 'link down'} role="status" data-testid="connection">
          {online ? 'Live' : 'Reconnecting…'}
        </span>
        <span class="who">{viewer.replace(/^user:/, '') || session.name}</span>
        <button
          type="button"
          onClick={() => {
            saveSession(null);
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        {screen === 'andon' && <Andon scope={scope} />}
        {screen === 'oee' && <OeeBoard scope={scope} window={params.get('window') ?? 'shift'} set={set} />}
        {screen === 'orders' && <Orders scope={scope} number={params.get('order')} set={set} />}
        {screen === 'station' && <Station scope={scope} number={params.get('order')} set={set} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('root')!);
