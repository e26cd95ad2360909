// The plant console (issue 21): andon, OEE board, orders and the operator's station, a browser
// client of the hub's public GraphQL API only, bundled by console/build.mjs and served at /console.
import './console.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { gql, onConnection, type Session, savedSession, saveSession, whenSignedOut } from './api.js';
import { Andon } from './andon.js';
import { OeeBoard } from './oee.js';
import { finishSignIn, returnedFromSignIn, signOutAtProvider } from './oidc.js';
import { Orders } from './orders.js';
import { SignIn } from './sign-in.js';
import { handBackToOpener } from './signer.js';
import type { ViewerQuery } from './generated/operations.js';
import { Station } from './station.js';

type Grant = { role: string; scope: string };
const EXPIRED = 'Your sign-in has expired or was refused: sign in again (a wall screen keeps an API key).';
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
  const [notice, setNotice] = useState('');
  const [finishing, setFinishing] = useState(returnedFromSignIn);
  const [online, setOnline] = useState(true);
  const { screen, params } = useHash();
  const signedOut = (why: string) => {
    saveSession(null);
    setSession(null);
    setNotice(why);
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: once at load; signedIn, signedOut only set state
  useEffect(() => {
    whenSignedOut(() => signedOut(EXPIRED));
    // Back from the identity provider with a code: exchanged for the tokens, then the screen it left.
    if (finishing)
      finishSignIn()
        .then((s) => {
          signedIn(s);
          // The address got its screen back by replaceState, which tells no one: the screens read it now.
          dispatchEvent(new HashChangeEvent('hashchange'));
        })
        .catch((error: Error) => setNotice(error.message))
        .finally(() => setFinishing(false));
    return onConnection(setOnline);
  }, []);
  // A token with an expiry (OpenID Connect) signs out when it ends, rather than at the next refusal.
  // biome-ignore lint/correctness/useExhaustiveDependencies: signedOut only calls state setters
  useEffect(() => {
    if (!session?.expiresAt) return;
    const timer = setTimeout(() => signedOut(EXPIRED), Math.max(0, session.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [session]);
  useEffect(() => {
    if (!session) return;
    gql<ViewerQuery>(/* GraphQL */ `query Viewer { viewer { name grants { role scope } } }`)
      .then((d) => {
        setGrants(d.viewer.grants);
        setViewer(d.viewer.name);
      })
      .catch(() => setGrants([]));
  }, [session]);
  function signedIn(s: Session) {
    setNotice('');
    saveSession(s);
    setSession(s);
  }

  if (finishing) return <main class="sign-in">Signing in…</main>;
  if (!session) return <SignIn notice={notice} onSignedIn={signedIn} />;
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
            signedOut('Signed out.');
            void signOutAtProvider(session.idToken);
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

// A signer's sign-in window back from the provider hands the answer to the console that opened it
// and closes; it signs no one in here (that would replace the operator's session, shared by localStorage).
if (handBackToOpener())
  render(<main class="sign-in">Signed in; this window closes.</main>, document.getElementById('root')!);
else render(<App />, document.getElementById('root')!);
