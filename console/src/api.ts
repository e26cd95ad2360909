// The console's only way to the hub: its public GraphQL API, queries and mutations by POST and
// subscriptions over graphql-ws on the same URL, with the signed-in person's token (ADR 0044).
import { type Client, createClient } from 'graphql-ws';

/**
 * What the hub tells the page (a JSON script element): where people sign in (OpenID Connect, or why
 * not); signers sign there too (signer.ts).
 */
export type PageSettings = {
  signIn: { issuer: string; clientId: string; scopes: string } | { error: string } | null;
};
export const settings = JSON.parse(
  document.getElementById('plantgraph-console')?.textContent ?? '{"signIn":null}',
) as PageSettings;

const TOKEN_KEY = 'plantgraph.console.token';
const SESSION_KEY = 'plantgraph.console.session';
const httpUrl = `${location.origin}/graphql`;

/** A sign-in: the access token sent to the hub, and from OpenID Connect the id token and the expiry. */
export type Session = { token: string; name: string; idToken?: string; expiresAt?: number };

export function savedSession(): Session | null {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const rest = JSON.parse(localStorage.getItem(SESSION_KEY) ?? '{}') as Partial<Session>;
  return { ...rest, name: rest.name ?? '', token };
}

export function saveSession(session: Session | null): void {
  if (session) {
    const { token, ...rest } = session;
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(SESSION_KEY, JSON.stringify(rest));
  } else {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(SESSION_KEY);
  }
  void socket?.dispose();
  socket = null;
}

/** A GraphQL error the hub answered with (a fault, not an expected failure: those are result unions). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const token = localStorage.getItem(TOKEN_KEY);
  const response = await fetch(httpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: T;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const error = body.errors?.[0];
  if (error || !body.data) {
    if (error?.extensions?.code === 'UNAUTHENTICATED') onSignedOut?.();
    throw new ApiError(error?.message ?? `The hub answered ${response.status}.`, error?.extensions?.code);
  }
  return body.data;
}

/** Called when the hub no longer takes the token (expired, revoked): the console asks to sign in again. */
let onSignedOut: (() => void) | undefined;
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

let socket: Client | null = null;
/** Everyone who wants to know the socket is (re)connected: after a hub restart they read afresh. */
const reconnectListeners = new Set<() => void>();
const connectionListeners = new Set<(up: boolean) => void>();

/** One socket for all of the page's subscriptions, retried forever with a growing pause (at most 10 s). */
function connection(): Client {
  if (socket) return socket;
  let connectedBefore = false;
  socket = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    // Retried forever, unless the hub refused the token: expired (4401; a development sign-in lasts
    // 10 minutes) or revoked or not allowed (4403). Then the console asks to sign in again.
    shouldRetry: (event) => {
      if (!refusedToken(event)) return true;
      onSignedOut?.();
      return false;
    },
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** Math.min(retries, 5))));
    },
    connectionParams: () => {
      const token = localStorage.getItem(TOKEN_KEY);
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      connected: () => {
        for (const listener of connectionListeners) listener(true);
        if (connectedBefore) for (const listener of reconnectListeners) listener();
        connectedBefore = true;
      },
      closed: () => {
        for (const listener of connectionListeners) listener(false);
      },
    },
  });
  return socket;
}

/** Whether the socket was closed because the hub refused the token (expired 4401, revoked or not allowed 4403). */
function refusedToken(event: unknown): boolean {
  const code = (event as { code?: number } | null)?.code;
  return code === 4401 || code === 4403;
}

/** Subscribes until the returned function is called; `next` gets each event's data. */
export function subscribe<T>(query: string, variables: Record<string, unknown>, next: (data: T) => void): () => void {
  return connection().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.data) next(result.data as T);
      },
      // The socket retries (see shouldRetry) and listeners read again on reconnect; a refusal graphql-ws
      // takes as fatal by itself, without asking shouldRetry, ends here.
      error: (error) => {
        if (refusedToken(error)) onSignedOut?.();
      },
      complete: () => {},
    },
  );
}

/** Runs `refetch` each time the socket comes back after a break (a hub restart, a network blip). */
export function onReconnect(refetch: () => void): () => void {
  reconnectListeners.add(refetch);
  return () => reconnectListeners.delete(refetch);
}

export function onConnection(listener: (up: boolean) => void): () => void {
  connectionListeners.add(listener);
  return () => connectionListeners.delete(listener);
}

/** An expected failure of a mutation (the `ErrorResult` members of the result unions). */
export type Failure = { __typename: string; code?: string; message?: string; field?: string };

/**
 * The refusal in plain words, or null when the result is the record asked for. An InvalidInput's
 * message starts with the input path (`verification.token: …`), which says nothing to an operator.
 */
export function refusal(result: Failure): string | null {
  if (!result.message) return null;
  const prefix = result.field ? `${result.field}: ` : '';
  return prefix && result.message.startsWith(prefix) ? result.message.slice(prefix.length) : result.message;
}
