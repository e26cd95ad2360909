import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress } from '../graphql/http-server.js';
import { readBody } from '../graphql/http.js';
import { type AuthorizationRequest, checkAuthorizationRequest } from './dev-authorization-codes.js';
import { DEV_IDP_PATH, type DevIdentityProvider, SignInRefused } from './dev-identity-provider.js';
import { TokenBuckets } from './token-buckets.js';

const MAX_BODY_BYTES = 16_384;
/** Wrong passwords one address may send a minute: a shared development password is still a password. */
const FAILURES_PER_MINUTE = 10;

/**
 * The development identity provider's HTTP endpoints under `/dev-idp`: the discovery document, the
 * JWKS, the authorization endpoint (a sign-in page; the code flow with PKCE, as the console signs
 * in with any provider), the token endpoint (authorization_code and password grants, form-encoded
 * as OAuth 2.0 has it, or JSON) and a tiny sign-in form for people trying the API from a browser.
 */
export class DevIdentityProviderEndpoints {
  readonly #failures = new TokenBuckets(FAILURES_PER_MINUTE / 60, FAILURES_PER_MINUTE);

  constructor(
    private readonly idp: DevIdentityProvider,
    private readonly trustedProxies: readonly string[] = [],
  ) {}

  /** Whether the request is for these endpoints (then it is answered). */
  handles(path: string): boolean {
    return path === DEV_IDP_PATH || path.startsWith(`${DEV_IDP_PATH}/`);
  }

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!.slice(DEV_IDP_PATH.length) || '/';
    if (!this.idp.issuer) return json(res, 503, { error: 'temporarily_unavailable', error_description: 'starting' });
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/.well-known/openid-configuration')
      return json(res, 200, this.idp.discovery(browserOrigin(req, this.idp.issuer)));
    if (method === 'GET' && path === '/jwks') return json(res, 200, this.idp.jwks());
    if (method === 'POST' && path === '/token') return this.#token(req, res, false);
    if (path === '/authorize' && (method === 'GET' || method === 'POST')) return this.#authorize(req, res);
    if (method === 'GET' && (path === '/' || path === '/login')) return html(res, 200, loginPage());
    if (method === 'POST' && path === '/login') return this.#token(req, res, true);
    json(res, 404, {
      error: 'not_found',
      error_description: `Nothing at ${DEV_IDP_PATH}${path}. Discovery: ${DEV_IDP_PATH}/.well-known/openid-configuration.`,
    });
  }

  /**
   * `/authorize`: GET shows the sign-in page for a checked request, POST signs in and sends the
   * browser back with a code. A bad request is shown here, never redirected: its redirect_uri is
   * not to be trusted.
   */
  async #authorize(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const params = req.method === 'POST' ? await readParams(req) : query;
    let request: AuthorizationRequest;
    try {
      if (!params) throw new SignInRefused('invalid_request', 'Send a form-encoded body of at most 16 KB.');
      request = checkAuthorizationRequest(params, req.headers.host ?? '');
    } catch (err) {
      if (!(err instanceof SignInRefused)) throw err;
      return html(res, 400, page(`<p role="alert">This sign-in request is refused: ${escapeHtml(err.message)}</p>`));
    }
    if (req.method === 'GET') return html(res, 200, authorizePage(params!));
    const address = clientAddress(req, this.trustedProxies);
    const wait = this.#failures.waitFor(address);
    if (wait > 0) {
      res.setHeader('retry-after', String(wait));
      return html(res, 429, authorizePage(params!, `Too many failed sign-ins from your address; retry in ${wait} s.`));
    }
    try {
      const back = await this.idp.authorize(request, params!.get('username') ?? '', params!.get('password') ?? '');
      res.writeHead(303, { location: back, 'cache-control': 'no-store' });
      res.end();
    } catch (err) {
      if (!(err instanceof SignInRefused)) throw err;
      if (err.error === 'invalid_grant') this.#failures.charge(address);
      html(res, 400, authorizePage(params!, err.message));
    }
  }

  async #token(req: IncomingMessage, res: ServerResponse, page: boolean): Promise<void> {
    const address = clientAddress(req, this.trustedProxies);
    const wait = this.#failures.waitFor(address);
    if (wait > 0) {
      res.setHeader('retry-after', String(wait));
      const message = `Too many failed sign-ins from your address; retry in ${wait} s.`;
      return page
        ? html(res, 429, loginPage(message))
        : json(res, 429, { error: 'slow_down', error_description: message });
    }
    const params = await readParams(req);
    try {
      if (!params) throw new SignInRefused('invalid_request', 'Send a form-encoded or JSON body of at most 16 KB.');
      const grant = params.get('grant_type') ?? (page ? 'password' : null);
      if (grant !== 'password' && (page || grant !== 'authorization_code'))
        throw new SignInRefused(
          'unsupported_grant_type',
          'The development identity provider signs in with grant_type=authorization_code (code, code_verifier, ' +
            'client_id, redirect_uri) or grant_type=password (username, password).',
        );
      const tokens =
        grant === 'authorization_code'
          ? await this.idp.redeemCode(params)
          : await this.idp.signIn(
              params.get('username') ?? '',
              params.get('password') ?? '',
              params.get('client_id') ?? undefined,
            );
      res.setHeader('cache-control', 'no-store');
      if (page) return html(res, 200, tokenPage(params.get('username')!, tokens.access_token, tokens.expires_in));
      json(res, 200, tokens);
    } catch (err) {
      if (!(err instanceof SignInRefused)) throw err;
      if (err.error === 'invalid_grant') this.#failures.charge(address);
      if (page) return html(res, 400, loginPage(err.message));
      json(res, 400, { error: err.error, error_description: err.message });
    }
  }
}

