import { createHash, randomBytes } from 'node:crypto';

/** A code lives one minute: the browser redeems it right after the redirect. */
const CODE_LIFETIME_MS = 60_000;
/** Codes not yet redeemed, per replica; more than this is someone hammering the sign-in page. */
const MAX_PENDING = 1000;
/** RFC 7636 §4.1: a code_verifier is 43–128 characters of [A-Za-z0-9-._~]; its S256 challenge 43 of base64url. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Why a sign-in was refused, in OAuth 2.0 terms (RFC 6749 §5.2) with a message that says what to do. */
export class SignInRefused extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type',
    message: string,
  ) {
    super(message);
  }
}

/** What the browser asked for at `/authorize`, checked (`checkAuthorizationRequest`). */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  state: string;
  nonce: string | null;
}

/** Who signed in for which request, until the code is redeemed. */
export interface Grant extends AuthorizationRequest {
  employeeId: string;
  authTime: number;
}

/**
 * The clients the development provider knows, with the paths on the hub they may be sent back to:
 * a code goes only to the hub the browser signed in at, so no other site can collect one.
 */
export const DEV_CLIENTS: Readonly<Record<string, readonly string[]>> = { 'plantgraph-console': ['/console'] };

/**
 * Checks an authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636): the code flow only, a
 * known client, a redirect back to this hub (`host`, the browser's Host header), and an S256
 * challenge (a public client in a browser has no secret; PKCE is what binds the code to it).
 */
export function checkAuthorizationRequest(params: URLSearchParams, host: string): AuthorizationRequest {
  const get = (name: string) => params.get(name) ?? '';
  if (get('response_type') !== 'code')
    throw new SignInRefused('invalid_request', 'Send response_type=code: the authorization code flow (with PKCE).');
  const paths = DEV_CLIENTS[get('client_id')];
  if (!paths)
    throw new SignInRefused(
      'invalid_request',
      `Unknown client_id "${get('client_id')}"; the development provider knows ${Object.keys(DEV_CLIENTS).join(', ')}.`,
    );
  let redirect: URL | null = null;
  try {
    redirect = new URL(get('redirect_uri'));
  } catch {}
  if (!redirect || redirect.host !== host || !paths.includes(redirect.pathname) || redirect.search || redirect.hash)
    throw new SignInRefused(
      'invalid_request',
      `redirect_uri must be this hub's ${paths.join(' or ')} (http://${host}${paths[0]}), got "${get('redirect_uri')}".`,
    );
  if (get('code_challenge_method') !== 'S256' || !CHALLENGE.test(get('code_challenge')))
    throw new SignInRefused(
      'invalid_request',
      'Send code_challenge (base64url of the SHA-256 of your code_verifier) and code_challenge_method=S256 (PKCE).',
    );
  return {
    clientId: get('client_id'),
    redirectUri: get('redirect_uri'),
    codeChallenge: get('code_challenge'),
    state: get('state'),
    nonce: params.get('nonce'),
  };
}

/** Authorization codes handed out after a sign-in at `/authorize`, each redeemable once, for a minute. */
export class AuthorizationCodes {
  readonly #pending = new Map<string, Grant & { expires: number }>();

  issue(grant: Grant): string {
    const now = Date.now();
    for (const [code, entry] of this.#pending) if (entry.expires <= now) this.#pending.delete(code);
    if (this.#pending.size >= MAX_PENDING)
      throw new SignInRefused('invalid_request', 'Too many sign-ins waiting for their code; try again in a minute.');
    const code = randomBytes(24).toString('base64url');
    this.#pending.set(code, { ...grant, expires: now + CODE_LIFETIME_MS });
    return code;
  }

  /**
   * The grant of a code (RFC 6749 §4.1.3): once, within its minute, by the client it was issued to,
   * with the same redirect_uri, and with the code_verifier whose S256 is the request's challenge.
   */
  redeem(params: URLSearchParams): Grant {
    const code = params.get('code') ?? '';
    const entry = this.#pending.get(code);
    // Taken out before any check: a code that failed once (a guessed verifier) is spent.
    this.#pending.delete(code);
    if (!entry || entry.expires <= Date.now())
      throw new SignInRefused('invalid_grant', 'The authorization code is unknown, used or expired: sign in again.');
    if (params.get('client_id') !== entry.clientId || params.get('redirect_uri') !== entry.redirectUri)
      throw new SignInRefused('invalid_grant', 'client_id and redirect_uri must be those the code was issued for.');
    const verifier = params.get('code_verifier') ?? '';
    if (!VERIFIER.test(verifier))
      throw new SignInRefused('invalid_request', 'Send code_verifier: 43-128 characters of A-Z a-z 0-9 - . _ ~.');
    if (createHash('sha256').update(verifier).digest('base64url') !== entry.codeChallenge)
      throw new SignInRefused('invalid_grant', 'The code_verifier does not match the code_challenge: sign in again.');
    return entry;
  }
}
