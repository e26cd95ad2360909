import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  getIntrospectionQuery,
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_CALLER, Permission } from '@plantgraph/schema';
import { buildHubSchema, InProcessBus } from '@plantgraph/hub';
import { graphqlRaw, sleep, startTestHub, subscribe, type TestHub } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LIMITS = {
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 5000,
  maxCost: 100_000,
  maxDirectives: 20,
  ratePerSecond: 5,
  rateBurst: 10,
  maxSubscriptionsPerSocket: 3,
  maxSocketBufferBytes: 4_000_000,
  maxQueuedEvents: 1000,
};

describe('every field of the schema declares who may use it', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildHubSchema(new InProcessBus());
  });

  it('on every query, mutation and subscription', () => {
    const open: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.values(root!.getFields())) {
        const allow = (field.extensions as { allow?: string[] }).allow;
        if (!allow?.length || !allow.every((p) => p === ANY_CALLER || p in Permission))
          open.push(`${root!.name}.${field.name}`);
      }
    }
    expect(open, `fields without @Allow(...): ${open.join(', ')}`).toEqual([]);
  });

  it('on every object type reachable from them (by the type or by each field)', () => {
    const open: string[] = [];
    const seen = new Set<string>();
    const visit = (typeName: string) => {
      if (seen.has(typeName)) return;
      seen.add(typeName);
      const type = schema.getType(typeName);
      if (!type || !(isObjectType(type) || isInterfaceType(type))) {
        for (const member of isUnionType(type) ? type.getTypes() : []) visit(member.name);
        return;
      }
      const typeAllow = (type.extensions as { allow?: string[] }).allow;
      for (const field of Object.values(type.getFields())) {
        if (!typeAllow?.length && !(field.extensions as { allow?: string[] }).allow?.length)
          open.push(`${type.name}.${field.name}`);
        visit(getNamedType(field.type).name);
      }
    };
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.values(root!.getFields())) visit(getNamedType(field.type).name);
    }
    expect(seen.size).toBeGreaterThan(40);
    expect(open, `fields with no declared permission: ${open.join(', ')}`).toEqual([]);
  });
});

describe('limits per caller and per connection', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  beforeAll(
    async () => ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0, limits: LIMITS })),
    HUB_START_TIMEOUT_MS,
  );
  afterAll(() => hub?.stop());

  it('rate-limits each principal on its own, with a clear 429', async () => {
    const [ana, ben] = await Promise.all([
      idp.token({ sub: 'ana', roles: ['operator@acme'] }),
      idp.token({ sub: 'ben', roles: ['operator@acme'] }),
    ]);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 15 }, () => graphqlRaw(hub.url, { query: '{ viewer { name } }' }, ana)),
    );
    const limited = results.filter((r) => r.status === 429);
    // A burst of 10, then 5 a second: on a busy machine the 15 take longer and the bucket refills meanwhile.
    const refilled = Math.ceil(((Date.now() - started) / 1000) * 5);
    expect(limited.length).toBeGreaterThanOrEqual(Math.max(1, 15 - 10 - refilled));
    expect(limited[0]!.body.errors[0]).toMatchObject({
      extensions: { code: 'RATE_LIMITED' },
      message: expect.stringMatching(/at most 5 operations per second.*Retry in 1 s/),
    });
    expect((await graphqlRaw(hub.url, { query: '{ viewer { name } }' }, ben)).status).toBe(200);
    await sleep(2100);
    expect((await graphqlRaw(hub.url, { query: '{ viewer { name } }' }, ana)).status).toBe(200);
  });

  it('caps the subscriptions one socket may hold', async () => {
    await sleep(2000); // let the bucket refill
    const token = await idp.token({ sub: 'board', roles: ['operator@acme'] });
    const { createClient } = await import('graphql-ws');
    const client = createClient({
      url: `${hub.url.replace('http', 'ws')}/graphql`,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      client.subscribe(
        { query: 'subscription { equipmentStateChanged(scope: "acme") { path } }' },
        {
          next: (v) => {
            if (v.errors) outcomes.push(v.errors[0]!.message);
          },
          error: (e) => outcomes.push(String((e as Error[])[0]?.message ?? e)),
          complete: () => {},
        },
      );
      await sleep(150);
    }
    await sleep(300);
    expect(outcomes).toEqual([expect.stringMatching(/At most 3 operations per connection/)]);
    await client.dispose();
  });
});

describe('production mode', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let token: string;
  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ production: true }));
    token = await idp.token({ roles: ['admin@*'] });
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  it('turns off introspection and field suggestions', async () => {
    const introspection = await graphqlRaw(hub.url, { query: getIntrospectionQuery() }, token);
    expect(introspection.body.errors[0].message).toMatch(/introspection is not allowed/i);
    const typo = await graphqlRaw(hub.url, { query: '{ equipmentLis { totalCount } }' }, token);
    expect(typo.body.errors[0].message).toBe('Cannot query field "equipmentLis" on type "Query".');
  });
});

describe('persisted-operation safelist', () => {
  let hub: TestHub;
  const allowed = '{ equipmentList(first: 5) { totalCount } }';
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'plantgraph-safelist-')), 'operations.json');
    writeFileSync(file, JSON.stringify([allowed]));
    hub = await startTestHub('embedded', {
      demo: true,
      simulatorIntervalMs: 0,
      limits: { ...LIMITS, ratePerSecond: 1000, rateBurst: 1000, safelistFile: file },
    });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('runs only listed documents, sent in full or by hash', async () => {
    const token = hub.localAdminToken!;
    expect((await graphqlRaw(hub.url, { query: allowed }, token)).body.data.equipmentList.totalCount).toBe(20);
    const sha256Hash = createHash('sha256').update(allowed).digest('hex');
    expect(
      (await graphqlRaw(hub.url, { extensions: { persistedQuery: { version: 1, sha256Hash } } }, token)).body.data
        .equipmentList.totalCount,
    ).toBe(20);
    const other = await graphqlRaw(hub.url, { query: '{ equipmentList(first: 6) { totalCount } }' }, token);
    expect(other.status).toBe(400);
    expect(other.body.errors[0]).toMatchObject({
      extensions: { code: 'OPERATION_NOT_ALLOWED' },
      message: expect.stringMatching(/not on the hub's safelist/),
    });
    const sub = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme") { path } }',
      undefined,
      token,
    );
    await expect(sub.waitFor(() => false, 2000)).rejects.toThrow(/safelist/);
    await sub.close();
  });
});
