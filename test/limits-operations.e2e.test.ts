import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlRaw, MODES, startTestHub, type TestHub, testLimits } from './support/harness.js';
import { TestIdentityProvider } from './support/idp.js';
import { countStatements } from './support/plant.js';
import { wsErrors, wsOperation, wsRequest } from './support/raw-ws.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LIMITS = testLimits();

/** Two nested pages: at `first: 500` each, about 13.7 M by the cost model; at 5, a few hundred. */
const NESTED_PAGES = (first: string) => `{ equipmentList(first: ${first}) { edges { node {
  path stateHistory(first: ${first}) { edges { node { state at } } } } } } }`;
const WITH_VARIABLE = `query ($n: Int!) ${NESTED_PAGES('$n')}`;
/** Without `first` each page holds its default 50 nodes, and costs as much. */
const DEFAULT_PAGES = '{ equipmentList { edges { node { path stateHistory { edges { node { state at } } } } } } }';
/** `[[[…]]]`, as JSON text: no serialiser has to survive building it. */
const deeplyNested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const DEEP_VARIABLES =
  '{"query":"query ($p: String!) { equipment(path: $p) { path } }",' +
  `"variables":{"p":"acme","deep":{"list":${deeplyNested(300_000)}}}}`;
const messages = (body: { errors: { message: string }[] }) => body.errors.map((e) => e.message).join('\n');

describe.each(MODES)('operation limits over HTTP and WebSocket alike (%s)', (mode) => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let token: string;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    hub = await startTestHub(mode, { production: true, auth: { enabled: true, oidc: idp.oidc }, limits: LIMITS });
    token = await idp.token({ roles: ['admin@*'] });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await idp?.stop();
  });

  it('costs `first: $n` as the literal `first`, and refuses it before any SQL', async () => {
    const literal = await graphqlRaw(hub.url, { query: NESTED_PAGES('500') }, token);
    expect(literal.status).toBe(400);
    expect(literal.body.errors[0].message).toMatch(/Query Cost limit of 100000 exceeded/);

    let viaVariable!: Awaited<ReturnType<typeof graphqlRaw>>;
    const statements = await countStatements(hub, async () => {
      viaVariable = await graphqlRaw(hub.url, { query: WITH_VARIABLE, variables: { n: 500 } }, token);
    });
    expect(viaVariable.status).toBe(400);
    expect(viaVariable.body.errors[0]).toMatchObject({
      message: expect.stringMatching(/Query Cost limit of 100000 exceeded, found \d{8}/),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(statements).toBe(0);
    const overWs = await wsRequest(hub.url, token, { query: WITH_VARIABLE, variables: { n: 500 } });
    expect(wsErrors(overWs)).toMatch(/Query Cost limit of 100000 exceeded/);

    // Small pages run, on both transports.
    const small = { query: WITH_VARIABLE, variables: { n: 5 } };
    expect((await graphqlRaw(hub.url, small, token)).body.data.equipmentList.edges).toEqual([]);
    const smallOverWs = await wsRequest(hub.url, token, small);
    expect(smallOverWs).toMatchObject({ type: 'next', payload: { data: { equipmentList: { edges: [] } } } });
  });

  it('costs an omitted `first` at its default page size', async () => {
    const omitted = await graphqlRaw(hub.url, { query: DEFAULT_PAGES }, token);
    expect(omitted.body.errors?.[0]?.message).toMatch(/Query Cost limit of 100000 exceeded/);
    const asDefault = DEFAULT_PAGES.replace(/(equipmentList|stateHistory)/g, '$1(first: 50)');
    expect(messages((await graphqlRaw(hub.url, { query: asDefault }, token)).body)).toBe(messages(omitted.body));
  });

  it('answers no introspection and suggests no field names in production, on either transport', async () => {
    const typo = '{ equipmentLis { totalCount } }';
    const overHttp = [
      await graphqlRaw(hub.url, { query: getIntrospectionQuery() }, token),
      await graphqlRaw(hub.url, { query: typo }, token),
    ];
    expect(overHttp.map((r) => r.status)).toEqual([400, 400]);
    const [introspection, suggestion] = overHttp.map((r) => messages(r.body));
    expect(introspection).toMatch(/introspection is not allowed/i);
    expect(suggestion).toBe('Cannot query field "equipmentLis" on type "Query".');
    expect(wsErrors(await wsRequest(hub.url, token, { query: getIntrospectionQuery() }))).toBe(introspection);
    expect(wsErrors(await wsRequest(hub.url, token, { query: typo }))).toBe(suggestion);
    // Nor through a bad enum value in the variables ("Did you mean …" is the same leak).
    const badEnum = {
      query: 'query ($l: [EquipmentLevel!]) { equipmentList(filter: { level: $l }) { totalCount } }',
      variables: { l: ['WorkCel'] },
    };
    const enumOverHttp = await graphqlRaw(hub.url, badEnum, token);
    expect(enumOverHttp.body.errors[0].message).toMatch(/"WorkCel" does not exist in "EquipmentLevel" enum\.$/);
    expect(wsErrors(await wsRequest(hub.url, token, badEnum))).toBe(enumOverHttp.body.errors[0].message);
  });

  it('refuses variables nested 300,000 deep as a limit, on both transports', async () => {
    const overHttp = await graphqlRaw(hub.url, DEEP_VARIABLES, token);
    expect(overHttp.status).toBe(400);
    expect(overHttp.body.errors[0]).toMatchObject({
      message: expect.stringMatching(/Variable \$\.deep is nested deeper than 32 levels, the limit/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(wsErrors(await wsOperation(hub.url, token, DEEP_VARIABLES))).toBe(overHttp.body.errors[0].message);
    // Still serving.
    expect((await graphqlRaw(hub.url, { query: '{ viewer { name } }' }, token)).status).toBe(200);
  });
});
