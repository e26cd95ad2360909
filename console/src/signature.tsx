import { useEffect, useRef, useState } from 'preact/hooks';
import { signIn } from './api.js';

export type SignatureInput = { token: string; meaning: string };

/**
 * The signature dialog: the signer (a second person for a verification) signs in again here, so the
 * signature carries a fresh sign-in of that person (the hub takes tokens from the last 5 minutes).
 */
export function SignatureDialog({
  title,
  meaning,
  onSign,
  onCancel,
}: {
  title: string;
  meaning: string;
  onSign: (signature: SignatureInput) => Promise<void>;
  onCancel: () => void;
}) {
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  // A modal dialog takes the focus, so keyboard and scanner input land in it.
  useEffect(() => first.current?.focus(), []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      const token = await signIn(String(form.get('signer') ?? '').trim(), String(form.get('signerPassword') ?? ''));
      await onSign({ token, meaning });
    } catch (error) {
      setMessage((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="dialog-backdrop">
      <div role="dialog" aria-modal="true" aria-labelledby="signature-title" class="dialog">
        <h2 id="signature-title">{title}</h2>
        <p>
          Meaning: <strong>{meaning}</strong>. The signer enters their own employee id and password.
        </p>
        <form onSubmit={submit}>
          <label>
            Signer's employee id
            <input name="signer" autoComplete="off" required ref={first} />
          </label>
          <label>
            Password
            <input name="signerPassword" type="password" autoComplete="off" required />
          </label>
          <div class="actions">
            <button type="submit" disabled={busy} class="primary">
              Sign
            </button>
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          </div>
          <p role="alert" class="refusal">
            {message}
          </p>
        </form>
      </div>
    </div>
  );
}
