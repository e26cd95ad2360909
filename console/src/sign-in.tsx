import { useState } from 'preact/hooks';
import type { Session } from './api.js';
import { beginSignIn, provider } from './oidc.js';

/**
 * Sign-in through the hub's identity provider (OpenID Connect, the development provider on `npm
 * start`), or a pasted token or API key (a wall screen keeps an API key).
 */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (session: Session) => void; notice: string }) {
  const [message, setMessage] = useState(notice);
  const [busy, setBusy] = useState(false);
  const at = provider();
  const redirect = async () => {
    setBusy(true);
    try {
      await beginSignIn(); // the browser leaves for the provider's sign-in page
    } catch (error) {
      setMessage((error as Error).message);
      setBusy(false);
    }
  };
  const submitToken = (event: Event) => {
    event.preventDefault();
    const token = String(new FormData(event.currentTarget as HTMLFormElement).get('token') ?? '').trim();
    if (token) onSignedIn({ token, name: 'token' });
    else setMessage('Paste an access token or API key first.');
  };
  return (
    <main class="sign-in">
      <h1>PlantGraph console</h1>
      {'error' in at ? (
        <p class="refusal" data-testid="sign-in-unavailable">
          {at.error}
        </p>
      ) : (
        <p>
          <button type="button" class="primary" onClick={redirect} disabled={busy}>
            Sign in with your plant account
          </button>
        </p>
      )}
      <form onSubmit={submitToken} aria-describedby="sign-in-message">
        <label>
          {'error' in at ? 'Access token or API key' : 'or a token or API key'}
          <input name="token" type="password" placeholder="eyJ… or pgk_…" />
        </label>
        <button type="submit">Use token</button>
      </form>
      <p id="sign-in-message" role="alert">
        {message}
      </p>
    </main>
  );
}
