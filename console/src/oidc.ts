// Sign-in by OpenID Connect: the authorization code flow with PKCE (RFC 7636, S256), as a public
// client in the browser, at the identity provider the hub names (the development one on `npm start`).
import { ApiError, type Session, settings } from './api.js';

type Discovery = { authorization_endpoint: string; token_endpoint: string; end_session_endpoint?: string };
/** What the page keeps while the browser is at the provider: one tab's sign-in, so sessionStorage. */
type SignInPending = Pending & { hash: string };
const PENDING_KEY = 'plantgraph.console.signIn';

/** The provider, or why the console cannot sign in by itself here (the hub's words, naming the setting). */
export function provider(): { issuer: string; clientId: string; scopes: string } | { error: string } {
  const signIn = settings.signIn;
  if (!signIn) return { error: 'This hub has no identity provider to sign people in: paste an API key or a token.' };
  if ('error' in signIn) return signIn;
  // A path (`/dev-idp`) is the development provider on the hub, by whichever name the browser reached it.
  return { ...signIn, issuer: new URL(signIn.issuer, location.origin).toString().replace(/\/$/, '') };
}

/** Where the provider sends the browser back: the console, for the operator's sign-in and a signer's alike. */
const redirectUri = () => `${location.origin}/console`;

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`).catch(() => null);
  if (!response?.ok)
    throw new ApiError(`The identity provider ${issuer} did not answer its discovery document; try again.`, undefined);
  return (await response.json()) as Discovery;
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const random = (bytes: number) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** A checked-later request to the provider: what must come back (state), be proven (verifier) and be named (nonce). */
export type Pending = { state: string; nonce: string; verifier: string };

/**
 * The provider's authorization URL for a fresh request (PKCE S256, state, nonce), and what to keep
 * for its answer. `extra`: more parameters, as `prompt` and `max_age` for a signer's fresh login.
 */
export async function authorizationRequest(
  extra: Record<string, string> = {},
): Promise<{ url: string; pending: Pending }> {
  const at = provider();
  if ('error' in at) throw new ApiError(at.error, undefined);
  const pending: Pending = { state: random(16), nonce: random(16), verifier: random(48) };
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier))),
  );
  const { authorization_endpoint } = await discover(at.issuer);
  const url = new URL(authorization_endpoint);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: at.clientId,
    redirect_uri: redirectUri(),
    scope: at.scopes,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  }))
    url.searchParams.set(name, value);
  return { url: url.toString(), pending };
}

/** Sends the browser to the provider's sign-in, with a fresh verifier, state and nonce kept for the way back. */
export async function beginSignIn(): Promise<void> {
  const { url, pending } = await authorizationRequest();
  const kept: SignInPending = { ...pending, hash: location.hash };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(kept));
  location.assign(url);
}

/** Whether the page was opened by the provider's redirect (a code or an error in the query). */
export const returnedFromSignIn = () => /[?&](code|error)=/.test(location.search);

/** Back from the provider's redirect: the code exchanged for the operator's own session. */
export async function finishSignIn(): Promise<Session> {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as SignInPending | null;
  sessionStorage.removeItem(PENDING_KEY);
  // The code leaves the address bar (and the history) at once; the screen the person was on comes back.
  history.replaceState(null, '', `${location.pathname}${pending?.hash ?? location.hash}`);
  return (await redeem(params, pending, 'Sign-in')).session;
}

/**
 * The provider's answer (the redirect's query) checked against the request (state) and its code
 * exchanged, with the verifier, for the tokens. The id token came straight from the token endpoint,
 * so its nonce is checked and its signature left to TLS (OpenID Connect Core §3.1.3.7); the hub
 * verifies the access token as always. `what` names the act in the refusals ("Sign-in").
 */
export async function redeem(
  params: URLSearchParams,
  pending: Pending | null,
  what: string,
): Promise<{ session: Session; claims: Record<string, unknown> }> {
  if (params.has('error'))
    throw new ApiError(`${what} refused: ${params.get('error_description') ?? params.get('error')}`, undefined);
  if (!pending || pending.state !== params.get('state'))
    throw new ApiError(`This sign-in answer is not for this page (its state does not match): try again.`, undefined);
  const at = provider();
  if ('error' in at) throw new ApiError(at.error, undefined);
  const { token_endpoint } = await discover(at.issuer);
  const response = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: redirectUri(),
      client_id: at.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    id_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!body.access_token)
    throw new ApiError(
      `${what} refused: ${body.error_description ?? body.error ?? `status ${response.status}`}`,
      undefined,
    );
  const claims = body.id_token ? idTokenClaims(body.id_token) : {};
  if (body.id_token && claims.nonce !== pending.nonce)
    throw new ApiError('The identity provider answered for another sign-in (nonce): try again.', undefined);
  const session: Session = {
    token: body.access_token,
    name: String(claims.name ?? claims.sub ?? ''),
    idToken: body.id_token,
    expiresAt: body.expires_in ? Date.now() + body.expires_in * 1000 : undefined,
  };
  return { session, claims };
}

function idTokenClaims(token: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

/**
 * Ends the provider's session too when it has an end-session endpoint (OpenID Connect RP-Initiated
 * Logout), coming back to the console; otherwise (the development provider keeps no session) nothing.
 */
export async function signOutAtProvider(idToken: string | undefined): Promise<void> {
  const at = provider();
  if ('error' in at || !idToken) return;
  const { end_session_endpoint } = await discover(at.issuer).catch(() => ({}) as Partial<Discovery>);
  if (!end_session_endpoint) return;
  const url = new URL(end_session_endpoint);
  url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('client_id', at.clientId);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  location.assign(url.toString());
}
