import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { type Grant, Role, WHOLE_INSTALLATION } from '@plantgraph/schema';
import { type AuthConfig, completeAuth, type OidcConfig } from '../config.js';
import { isEquipmentPath } from '../core/keys.js';
import { type ApiKeyService, LOCAL_ADMIN, parseApiKey, type RefusedApiKey } from './api-keys.js';
import { howToGetLocalAdminKey } from './local-admin-key.js';
import { TokenBuckets } from './token-buckets.js';
import { VerifiedKeys, type VerifiedKey } from './verified-keys.js';
import { Principal } from '../core/principal.js';
import { FaultCode, HubFault } from '../core/faults.js';

const ROLES = new Set<string>(Object.values(Role));
/** `last_used_at` is written at most this often per key and replica. */
const LAST_USE_RESOLUTION_MS = 60_000;
const UNKNOWN_KEY = 'The API key is unknown, revoked or expired. Ask an administrator for a new one.';
/** Credentials the hub issues to processes it runs itself (the flows process): `pgp_<secret>`. */
const PROCESS_CREDENTIAL = 'pgp_';
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/** The credential is missing or unusable; the message says how to authenticate. */
export class AuthenticationError extends HubFault {
  constructor(
    message: string,
    /** For a WebSocket close frame (at most 123 bytes), when the message is longer. */
    readonly briefly = message,
  ) {
    super(FaultCode.Unauthenticated, message);
  }
}

