import { useEffect, useRef, useState } from 'preact/hooks';
import { provider } from './oidc.js';
import { type SignerSignIn, signInSigner } from './signer.js';

export type SignatureInput = { token: string; meaning: string };

/**
 * The signature dialog: the signer (a second person for a verification) signs in afresh at the
 * plant's identity provider, in a window of its own (OpenID Connect with a forced new login), and
 * that sign-in's token is the signature (the hub takes tokens signed in within the last 5 minutes).
 * The operator's own session at the console is left as it is.
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
  const [note, setNote] = useState('');
  const [waiting, setWaiting] = useState<SignerSignIn | null>(null);
  const first = useRef<HTMLButtonElement>(null);
  const at = provider();
  // A modal dialog takes the focus, so the keyboard lands in it; a sign-in window left open closes with it.
  useEffect(() => first.current?.focus(), []);
  useEffect(() => () => waiting?.close(), [waiting]);
  const sign = async () => {
    setMessage('');
    setNote('Waiting for the signer to sign in in the sign-in window…');
    const signIn = signInSigner(); // before any await: the window opens in the click
    setWaiting(signIn);
    try {
      const signer = await signIn.done;
      setNote(`Signing as ${signer.name}…`);
      await onSign({ token: signer.token, meaning });
    } catch (error) {
      setNote('');
      setMessage((error as Error).message);
    } finally {
      setWaiting(null);
    }
  };
  return (
    <div class="dialog-backdrop">
      <div role="dialog" aria-modal="true" aria-labelledby="signature-title" class="dialog">
        <h2 id="signature-title">{title}</h2>
        <p>
          Meaning: <strong>{meaning}</strong>. The signer signs in with their own plant account in the window that
          opens; the console stays signed in as you.
        </p>
        {'error' in at ? <p class="refusal">{at.error}</p> : <p role="status">{note}</p>}
        <div class="actions">
          <button type="button" disabled={Boolean(waiting) || 'error' in at} class="primary" ref={first} onClick={sign}>
            Sign in as the signer
          </button>
          <button
            type="button"
            onClick={() => {
              waiting?.close();
              onCancel();
            }}
          >
            Cancel
          </button>
        </div>
        <p role="alert" class="refusal">
          {message}
        </p>
      </div>
    </div>
  );
}
