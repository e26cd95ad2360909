import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { type Mode, startTestHub, type TestHub, type TestHubSettings } from './harness.js';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/**
 * A real OpenID Connect identity provider, as far as the hub can tell: a key pair, a JWKS and a
 * discovery document served on loopback, and tokens minted with the private key.
 */
export class TestIdentityProvider {
  static readonly audience = 'plantgraph-hub';
  private constructor(
    readonly issuer: string,
    private readonly server: Server,
    private readonly privateKey: PrivateKey,
    private readonly kid: string,
  ) {}

  static async start(): Promise<TestIdentityProvider> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
    const server = createServer((req, res) => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration')
        return res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
      if (req.url === '/jwks') return res.end(JSON.stringify({ keys: [jwk] }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new TestIdentityProvider(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      server,
      privateKey,
      jwk.kid,
    );
  }

  /** The hub settings that trust this provider. */
  get oidc() {
    return {
      issuer: this.issuer,
      audience: TestIdentityProvider.audience,
      rolesClaim: 'roles',
      scopesClaim: 'plantgraph_scopes',
      clockSkewSeconds: 30,
    };
  }

  /**
   * A signed access token; `roles` entries are `role` or `role@scope`. It carries `exp` (10 minutes
   * unless `expiresIn` says; `null` leaves it out) and `auth_time` (the sign-in: `iat` unless the
   * claims give one; `auth_time: undefined` leaves it out), as identity providers issue them.
   */
  async token(
    claims: { sub?: string; roles?: string[]; scopes?: string[] } & JWTPayload = {},
    options: { expiresIn?: string | number | null; issuer?: string; audience?: string; key?: PrivateKey } = {},
  ): Promise<string> {
    const { roles = [], scopes = [], sub = 'user-1', iat, ...rest } = claims;
    const authTime = 'auth_time' in claims ? claims.auth_time : (iat ?? Math.floor(Date.now() / 1000));
    const jwt = new SignJWT({ roles, plantgraph_scopes: scopes, ...rest, auth_time: authTime })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .setSubject(sub)
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? TestIdentityProvider.audience)
      .setIssuedAt(iat ?? undefined);
    if (options.expiresIn !== null) jwt.setExpirationTime(options.expiresIn ?? '10m');
    return jwt.sign(options.key ?? this.privateKey);
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }
}

/** A hub (embedded unless `mode` says) that trusts a fresh test identity provider; stopping the hub stops both. */
export async function startHubWithIdp(
  overrides: TestHubSettings = {},
  mode: Mode = 'embedded',
): Promise<{ idp: TestIdentityProvider; hub: TestHub }> {
  const idp = await TestIdentityProvider.start();
  const hub = await startTestHub(mode, { ...overrides, auth: { enabled: true, oidc: idp.oidc } });
  const stopHub = hub.stop;
  hub.stop = async () => {
    await stopHub();
    await idp.stop();
  };
  return { idp, hub };
}

/** A sign-in at the hub's own development identity provider (ADR 0015): the person's access token. */
export async function devIdpToken(hub: TestHub, employeeId: string): Promise<string> {
  const idp = hub.devIdentityProvider;
  if (!idp) throw new Error('this hub runs no development identity provider');
  const res = await fetch(idp.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: employeeId, password: idp.password }),
  });
  const body = (await res.json()) as { access_token?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error(`sign-in of ${employeeId} refused: ${body.error_description}`);
  return body.access_token;
}
