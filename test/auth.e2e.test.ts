import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, startHub } from '@plantgraph/hub';
import { graphql, graphqlRaw, sleep, subscribe, type TestHub } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const VIEWER = '{ viewer { name kind grants { role scope } } }';

describe('authentication', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 }));
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  it('issues no local admin token when an identity provider is configured', () => {
    expect(hub.localAdminToken).toBeNull();
  });

  it('accepts an access token from the identity provider, reading roles and scopes from its claims', async () => {
    const token = await idp.token({
      sub: 'ana',
      roles: ['supervisor', 'quality@acme/berlin/packaging'],
      scopes: ['acme/berlin/assembly'],
    });
    const { viewer } = await graphql(hub.url, VIEWER, undefined, token);
    expect(viewer).toEqual({
      name: 'user:ana',
      kind: 'user',
      grants: [
        { role: 'Supervisor', scope: 'acme/berlin/assembly' },
        { role: 'Quality', scope: 'acme/berlin/packaging' },
      ],
    });
  });

  it.each([
    ['no credentials', async () => undefined, /Authentication required/],
    ['a malformed token', async () => 'not-a-token', /access token was rejected/],
    [
      'an expired token',
      async () => idp.token({ roles: ['admin@*'] }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }),
      /access token was rejected.*"exp"/,
    ],
    [
      'a token that never expires (no "exp")',
      async () => idp.token({ roles: ['admin@*'] }, { expiresIn: null }),
      /access token was rejected.*"exp"/,
    ],
    [
      'another issuer',
      async () => idp.token({ roles: ['admin@*'] }, { issuer: 'https://evil.example' }),
      /access token was rejected.*"iss"/,
    ],
    [
      'another audience',
      async () => idp.token({ roles: ['admin@*'] }, { audience: 'some-other-app' }),
      /access token was rejected.*"aud"/,
    ],
    [
      'a token signed by another key',
      async () => idp.token({ roles: ['admin@*'] }, { key: (await generateKeyPair('RS256')).privateKey }),
      /access token was rejected/,
    ],
    [
      'an unknown API key',
      async () => 'pgk_AAAAAAAAAAAA_0123456789012345678901234567890123456789012',
      /API key is unknown, revoked or expired/,
    ],
  ])('refuses %s with 401 and says what to do', async (_name, token, message) => {
    const { status, body } = await graphqlRaw(hub.url, { query: VIEWER }, await token());
    expect(status).toBe(401);
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(body.errors[0].message).toMatch(message);
  });

  it('tolerates the configured clock skew', async () => {
    const token = await idp.token({ roles: ['operator@acme'] }, { expiresIn: Math.floor(Date.now() / 1000) - 10 });
    expect((await graphql(hub.url, VIEWER, undefined, token)).viewer.name).toBe('user:user-1');
  });

  it('manages API keys: shown once, stored as a hash, last use recorded, revoked at once', async () => {
    const admin = await idp.token({ roles: ['admin@acme/berlin'] });
    const created = await graphql(
      hub.url,
      `mutation { createApiKey(input: { name: "line-3-gateway", grants: [{ role: Maintenance, scope: "acme/berlin/packaging" }] }) {
      __typename ... on CreatedApiKey { secret apiKey { id prefix name grants { role scope } lastUsedAt } } } }`,
      undefined,
      admin,
    );
    const { secret, apiKey } = created.createApiKey;
    expect(secret).toMatch(/^pgk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(secret.startsWith(`pgk_${apiKey.prefix}_`)).toBe(true);
    const [row] = await hub.db.em.fork().execute('select * from api_key where id = ?', [apiKey.id]);
    // The secret part is base64url and may itself hold '_': cut it off after the known prefix.
    expect(JSON.stringify(row)).not.toContain(secret.slice(`pgk_${apiKey.prefix}_`.length));

    const asKey = await graphql(hub.url, VIEWER, undefined, secret);
    expect(asKey.viewer).toEqual({
      name: 'api-key:line-3-gateway',
      kind: 'api-key',
      grants: [{ role: 'Maintenance', scope: 'acme/berlin/packaging' }],
    });
    const listed = await graphql(
      hub.url,
      '{ apiKeys { totalCount edges { node { prefix lastUsedAt } } } }',
      undefined,
      admin,
    );
    expect(listed.apiKeys.edges.find((e: any) => e.node.prefix === apiKey.prefix).node.lastUsedAt).not.toBeNull();

    const revoked = await graphql(
      hub.url,
      `mutation ($id: ID!) { revokeApiKey(id: $id) { ... on ApiKey { revokedAt } } }`,
      { id: apiKey.id },
      admin,
    );
    expect(revoked.revokeApiKey.revokedAt).not.toBeNull();
    expect((await graphqlRaw(hub.url, { query: VIEWER }, secret)).status).toBe(401);
  });

  it('refuses keys that grant beyond the creator, and keys that have expired', async () => {
    const admin = await idp.token({ roles: ['admin@acme/berlin/assembly'] });
    const { body } = await graphqlRaw(
      hub.url,
      {
        query:
          'mutation { createApiKey(input: { name: "x", grants: [{ role: Admin, scope: "acme" }] }) { __typename } }',
      },
      admin,
    );
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    const soon = new Date(Date.now() + 1500).toISOString();
    const { createApiKey } = await graphql(
      hub.url,
      `mutation ($e: DateTimeISO) { createApiKey(input: { name: "short", grants: [{ role: Operator, scope: "acme/berlin/assembly" }], expiresAt: $e }) { ... on CreatedApiKey { secret } } }`,
      { e: soon },
      admin,
    );
    expect((await graphqlRaw(hub.url, { query: VIEWER }, createApiKey.secret)).status).toBe(200);
    await sleep(1600);
    expect((await graphqlRaw(hub.url, { query: VIEWER }, createApiKey.secret)).status).toBe(401);
  });

  it('authenticates subscriptions in connection_init and closes the socket when the token expires', async () => {
    const refused = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme") { path } }',
      undefined,
      null,
    );
    await sleep(300);
    expect(refused.closed()).toMatchObject({ code: 4403 });
    await refused.close();

    const nearlyExpired = await idp.token(
      { roles: ['operator@acme'] },
      { expiresIn: Math.floor(Date.now() / 1000) + 2 - 30 },
    );
    const live = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme") { path } }',
      undefined,
      nearlyExpired,
    );
    expect(live.closed()).toBeNull();
    await sleep(2500);
    expect(live.closed()).toMatchObject({ code: 4401, reason: expect.stringMatching(/Token expired/) });
    await live.close();
  });
});