async function readParams(req: IncomingMessage): Promise<URLSearchParams | null> {
  const text = await readBody(req, MAX_BODY_BYTES);
  if (typeof text !== 'string') return null;
  if (!(req.headers['content-type'] ?? '').includes('json')) return new URLSearchParams(text);
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    return new URLSearchParams(
      Object.entries(body).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : [])),
    );
  } catch {
    return null;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'",
  });
  res.end(body);
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>PlantGraph development sign-in</title></head><body>
<h1>PlantGraph development sign-in</h1>
<p><strong>For development only</strong>: never on in production, and off when an identity provider is configured.</p>
${body}</body></html>`;

/** Where the browser reached the hub, by its Host header, with the issuer's scheme. */
function browserOrigin(req: IncomingMessage, issuer: string | null): string | undefined {
  const host = req.headers.host;
  return host && issuer ? `${new URL(issuer).protocol}//${host}` : undefined;
}

/** The sign-in page of the code flow: the checked request rides along in hidden fields. */
function authorizePage(request: URLSearchParams, error?: string): string {
  const names = [
    'response_type',
    'client_id',
    'redirect_uri',
    'state',
    'nonce',
    'code_challenge',
    'code_challenge_method',
    'prompt',
  ];
  const hidden = names
    .filter((name) => request.has(name))
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(request.get(name)!)}">`)
    .join('');
  // It keeps no session, so every request gets this page: `prompt=login` (a signer's fresh login) is
  // honoured as it stands, and `auth_time` is the moment of this sign-in. The page says why it asks.
  const why =
    request.get('prompt') === 'login'
      ? 'To sign, the signer signs in here with their own employee id'
      : 'Sign in to the plant console with your employee id';
  return page(`${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<p>${why} (the demo plant's operator is E1001, its supervisor
E1003) and the development password the hub printed at start.</p>
<form method="post" action="${DEV_IDP_PATH}/authorize">${hidden}
<label>Employee id <input name="username" autocomplete="username" placeholder="E1001"
 value="${escapeHtml(request.get('username') ?? '')}" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>`);
}

function loginPage(error?: string): string {
  return page(`${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${DEV_IDP_PATH}/login">
<label>Employee id <input name="username" autocomplete="username" placeholder="E1001"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>`);
}

function tokenPage(who: string, token: string, expiresIn: number): string {
  return page(`<p>Signed in as ${escapeHtml(who)}. Send this access token as <code>Authorization: Bearer &lt;token&gt;</code>;
it works for ${expiresIn / 60} minutes, and signs for 5 (sign in again to sign later).</p>
<textarea readonly rows="8" cols="100">${escapeHtml(token)}</textarea>
<p><a href="${DEV_IDP_PATH}/login">Sign in as someone else</a></p>`);
}
