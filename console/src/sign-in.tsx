import { useState } from 'preact/hooks';
import { type Session, settings, signIn } from './api.js';

/** Sign-in through the hub's identity provider: the development one (employee id and password) or a pasted token. */
export function SignIn({ onSignedIn, expired }: { onSignedIn: (session: Session) => void; expired: boolean }) {
  const [message, setMessage] = useState(
    expired ? 'Your sign-in has expired or was refused: sign in again (a wall screen keeps an API key).' : '',
  );
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const employeeId = String(form.get('username') ?? '').trim();
    const token = String(form.get('token') ?? '').trim();
    setBusy(true);
    try {
      if (token) return onSignedIn({ token, name: 'token' });
      onSignedIn({ token: await signIn(employeeId, String(form.get('password') ?? '')), name: employeeId });
    } catch (error) {
      setMessage((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>PlantGraph console</h1>
      <form onSubmit={submit} aria-describedby="sign-in-message">
        {settings.devSignIn && (
          <>
            <p>Sign in with your employee id (development sign-in; the hub printed the password at start).</p>
            <label>
              Employee id
              <input name="username" autoComplete="username" placeholder="E1001" />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" />
            </label>
          </>
        )}
        <label>
          {settings.devSignIn ? 'or a token or API key' : 'Access token or API key'}
          <input name="token" type="password" placeholder="eyJ… or pgk_…" />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <p id="sign-in-message" role="alert">
          {message}
        </p>
      </form>
    </main>
  );
}