/** Refused without a look at the credential: too many failed attempts; try again after a pause. */
export class AuthenticationThrottled extends AuthenticationError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * Turns a bearer credential into a principal: an OpenID Connect access token (JWT, checked
 * against the identity provider's JWKS) or a PlantGraph API key (`pgk_…`).
 */
export class Authenticator {
  #jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  #oidc: AuthConfig['oidc'] = null;
  readonly #verified: VerifiedKeys;
  /** Wrong secrets per key prefix: a key under attack is not looked up again and again. */
  readonly #keyFailures: TokenBuckets;
  /** Process credentials by their secret's SHA-256: kept in memory only, valid on this replica until revoked. */
  readonly #processes = new Map<string, Principal>();
  /** Set on a development hub with a local admin key: where its file is (null: in memory only). */
  #localAdminKeyFile: string | null | undefined;

  constructor(
    private readonly config: AuthConfig,
    private readonly apiKeys: ApiKeyService,
  ) {
    if (config.oidc?.jwksUrl) this.trust({ ...config.oidc, jwksUrl: config.oidc.jwksUrl });
    const { apiKeyCacheMs, failuresPerKeyPerMinute } = completeAuth(config);
    this.#verified = new VerifiedKeys(apiKeyCacheMs);
    this.#keyFailures = new TokenBuckets(failuresPerKeyPerMinute / 60, failuresPerKeyPerMinute);
    apiKeys.onRevoked((prefix) => this.#verified.forget(prefix));
  }

  /** The identity provider whose tokens are accepted, if any. */
  get oidc(): AuthConfig['oidc'] {
    return this.#oidc;
  }

  /**
   * Accepts the tokens of this identity provider from now on, checked against its JWKS (fetched and
   * cached by jose). Set at construction for a configured provider; the development identity
   * provider is trusted this way once the hub listens, so its tokens take the very same path.
   */
  trust(oidc: OidcConfig & { jwksUrl: string }): void {
    this.#oidc = oidc;
    this.#jwks = createRemoteJWKSet(new URL(oidc.jwksUrl), { cooldownDuration: 30_000 });
  }

  /** Tells those who present a replaced local admin key where the current one is kept. */
  explainLocalAdminKey(file: string | null): void {
    this.#localAdminKeyFile = file;
  }

  /** Forgets a key verified earlier (its revocation, made on any replica, reached this one). */
  forgetKey(prefix: string): void {
    this.#verified.forget(prefix);
  }

  /**
   * A credential for a process this hub runs and supervises (the flows child process), acting as
   * `principal` through the public API like any client. It is never stored: it works on this
   * replica only, until `revoke()` (the hub revokes it when the process ends and mints a new one
   * for the next), and through every check an API key passes (gate, rate limit, operation limits).
   */
  issueProcessCredential(principal: Principal): { token: string; revoke(): void } {
    const token = `${PROCESS_CREDENTIAL}${randomBytes(32).toString('base64url')}`;
    const hash = digest(token);
    this.#processes.set(hash, principal);
    return { token, revoke: () => void this.#processes.delete(hash) };
  }

  /** Whether the credential is an API key this replica verified recently (see `VerifiedKeys`), or a process's. */
  recognises(authorization: string | undefined | null): boolean {
    const token = bearer(authorization) ?? '';
    if (token.startsWith(PROCESS_CREDENTIAL)) return this.#processes.has(digest(token));
    const presented = parseApiKey(bearer(authorization) ?? '');
    return presented !== null && this.#verified.recognises(presented.prefix, presented.secretHash);
  }

  async authenticate(authorization: string | undefined | null): Promise<Principal> {
    const token = bearer(authorization);
    // Before the auth-off shortcut: a supervised process acts as its own principal, never as everyone's admin.
    if (token?.startsWith(PROCESS_CREDENTIAL)) {
      const principal = this.#processes.get(digest(token));
      if (!principal) throw new AuthenticationError(UNKNOWN_KEY);
      return principal;
    }
    if (!this.config.enabled)
      return new Principal('anonymous', 'auth-off', [{ role: Role.Admin, scope: WHOLE_INSTALLATION }]);
    if (!token)
      throw new AuthenticationError(
        'Authentication required: send "Authorization: Bearer <token>" with an OpenID Connect access token or a PlantGraph API key.',
      );
    if (token.startsWith('pgk_')) return this.#apiKey(token);
    if (!this.#jwks || !this.#oidc)
      throw new AuthenticationError('This hub accepts API keys only (no identity provider is configured).');
    const { issuer, audience, clockSkewSeconds, rolesClaim, scopesClaim } = this.#oidc;
    let payload: JWTPayload;
    try {
      // A token without `exp` would be valid for ever: refused, like any identity provider's must carry one.
      ({ payload } = await jwtVerify(token, this.#jwks, {
        issuer,
        audience,
        clockTolerance: clockSkewSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw new AuthenticationError(
        `The access token was rejected (${(err as Error).message}). Sign in again to get a fresh token.`,
      );
    }
    const grants = grantsFromClaims(claim(payload, rolesClaim), claim(payload, scopesClaim));
    const id = typeof payload.sub === 'string' ? payload.sub : 'unknown';
    // Valid until exp plus the tolerated skew, exactly as long as jwtVerify accepts it. The sign-in is
    // `auth_time` (OpenID Connect), not `iat`: a refreshed token is new while its sign-in is not.
    const authTime = typeof payload.auth_time === 'number' ? new Date(payload.auth_time * 1000) : null;
    return new Principal(id, 'user', grants, new Date((payload.exp! + clockSkewSeconds) * 1000), authTime);
  }

  /** A recently verified key from memory; else, unless its prefix is locked, from the database. */
  async #apiKey(token: string): Promise<Principal> {
    const presented = parseApiKey(token);
    if (!presented) throw new AuthenticationError(UNKNOWN_KEY);
    const { prefix, secretHash } = presented;
    const now = Date.now();
    const fresh = this.#verified.fresh(prefix, secretHash, now);
    if (fresh) return this.#used(fresh, now);
    const recognised = this.#verified.recognises(prefix, secretHash, now);
    const wait = this.#keyFailures.waitFor(prefix, now);
    if (wait > 0 && !recognised) {
      const message = `Too many failed authentications for this API key. Retry in ${wait} s, with the right secret.`;
      throw new AuthenticationThrottled(message, wait);
    }
    const key = await this.apiKeys.check(prefix, secretHash);
    if (!key || !('principal' in key)) {
      this.#keyFailures.charge(prefix);
      if (recognised) this.#verified.forget(prefix); // the right secret no longer works: revoked or expired
      throw this.#refused(key);
    }
    const entry = this.#verified.remember(
      prefix,
      {
        keyId: key.id,
        principal: key.principal,
        secretHash,
        lastUseRecorded: key.lastUsedAt?.getTime() ?? 0,
      },
      now,
    );
    return this.#used(entry, now);
  }

  /**
   * Why a key was refused. Only its holder (the secret matched) learns that it was revoked or
   * expired; and a replaced local admin key is told how to get the current one.
   */
  #refused(key: RefusedApiKey | null): AuthenticationError {
    if (!key) return new AuthenticationError(UNKNOWN_KEY);
    if (key.name === LOCAL_ADMIN && key.revokedAt && this.#localAdminKeyFile !== undefined) {
      const how = howToGetLocalAdminKey(this.#localAdminKeyFile);
      const message = `This local admin API key was replaced at ${key.revokedAt.toISOString()}; ${how}.`;
      const brief = this.#localAdminKeyFile
        ? `Local admin API key replaced; the current one is in ${this.#localAdminKeyFile}`
        : 'Local admin API key replaced; the hub printed the current one at start';
      return new AuthenticationError(message, brief);
    }
    const what = key.revokedAt
      ? `was revoked at ${key.revokedAt.toISOString()}`
      : `expired at ${key.expiresAt?.toISOString()}`;
    return new AuthenticationError(`The API key "${key.name}" ${what}. Ask an administrator for a new one.`);
  }

  /** Records the key's use when the stored `last_used_at` is over a minute old: one UPDATE a minute at most. */
  async #used(entry: VerifiedKey, now: number): Promise<Principal> {
    if (now - entry.lastUseRecorded > LAST_USE_RESOLUTION_MS) {
      entry.lastUseRecorded = now;
      await this.apiKeys.recordUse(entry.keyId, new Date(now));
    }
    return entry.principal;
  }
}

/** The credential in an `Authorization: Bearer …` header, if any. */
const bearer = (authorization: string | undefined | null) => /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '')?.[1];

/** Reads a claim by dotted path (e.g. `realm_access.roles`) as a list of strings. */
function claim(payload: JWTPayload, path: string): string[] {
  let value: unknown = payload;
  for (const part of path.split('.'))
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * `role@scope` entries grant a role over one scope; a plain `role` applies to every scope in the
 * scopes claim. Unknown roles and malformed scopes grant nothing.
 */
export function grantsFromClaims(roles: string[], scopes: string[]): Grant[] {
  const validScope = (s: string) => s === WHOLE_INSTALLATION || isEquipmentPath(s);
  const grants: Grant[] = [];
  for (const entry of roles) {
    const [role, scope] = entry.split('@') as [string, string | undefined];
    if (!ROLES.has(role)) continue;
    for (const s of scope !== undefined ? [scope] : scopes)
      if (validScope(s)) grants.push({ role: role as Role, scope: s });
  }
  return grants;
}
