import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubConfig } from '@plantgraph/hub';
import { graphql, graphqlRaw, MODES, sleep, startTestHub, type TestHub } from './support/harness.js';
import { TestIdentityProvider } from './support/idp.js';
import { wsRequest } from './support/raw-ws.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const VIEWER = { query: '{ viewer { name } }' };
const CREATE_KEY = `mutation ($n: String!) {
  createApiKey(input: { name: $n, grants: [{ role: Operator, scope: "acme" }] }) {
    ... on CreatedApiKey { secret apiKey { id prefix } }
  }
}`;
const REVOKE_KEY = 'mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }';
const secretPart = () => randomBytes(32).toString('base64url');
const unknownKey = () => `pgk_${randomBytes(9).toString('hex').slice(0, 12)}_${secretPart()}`;

type Connection = { execute: (...args: unknown[]) => Promise<unknown> };

/** The SQL the hub runs while `work` runs. */
async function statementsDuring(hub: TestHub, work: () => Promise<unknown>): Promise<string[]> {
  const connection = hub.db.em.getDriver().getConnection() as unknown as Connection;
  const original = connection.execute;
  const seen: string[] = [];
  connection.execute = function (this: unknown, ...args: unknown[]) {
    seen.push(String(args[0]));
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    connection.execute = original;
  }
  return seen;
}

describe.each(MODES)('failed authentication is limited, verified keys are cached (%s)', (mode) => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let admin: string;
  const auth = (oidc: TestIdentityProvider['oidc']): HubConfig['auth'] => ({
    enabled: true,
    oidc,
    failuresPerAddressPerMinute: 20,
    failuresPerKeyPerMinute: 5,
    apiKeyCacheMs: 1000,
  });
  const trustedProxies = ['127.0.0.1'];
  const createKey = async (name: string): Promise<{ secret: string; apiKey: { id: string; prefix: string } }> =>
    (await graphql(hub.url, CREATE_KEY, { n: name }, admin)).createApiKey;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    hub = await startTestHub(mode, { auth: auth(idp.oidc), trustedProxies });
    admin = await idp.token({ roles: ['admin@*'] });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await idp?.stop();
  });

  it('looks a verified key up once per cache period, and writes its last use at most once a minute', async () => {
    const key = await createKey('busy-gateway');
    const started = performance.now();
    const statements = await statementsDuring(hub, async () => {
      for (let i = 0; i < 30; i++) expect((await graphqlRaw(hub.url, VIEWER, key.secret)).status).toBe(200);
    });
    const periods = Math.ceil((performance.now() - started) / 1000); // 1 s each; more on a loaded machine
    const lookups = statements.filter((s) => /^select\b.*\bapi_key\b/i.test(s));
    const writes = statements.filter((s) => /^update\b.*\bapi_key\b/i.test(s));
    expect(lookups.length).toBeLessThanOrEqual(Math.min(periods + 1, 10));
    expect(writes.length).toBe(1);
    const listed = await graphql(hub.url, '{ apiKeys{ edges { node { prefix lastUsedAt } } } }', {}, admin);
    expect(listed.apiKeys.edges.find((e: any) => e.node.prefix === key.apiKey.prefix).node.lastUsedAt).not.toBeNull();
  });

  it('stops a revoked key at once on the replica that revoked it', async () => {
    const key = await createKey('revoked-here');
    expect((await graphqlRaw(hub.url, VIEWER, key.secret)).status).toBe(200);
    await graphql(hub.url, REVOKE_KEY, { id: key.apiKey.id }, admin);
    expect((await graphqlRaw(hub.url, VIEWER, key.secret)).status).toBe(401);
  });

  it.runIf(mode === 'postgres+nats')('stops a revoked key on other replicas within the cache time (1 s)', async () => {
    const other = await startTestHub(mode, { ...hub.shared, auth: auth(idp.oidc), trustedProxies });
    try {
      const key = await createKey('revoked-elsewhere');
      expect((await graphqlRaw(other.url, VIEWER, key.secret)).status).toBe(200);
      await graphql(hub.url, REVOKE_KEY, { id: key.apiKey.id }, admin);
      await sleep(1100);
      expect((await graphqlRaw(other.url, VIEWER, key.secret)).status).toBe(401);
    } finally {
      await other.stop();
    }
  });

  it('refuses wrong secrets per key and per address with 429 and retry-after, without looking each up', async () => {
    // The attack comes through the trusted proxy (127.0.0.1) from its own address.
    const attacker = { 'x-forwarded-for': '203.0.113.7' };
    const attempt = async (token: string, headers: Record<string, string> = attacker) => {
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        body: JSON.stringify(VIEWER),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      });
      const retryAfter = Number(res.headers.get('retry-after'));
      return { status: res.status, retryAfter, body: (await res.json()) as any };
    };
    const key = await createKey('gateway-under-attack');
    const guess = () => `pgk_${key.apiKey.prefix}_${secretPart()}`;
    expect((await attempt(key.secret)).status).toBe(200);
    const statuses: number[] = [];
    const statements = await statementsDuring(hub, async () => {
      for (let i = 0; i < 40; i++) statuses.push((await attempt(guess())).status);
    });
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual(statuses.slice(5).map(() => 429));
    expect(statements.filter((s) => /api_key/.test(s)).length).toBeLessThanOrEqual(5);
    const refused = await attempt(guess());
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.body.errors[0]).toMatchObject({
      extensions: { code: 'RATE_LIMITED' },
      message: expect.stringMatching(/Too many failed authentications for this API key.*Retry in \d+ s/),
    });
    // The key's own holder, known to this replica, is not locked out by the attack.
    expect((await attempt(key.secret, {})).status).toBe(200);

    // Unknown keys and bad tokens from the attacker's address: 15 more failures fill its 20
    // (or a few more: one comes back every 3 s while they run).
    const more = [(await attempt('not-a-jwt')).status];
    while (more.at(-1) === 401 && more.length < 30) more.push((await attempt(unknownKey())).status);
    expect(more.at(-1)).toBe(429);
    expect(more.length - 1).toBeGreaterThanOrEqual(15);
    expect(more.length - 1).toBeLessThanOrEqual(17);
    const locked = await attempt(unknownKey());
    expect(locked.status).toBe(429);
    expect(locked.body.errors[0].message).toMatch(/Too many failed authentications from your address.*Retry in \d+ s/);
    // Until it cools down, only API keys this replica has verified get in from that address.
    const operator = await idp.token({ roles: ['operator@acme'] });
    expect((await attempt(operator)).status).toBe(429);
    expect((await attempt(operator, { 'x-forwarded-for': '198.51.100.20' })).status).toBe(200);
    // The same over WebSocket: the connection is refused with 4429 before any lookup.
    expect(await wsRequest(hub.url, unknownKey(), VIEWER, attacker)).toMatchObject({
      type: 'closed',
      code: 4429,
      reason: expect.stringMatching(/Too many failed authentications/),
    });
    // A verified key still gets in.
    expect((await attempt(key.secret)).status).toBe(200);
    expect(await wsRequest(hub.url, key.secret, VIEWER, attacker)).toMatchObject({
      type: 'next',
      payload: { data: { viewer: { name: 'api-key:gateway-under-attack' } } },
    });
  });
});
