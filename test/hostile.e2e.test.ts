import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlRaw, sleep, type TestHub } from './support/harness.js';
import { startHubWithIdp, TestIdentityProvider } from './support/idp.js';
import { countStatements } from './support/plant.js';
import { spawnHub, type HubProcess } from './support/process.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const nest = (depth: number) =>
  `{ equipment(path: "acme") { ${'children { '.repeat(depth)} path ${'} '.repeat(depth)} } }`;

/** Documents built to exhaust a GraphQL server, each with the answer it must get. */
const HOSTILE: [name: string, body: () => unknown, status: number, message: RegExp][] = [
  ['depth 50', () => ({ query: nest(50) }), 400, /Query depth limit of 12 exceeded/],
  [
    '1,000 aliases',
    () => ({ query: `{ viewer { ${Array.from({ length: 1000 }, (_, i) => `a${i}: name`).join(' ')} } }` }),
    400,
    /Aliases limit of 30 exceeded/,
  ],
  [
    'a huge token count',
    () => ({ query: `{ viewer { ${'name '.repeat(20_000)} } }` }),
    400,
    /more than 5000 tokens, the limit/,
  ],
  [
    'a 1,000-operation batch',
    () => Array.from({ length: 1000 }, () => ({ query: '{ viewer { name } }' })),
    400,
    /batching/i,
  ],
  [
    'first: 1000000000',
    () => ({ query: '{ equipmentList(first: 1000000000) { edges { node { path } } } }' }),
    400,
    /Query Cost limit of 100000 exceeded/,
  ],
  [
    'circular fragments',
    () => ({
      query:
        'query { equipment(path: "acme") { ...A } } fragment A on Equipment { children { ...B } } fragment B on Equipment { children { ...A } }',
    }),
    400,
    /Cannot spread fragment "A" within itself via "B"/,
  ],
  [
    'a very long string literal',
    () => ({ query: `{ equipment(path: "${'a'.repeat(500_000)}") { path } }` }),
    400,
    /string of 500000 characters is over the limit of 10000/,
  ],
  [
    'a very long string variable',
    () => ({ query: 'query ($p: String!) { equipment(path: $p) { path } }', variables: { p: 'a'.repeat(500_000) } }),
    400,
    /Variable \$\.p is 500000 characters long/,
  ],
  ['a body over 1 MB', () => 'x'.repeat(1_200_000), 413, /Request body over 1000000 bytes/],
];

describe('hostile queries are rejected quickly, clearly, and before any SQL', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let token: string;
  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 }));
    token = await idp.token({ roles: ['admin@*'] });
    await graphqlRaw(hub.url, { query: '{ viewer { name } }' }, token); // warm up the JWKS cache
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  it.each(HOSTILE)('%s', async (_name, body, status, message) => {
    let response!: Awaited<ReturnType<typeof graphqlRaw>>;
    const started = performance.now();
    const statements = await countStatements(hub, async () => {
      response = await graphqlRaw(hub.url, body(), token);
    });
    const took = performance.now() - started;
    expect(response.status).toBe(status);
    expect(response.body.errors.map((e: { message: string }) => e.message).join('\n')).toMatch(message);
    expect(statements).toBe(0);
    expect(took).toBeLessThan(2000);
  });
});

describe('hostile queries do not grow the hub', () => {
  let idp: TestIdentityProvider;
  let hub: HubProcess;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    hub = await spawnHub(
      {
        PLANTGRAPH_DATA_DIR: 'memory://',
        PLANTGRAPH_SIMULATOR_INTERVAL_MS: '0',
        PLANTGRAPH_RATE_LIMIT_PER_SECOND: '100000',
        PLANTGRAPH_RATE_LIMIT_BURST: '100000',
        PLANTGRAPH_OIDC_ISSUER: idp.issuer,
        PLANTGRAPH_OIDC_AUDIENCE: TestIdentityProvider.audience,
      },
      ['--demo'],
    );
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await idp?.stop();
  });

  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${hub.child.pid}/status`, 'utf8'))![1]) / 1024;

  it('keeps its resident memory flat over 20 rounds of every hostile document', async () => {
    const token = await idp.token({ roles: ['admin@*'] });
    // An oversized upload may see its connection reset once the hub has answered 413.
    const round = () =>
      Promise.all(HOSTILE.map(([, body]) => graphqlRaw(hub.url, body(), token).catch((err: Error) => err)));
    for (let i = 0; i < 3; i++) await round(); // warm-up: caches, JIT
    await sleep(500);
    const before = rssMb();
    for (let i = 0; i < 20; i++) await round();
    await sleep(500);
    const after = rssMb();
    console.log(
      `[hostile] hub RSS ${before.toFixed(0)} MB → ${after.toFixed(0)} MB over 20 rounds of ${HOSTILE.length} documents`,
    );
    expect(after - before).toBeLessThan(64);
  });
});
