// The hub's GraphQL IDE (GraphiQL 4), bundled at build time by hub/ide/build.mjs and served by the
// hub at GET /graphql for browsers (ADR 0025): nothing loads from a CDN, so it works on a plant
// network without internet. Queries and mutations go over HTTP POST (which passes the CSRF check),
// subscriptions over graphql-ws on the same URL, both with the token the user pasted or signed in for.
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import './page.css';
import { type DocumentNode, getOperationAST, Kind, parse } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { type FormEvent, useState } from 'react';
import { createRoot } from 'react-dom/client';

/** The README's examples, put in by the build (hub/ide/readme-operations.mjs). */
declare const PLANTGRAPH_OPERATIONS: { title: string; query: string }[];

type FetcherParams = { query: string; operationName?: string | null; variables?: unknown };
type FetcherOptions = { headers?: Record<string, unknown> };
/** What the hub tells the page (a JSON script element): where the development sign-in is, if on. */
type PageSettings = { devSignIn: { tokenEndpoint: string } | null };

const TOKEN_KEY = 'plantgraph.ide.token';
const settings = JSON.parse(document.getElementById('plantgraph-ide')?.textContent ?? '{}') as PageSettings;
const httpUrl = `${location.origin}/graphql`;
const wsUrl = httpUrl.replace(/^http/, 'ws');

let token = localStorage.getItem(TOKEN_KEY) ?? '';
let socket: Client | null = null;

/** The socket authenticates once, in connection_init: a new token needs a new socket. */
function subscriptions(): Client {
  socket ??= createClient({
    url: wsUrl,
    lazy: true,
    connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
  });
  return socket;
}

function setToken(next: string): void {
  token = next.trim();
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  void socket?.dispose();
  socket = null;
}

/** A header the user typed in the headers editor wins over the pasted token. */
function headersFor(extra: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  for (const [name, value] of Object.entries(extra ?? {})) headers[name.toLowerCase()] = String(value);
  return headers;
}

/**
 * The operation to run and whether it is a subscription. GraphiQL 4 can keep the operation name of
 * the tab shown before (switching tabs does not always update it): a name the document does not
 * have is replaced by its only operation's.
 */
function resolve(params: FetcherParams): FetcherParams & { subscription: boolean } {
  let document: DocumentNode;
  try {
    document = parse(params.query);
  } catch {
    return { ...params, subscription: false }; // the hub answers with the syntax error
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  let operationName = params.operationName ?? null;
  if (operationName && !operations.some((o) => o.name?.value === operationName) && operations.length === 1)
    operationName = operations[0]!.name?.value ?? null;
  const operation = getOperationAST(document, operationName ?? undefined);
  return { ...params, operationName, subscription: operation?.operation === 'subscription' };
}

async function run(given: FetcherParams, options?: FetcherOptions) {
  const { subscription, ...params } = resolve(given);
  if (subscription) {
    const { query, operationName, variables } = params;
    return subscriptions().iterate({
      query,
      operationName: operationName ?? undefined,
      variables: (variables ?? undefined) as Record<string, unknown> | undefined,
    });
  }
  const response = await fetch(httpUrl, {
    method: 'POST',
    headers: headersFor(options?.headers),
    body: JSON.stringify(params),
  });
  return response.json();
}

/** `onChange` runs after a new token is in use (the IDE then loads the schema again with it). */
function TokenBar({ onChange }: { onChange: () => void }) {
  const [current, setCurrent] = useState(token);
  const [signingIn, setSigningIn] = useState(false);
  const [message, setMessage] = useState('');
  const apply = (next: string) => {
    setToken(next);
    setCurrent(token);
    onChange();
    setMessage(token ? 'Token set; run an operation.' : 'Token cleared.');
  };
  const signIn = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const response = await fetch(settings.devSignIn!.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'password',
        username: form.get('username'),
        password: form.get('password'),
      }),
    });
    const body = (await response.json()) as { access_token?: string; error_description?: string };
    if (!body.access_token) return setMessage(`Sign-in refused: ${body.error_description ?? response.status}`);
    apply(body.access_token);
    setSigningIn(false);
    setMessage(`Signed in as ${String(form.get('username'))}.`);
  };
  return (
    <div className="pg-bar">
      <strong>PlantGraph</strong>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          apply(String(new FormData(e.currentTarget).get('token') ?? ''));
        }}
      >
        <label>
          Token{' '}
          <input
            name="token"
            type="password"
            defaultValue={current}
            key={current}
            placeholder="pgk_… (the hub prints it) or an access token"
            size={40}
          />
        </label>
        <button type="submit">Use</button>
      </form>
      {settings.devSignIn && !signingIn && (
        <button type="button" onClick={() => setSigningIn(true)}>
          Sign in (development)
        </button>
      )}
      {settings.devSignIn && signingIn && (
        <form onSubmit={signIn}>
          <input name="username" placeholder="employee id, e.g. E1001" autoComplete="username" />
          <input name="password" type="password" placeholder="password the hub printed" />
          <button type="submit">Sign in</button>
        </form>
      )}
      <span role="status">{message || (current ? '' : 'No token: paste one to run operations.')}</span>
    </div>
  );
}

/** A new fetcher each time: GraphiQL loads the schema again when its fetcher changes. */
const newFetcher = () => (params: FetcherParams, options?: FetcherOptions) => run(params, options);

function App() {
  // With a new token the schema is loaded again (without a token it could not be).
  const [fetcher, setFetcher] = useState(newFetcher);
  return (
    <div className="pg-page">
      <TokenBar onChange={() => setFetcher(newFetcher)} />
      <div className="pg-ide">
        <GraphiQL
          fetcher={fetcher}
          defaultTabs={PLANTGRAPH_OPERATIONS.map(({ query }) => ({ query }))}
          defaultEditorToolsVisibility={false}
        />
      </div>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
