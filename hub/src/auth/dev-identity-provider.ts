import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { timingSafeEqual, createHash } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';
import { Person, Role } from '@plantgraph/schema';
import type { Database } from '../infrastructure/database/database.js';
import type { OidcConfig } from '../config.js';

/** Where the development identity provider answers; its issuer is `<hub URL>/dev-idp`. */
export const DEV_IDP_PATH = '/dev-idp';
/** The audience of its access tokens: this hub. */
export const DEV_IDP_AUDIENCE = 'plantgraph-hub';
/** Access tokens live 10 minutes; a signature still needs a sign-in within the last 5 (`auth_time`). */
const TOKEN_LIFETIME_SECONDS = 600;
const ROLES = new Set<string>(Object.values(Role));

/** Why a sign-in was refused, in OAuth 2.0 terms (RFC 6749 §5.2) with a message that says what to do. */
export class SignInRefused extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type',
    message: string,
  ) {
    super(message);
  }
}

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

  /** The OpenID Connect discovery document. */
  discovery(): Record<string, unknown> {
    const issuer = this.#requireIssuer();
    return {
      issuer,
      jwks_uri: `${issuer}/jwks`,
      token_endpoint: `${issuer}/token`,
      authorization_endpoint: `${issuer}/login`,
      grant_types_supported: ['password'],
      response_types_supported: ['token'],
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
   * sign-in is a fresh authentication, so `auth_time` is now.
   */
  async signIn(username: string, password: string, clientId = 'plantgraph'): Promise<IssuedTokens> {
    if (!username || !password)
      throw new SignInRefused('invalid_request', 'Send username (an employee id, e.g. E1001) and password.');
    if (!sameSecret(password, this.password))
      throw new SignInRefused(
        'invalid_grant',
        'Wrong password: use the development sign-in password the hub printed at start (or PLANTGRAPH_DEV_IDP_PASSWORD).',
      );
    const person = await this.db.em
      .fork()
      .findOne(Person, { employeeId: username, active: true }, { populate: ['personnelClasses', 'homeEquipment'] });
    if (!person)
      throw new SignInRefused(
        'invalid_grant',
        `No active person with employee id "${username}"; the development sign-in knows the plant's people (query persons).`,
      );
    const issuer = this.#requireIssuer();
    const roles = person.personnelClasses
      .getItems()
      .map((c) => c.code)
      .filter((code) => ROLES.has(code));
    const home = person.homeEquipment?.path;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      name: person.name,
      auth_time: now,
      roles,
      // Roles hold over the person's home equipment; a person placed nowhere holds none.
      plantgraph_scopes: home ? [home] : [],
      scope: 'openid profile',
    };
    const sign = (audience: string) =>
      new SignJWT(claims)
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
      id_token: await sign(clientId),
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

/** Compares two secrets in constant time (over their hashes, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
