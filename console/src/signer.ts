// A signer's fresh sign-in for a signature (ADR 0015: the hub takes a token of the signer signed in
// within the last 5 minutes), by the same OpenID Connect code flow as the console's own sign-in, at
// whichever provider the hub names, in a popup: the operator's page, its dialog and session stay.
import { ApiError } from './api.js';
import { authorizationRequest, type Pending, redeem } from './oidc.js';

/** The popup's window name: the console page loaded in it hands the provider's answer back (`handBackToOpener`). */
const POPUP_NAME = 'plantgraph-signer';
const MESSAGE = 'plantgraph.signer';
/** A provider that ignores `max_age=0` and answers from an older sign-in of its own session is not a fresh sign-in. */
const FRESH_SECONDS = 300;

/** Nothing was signed because the signer (or the operator) closed the sign-in window. */
export class SignerCancelled extends Error {}

/** A signer's sign-in under way: `done` is their fresh token; `close` gives up (the popup closes). */
export type SignerSignIn = { done: Promise<{ token: string; name: string }>; close: () => void };

/**
 * Opens the provider's sign-in in a popup, asking for a new login whatever session the provider
 * has (`prompt=login`, `max_age=0`), with PKCE, state and nonce of its own. Called in the click's
 * handler: the window opens before anything is awaited, so popup blockers let it through.
 */
export function signInSigner(): SignerSignIn {
  const popup = window.open('about:blank', POPUP_NAME, 'popup,width=520,height=680');
  let close = () => popup?.close();
  const done = new Promise<{ token: string; name: string }>((resolve, reject) => {
    if (!popup)
      return reject(new ApiError('The browser blocked the sign-in window: allow popups for the console.', undefined));
    let pending: Pending | null = null;
    const stop = () => {
      clearInterval(watch);
      removeEventListener('message', answered);
      popup.close();
    };
    const answered = (event: MessageEvent) => {
      if (event.origin !== location.origin || event.source !== popup || event.data?.type !== MESSAGE) return;
      stop();
      redeem(new URLSearchParams(String(event.data.search)), pending, 'Signature sign-in')
        .then(({ session, claims }) => {
          const authTime = Number(claims.auth_time);
          if (!(authTime > Date.now() / 1000 - FRESH_SECONDS))
            throw new ApiError(
              'The identity provider did not ask the signer to sign in again (no fresh auth_time): nothing was signed.',
              undefined,
            );
          resolve({ token: session.token, name: session.name });
        })
        .catch(reject);
    };
    // Closed before an answer came: by the signer, or by the operator's Cancel.
    // One more tick once closed: the answer the popup posted just before closing is still delivered first.
    let closedTicks = 0;
    const watch = setInterval(() => {
      if (popup.closed && ++closedTicks > 1) {
        stop();
        reject(new SignerCancelled('The sign-in window was closed: nothing was signed.'));
      }
    }, 250);
    close = () => {
      stop();
      reject(new SignerCancelled('Cancelled: nothing was signed.'));
    };
    addEventListener('message', answered);
    authorizationRequest({ prompt: 'login', max_age: '0' })
      .then((request) => {
        pending = request.pending;
        popup.location.assign(request.url);
      })
      .catch((error) => {
        stop();
        reject(error);
      });
  });
  return { done, close: () => close() };
}

/**
 * In the popup, back from the provider: the answer (code and state, or error) goes to the console
 * page that opened it, which alone holds the verifier, and the popup closes. True when this page
 * is such a popup, and then it must not sign anyone in itself (that would replace the operator's session).
 */
export function handBackToOpener(): boolean {
  if (window.name !== POPUP_NAME || !window.opener || !/[?&](code|error)=/.test(location.search)) return false;
  // Only to a page of this same origin: the code is useless without the verifier, but still kept close.
  (window.opener as Window).postMessage({ type: MESSAGE, search: location.search }, location.origin);
  history.replaceState(null, '', location.pathname);
  window.close();
  return true;
}
