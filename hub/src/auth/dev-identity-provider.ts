import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { timingSafeEqual, createHash } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';
import { Person, Role } from '@plantgraph/schema';
import type { Database } from '../infrastructure/database/database.js';
import type { OidcConfig } from '../config.js';
import { type AuthorizationRequest, AuthorizationCodes, SignInRefused } from './dev-authorization-codes.js';

export { SignInRefused };

/** Where the development identity provider answers; its issuer is `<hub URL>/dev-idp`. */
export const DEV_IDP_PATH = '/dev-idp';
/** The audience of its access tokens: this hub. */
export const DEV_IDP_AUDIENCE = 'plantgraph-hub';
/** The plant console's client id at the development provider (its public client, PKCE). */
export const DEV_CONSOLE_CLIENT_ID = 'plantgraph-console';
/** Access tokens live 10 minutes; a signature still needs a sign-in within the last 5 (`auth_time`). */
const TOKEN_LIFETIME_SECONDS = 600;
const ROLES = new Set<string>(Object.values(Role));

/** What a sign-in hands back, as an OpenID Connect token response. */
export interface IssuedTokens {
  access_token: string;
  id_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/**
 * A development identity provider inside the hub (ADR 0015): never in production, and only when no
 * real provider is configured. It signs in the plant's active people by employee id with one
 * password (printed at start) and issues real OpenID Connect tokens (ES256, with `auth_time`, roles
 * and scopes), which the hub then verifies exactly as a real provider's: by the issuer's JWKS over
 * HTTP (`Authenticator.trust`). A person's roles are the personnel classes named like a hub role
 * (operator, supervisor, quality, engineer …), over their home equipment.
 *
 * The signing key is generated once and kept in the database (`dev_identity_provider_key`), so
 * tokens outlive restarts and every replica of an installation verifies the same key.
 */
export class DevIdentityProvider {
  #issuer: string | null = null;
  readonly #codes = new AuthorizationCodes();

  private constructor(
    private readonly db: Database,
    private readonly privateKey: KeyObject,
    readonly publicJwk: JWK,
    readonly password: string,
  ) {}

  /** Loads (or first generates) the key; the password is the configured one or a fresh random one. */
  static async open(db: Database, password?: string): Promise<DevIdentityProvider> {
    const em = db.em.fork();
    const generated = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    // One statement, so replicas starting together agree on whichever key was stored first.
    await em.execute(
      'insert into dev_identity_provider_key (id, private_jwk) values (1, ?) on conflict (id) do nothing',
      [JSON.stringify(generated)],
    );
    const [row] = await em.execute<{ private_jwk: string }[]>(
      'select private_jwk from dev_identity_provider_key where id = 1',
    );
    const privateKey = createPrivateKey({ key: JSON.parse(row!.private_jwk) as JWK as never, format: 'jwk' });
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    const publicJwk: JWK = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
    return new DevIdentityProvider(db, privateKey, publicJwk, password ?? randomBytes(12).toString('base64url'));
  }

  /** Starts answering at `<hubUrl>/dev-idp`, known once the hub listens (its port may be chosen then). */
  publishAt(hubUrl: string): OidcConfig & { jwksUrl: string } {
    this.#issuer = `${hubUrl}${DEV_IDP_PATH}`;
    return {
      issuer: this.#issuer,
      audience: DEV_IDP_AUDIENCE,
      jwksUrl: `${this.#issuer}/jwks`,
      rolesClaim: 'roles',
      scopesClaim: 'plantgraph_scopes',
      clockSkewSeconds: 30,
    };
  }

  get issuer(): string | null {
    return this.#issuer;
  }