describe('startup safety', () => {
  it('refuses to start in production without an identity provider or an API key', async () => {
    const config = configFromEnv(
      { NODE_ENV: 'production', PLANTGRAPH_DATA_DIR: 'memory://', PLANTGRAPH_FLOWS: 'off' },
      { port: 0 },
    );
    await expect(startHub(config, { log: () => {}, warn: () => {}, error: () => {} })).rejects.toThrow(
      /Production mode needs a way to authenticate/,
    );
  });

  it('refuses PLANTGRAPH_AUTH=off in production, and warns loudly about it elsewhere', async () => {
    expect(() => configFromEnv({ NODE_ENV: 'production', PLANTGRAPH_AUTH: 'off' })).toThrow(/refused in production/);
    const warnings: string[] = [];
    const hub = await startHub(
      configFromEnv({ PLANTGRAPH_AUTH: 'off', PLANTGRAPH_DATA_DIR: 'memory://' }, { port: 0 }),
      { log: () => {}, warn: (m: string) => warnings.push(m), error: () => {} },
    );
    try {
      expect(warnings.join('\n')).toMatch(/AUTHENTICATION IS OFF/);
      const res = await graphqlRaw(hub.url, { query: VIEWER });
      expect(res.body.data.viewer).toMatchObject({ name: 'anonymous', kind: 'auth-off' });
    } finally {
      await hub.close();
    }
  });
});