  /**
   * The OpenID Connect discovery document. `origin` is where the browser reached the hub (its Host):
   * the endpoints a browser calls are there, so the console's page, under its same-origin
   * Content-Security-Policy, reaches them by whichever name it was opened (localhost or 127.0.0.1).
   */
  discovery(origin?: string): Record<string, unknown> {
    const issuer = this.#requireIssuer();
    const endpoints = origin ? `${origin}${DEV_IDP_PATH}` : issuer;
    return {
      issuer,
      jwks_uri: `${issuer}/jwks`,
      token_endpoint: `${endpoints}/token`,
      authorization_endpoint: `${endpoints}/authorize`,
      grant_types_supported: ['authorization_code', 'password'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['openid', 'profile'],
      claims_supported: ['sub', 'name', 'auth_time', 'roles', 'plantgraph_scopes'],
    };
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /**
   * The resource owner password grant: the person (by employee id) and the shared password. Each
   * sign-in is a fresh authentication, so `auth_time` is now. Kept beside the code flow for the
   * signature dialogs (a signer signs in afresh where they sign), the IDE and scripts.
   */
  async signIn(username: string, password: string, clientId = 'plantgraph'): Promise<IssuedTokens> {
    return this.#issue(await this.#authenticate(username, password), clientId, Math.floor(Date.now() / 1000), null);
  }

  /**
   * The sign-in at `/authorize` (authorization code flow with PKCE): checks the person and hands
   * back where to send the browser, the request's redirect_uri with a one-time code and its state.
   */
  async authorize(request: AuthorizationRequest, username: string, password: string): Promise<string> {
    const person = await this.#authenticate(username, password);
    const code = this.#codes.issue({ ...request, employeeId: person.employeeId, authTime: nowSeconds() });
    const back = new URL(request.redirectUri);
    back.searchParams.set('code', code);
    if (request.state) back.searchParams.set('state', request.state);
    return back.toString();
  }

  /** The authorization_code grant: the code redeemed with its verifier, for the person still active. */
  async redeemCode(params: URLSearchParams): Promise<IssuedTokens> {
    const grant = this.#codes.redeem(params);
    const person = await this.#person(grant.employeeId);
    if (!person) throw new SignInRefused('invalid_grant', `${grant.employeeId} is no longer active.`);
    return this.#issue(person, grant.clientId, grant.authTime, grant.nonce);
  }

  async #authenticate(username: string, password: string): Promise<Person> {
    if (!username || !password)
      throw new SignInRefused('invalid_request', 'Send username (an employee id, e.g. E1001) and password.');
    if (!sameSecret(password, this.password))
      throw new SignInRefused(
        'invalid_grant',
        'Wrong password: use the development sign-in password the hub printed at start (or PLANTGRAPH_DEV_IDP_PASSWORD).',
      );
    const person = await this.#person(username);
    if (!person)
      throw new SignInRefused(
        'invalid_grant',
        `No active person with employee id "${username}"; the development sign-in knows the plant's people (query persons).`,
      );
    return person;
  }

  #person(employeeId: string): Promise<Person | null> {
    return this.db.em
      .fork()
      .findOne(Person, { employeeId, active: true }, { populate: ['personnelClasses', 'homeEquipment'] });
  }

  async #issue(person: Person, clientId: string, authTime: number, nonce: string | null): Promise<IssuedTokens> {
    const issuer = this.#requireIssuer();
    const roles = person.personnelClasses
      .getItems()
      .map((c) => c.code)
      .filter((code) => ROLES.has(code));
    const home = person.homeEquipment?.path;
    const now = nowSeconds();
    const claims = {
      name: person.name,
      auth_time: authTime,
      roles,
      // Roles hold over the person's home equipment; a person placed nowhere holds none.
      plantgraph_scopes: home ? [home] : [],
      scope: 'openid profile',
    };
    const sign = (audience: string, extra: Record<string, unknown> = {}) =>
      new SignJWT({ ...claims, ...extra })
        .setProtectedHeader({ alg: 'ES256', kid: this.publicJwk.kid!, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(person.employeeId)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
        .setJti(randomBytes(12).toString('base64url'))
        .sign(this.privateKey);
    return {
      access_token: await sign(DEV_IDP_AUDIENCE),
      id_token: await sign(clientId, nonce ? { nonce } : {}),
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
      scope: claims.scope,
    };
  }

  #requireIssuer(): string {
    if (!this.#issuer) throw new Error('The development identity provider is not published yet (the hub is starting).');
    return this.#issuer;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Compares two secrets in constant time (over their hashes, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
