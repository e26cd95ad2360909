import { parse, getOperationAST } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Principal } from '@plantgraph/hub';
import { MODES, startTestHub, type TestHub } from './support/harness.js';
import { RESULT, countStatements } from './support/plant.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LINE = 'acme/berlin/assembly/line-1';
const MACHINE = `${LINE}/press-1`;
/** Text the JSON encoders of PostgreSQL and JavaScript must agree on. */
const AWKWARD = 'jam "at" the\\feeder\nline\ttwo ü € 😀 \u0001';

const SHAPE_A = 'query ($p: String!) { equipment(path: $p) { path name level state stateSince } }';
const SHAPE_B = `query ($p: String!) { equipment(path: $p) { path name children { path state
  stateHistory(first: 5) { edges { node { state previousState reason at } } } } } }`;
const SHAPE_C = `{ workOrders(first: 50) { edges { node { number state quantity
  productDefinitionVersion { version state productDefinition { code name } } equipment { path name } } } } }`;
const FRAGMENTS = `query Named($p: String!, $n: Int!) {
  a: equipment(path: $p) { ...Place kids: children { __typename id ...Place } }
  b: equipment(path: "acme") { code __typename }
  hidden: equipment(path: "no/such/place") { path }
  ... on Query { again: equipment(path: $p) { name } }
  history: equipment(path: $p) { stateHistory(first: $n) { ...Page } } }
fragment Place on Equipment { path code createdAt updatedAt stateReason lastReportedAt conditionReason
  conditionSetBy conditionDueAt parent { path parent { code } } }
fragment Page on EquipmentStateChangeConnection { totalCount pageInfo { hasNextPage hasPreviousPage startCursor
  endCursor __typename } edges { cursor __typename node { id path state previousState reason at source sequence applied } } }
query Other { workOrders(first: 1) { totalCount } }`;
const ORDERS = `query ($first: Int!, $after: String) { workOrders(first: $first, after: $after) { totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id number state quantity
  unitOfMeasure plannedStart plannedEnd externalReference stateChangedAt actualStart
  productDefinitionVersion { id version changeNote productDefinition { id code name } }
  equipment { path parent { path } } } } } }`;
const LIST = `query ($first: Int!, $after: String, $filter: EquipmentFilter) {
  equipmentList(first: $first, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { path level state stateHistory(first: 2) { totalCount edges { node { state } } } } } } }`;
const ORDER = `query ($n: String!) { workOrder(number: $n) { number state equipment { path }
  productDefinitionVersion { version } } }`;
const HISTORY = `query ($p: String!, $first: Int!, $after: String) { equipment(path: $p) { stateHistory(first: $first,
  after: $after) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id at } } } } }`;

/**
 * Compiled reads (ADR 0031) answer exactly as the resolvers do: every operation below is sent as
 * is (compiled when the compiler covers it) and again with `extensions: {}` (which always takes
 * Apollo and the resolvers), as principals of different scopes, and the bodies must be byte-equal.
 */
describe.each(MODES)('compiled reads (%s)', (mode) => {
  let hub: TestHub;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
    for (const [state, reason] of [
      ['Down', AWKWARD],
      ['Running', null],
      ['Idle', null],
      ['Down', 'JAM'],
      ['Running', null],
      ['Idle', null],
      ['Running', null],
    ])
      expect(
        JSON.stringify(
          await hub.gql(
            `mutation ($r: String) { setEquipmentState(input: { path: "${MACHINE}", state: ${state}, reason: $r }) { ${RESULT} } }`,
            { r: reason },
          ),
        ),
      ).not.toContain('"code"');
    for (const [number, line, quantity] of [
      ['WO-2001.a:b/c_d', LINE, 12.5],
      ['WO-2002', 'acme/berlin/assembly/line-2', 0.1],
      ['WO-2003', LINE, 1e6],
    ] as const)
      expect(
        JSON.stringify(
          await hub.gql(`mutation ($i: CreateWorkOrderInput!) { createWorkOrder(input: $i) { ${RESULT} } }`, {
            i: { number, productDefinition: 'PD-BRACKET-A', quantity, equipment: line },
          }),
        ),
      ).not.toContain('"code"');
    // A time with microseconds: both paths must cut it to the millisecond the same way.
    await hub.db.em
      .fork()
      .getConnection()
      .execute(`update equipment set last_reported_at = '2026-01-02 03:04:05.678999+00' where path = '${MACHINE}'`);
    keys.admin = hub.localAdminToken!;
    for (const [name, role, scope] of [
      ['line-operator', 'Operator', LINE],
      ['packaging', 'Supervisor', 'acme/berlin/packaging'],
      ['enterprise', 'Quality', 'acme'],
    ]) {
      const { createApiKey } = await hub.gql(
        `mutation { createApiKey(input: { name: "${name}", grants: [{ role: ${role}, scope: "${scope}" }] }) {
          ... on CreatedApiKey { secret } } }`,
      );
      keys[name] = createApiKey.secret;
    }
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  const post = async (key: string, body: object, accept = '*/*') => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${keys[key]}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  /** Both paths' answers for one request; `compiled` says whether the read compiler answered it. */
  const both = async (key: string, body: object) => {
    const before = hub.reads.answered;
    const fast = await post(key, body);
    const compiled = hub.reads.answered > before;
    const resolved = await post(key, { ...body, extensions: {} });
    expect(hub.reads.answered).toBe(before + (compiled ? 1 : 0));
    expect(fast).toEqual(resolved);
    return { compiled, body: JSON.parse(fast.text) };
  };

  it.each(Object.keys({ admin: 0, 'line-operator': 0, packaging: 0, enterprise: 0 }))(
    'answers the benchmark shapes, aliases, fragments and pages as the resolvers do (%s)',
    async (key) => {
      for (const p of ['acme/berlin/assembly', LINE, MACHINE, 'acme/berlin/packaging', 'acme', 'nowhere']) {
        expect((await both(key, { query: SHAPE_A, variables: { p } })).compiled).toBe(true);
        expect((await both(key, { query: SHAPE_B, variables: { p } })).compiled).toBe(true);
        for (const n of [1, 3, 50])
          expect((await both(key, { query: FRAGMENTS, variables: { p, n }, operationName: 'Named' })).compiled).toBe(
            true,
          );
      }
      const c = await both(key, { query: SHAPE_C });
      expect(c.compiled).toBe(true);
      expect(await both(key, { query: FRAGMENTS, operationName: 'Other' })).toMatchObject({ compiled: true });
      for (const n of ['WO-1001', 'WO-1002', 'WO-2001.a:b/c_d', 'WO-none'])
        expect((await both(key, { query: ORDER, variables: { n } })).compiled).toBe(true);
      // Paging on through every page of the lists and of a machine's history, by each page's endCursor.
      for (const [query, variables, list] of [
        [ORDERS, { first: 2 }, (d: any) => d.workOrders],
        [HISTORY, { p: MACHINE, first: 3 }, (d: any) => d.equipment?.stateHistory],
        [LIST, { first: 7 }, (d: any) => d.equipmentList],
        [
          LIST,
          { first: 3, filter: { pathPrefix: 'acme/berlin/assembly', level: ['WorkCell'] } },
          (d: any) => d.equipmentList,
        ],
        [LIST, { first: 5, filter: { pathPrefix: '', state: ['Running', 'Idle'] } }, (d: any) => d.equipmentList],
        [LIST, { first: 5, filter: { pathPrefix: 'acme/berlin/pack' } }, (d: any) => d.equipmentList],
      ] as const) {
        let after: string | null = null;
        for (let page = 0; page < 10; page++) {
          const { compiled, body } = await both(key, { query, variables: { ...variables, after } });
          expect(compiled).toBe(true);
          const found = list(body.data);
          if (!found?.pageInfo.hasNextPage) break;
          after = found.pageInfo.endCursor;
        }
      }
    },
  );

  it('answers each benchmark shape in one statement, whatever the nesting', async () => {
    await post('admin', { query: SHAPE_A, variables: { p: LINE } }); // the key's check and last use, not counted
    for (const [query, variables, operationName] of [
      [SHAPE_A, { p: MACHINE }, null],
      [SHAPE_B, { p: LINE }, null],
      [SHAPE_C, {}, null],
      [FRAGMENTS, { p: MACHINE, n: 50 }, 'Named'],
    ] as const) {
      const before = hub.reads.answered;
      expect(await countStatements(hub, () => post('admin', { query, variables, operationName }))).toBe(1);
      expect(hub.reads.answered).toBe(before + 1);
    }
  });

  it('sees what each scope may see, and nothing else', async () => {
    const machine = (
      await both('admin', { query: FRAGMENTS, variables: { p: MACHINE, n: 50 }, operationName: 'Named' })
    ).body.data;
    expect(machine.history.stateHistory.edges.map((e: any) => e.node.reason)).toContain(AWKWARD);
    expect(machine.a.lastReportedAt).toBe('2026-01-02T03:04:05.678Z');
    const lineOnly = (await both('line-operator', { query: SHAPE_C })).body.data.workOrders.edges;
    expect(lineOnly.length).toBeGreaterThan(0);
    expect(lineOnly.every((e: any) => e.node.equipment.path === LINE)).toBe(true);
    expect((await both('packaging', { query: SHAPE_C })).body.data.workOrders.edges).toEqual([]);
    expect((await both('line-operator', { query: SHAPE_A, variables: { p: 'acme' } })).body.data.equipment).toBeNull();
    const line = (
      await both('line-operator', { query: FRAGMENTS, variables: { p: LINE, n: 2 }, operationName: 'Named' })
    ).body.data;
    // The line's parent is out of the key's scope: null, as the loader answers.
    expect(line.a.parent).toBeNull();
    expect(line.a.kids.length).toBeGreaterThan(0);
  });

  it('leaves to the resolvers what it does not cover, and their errors', async () => {
    for (const [body, why] of [
      [{ query: '{ equipment(path: "acme") { properties { name } } }' }, 'a JSON column'],
      [{ query: '{ equipment(path: "acme") { equipmentClass { code } path } }' }, 'a field it does not know'],
      [{ query: `{ workOrders(first: 5, filter: { state: [Draft] }) { totalCount } }` }, 'a filter'],
      [{ query: `{ equipmentList(first: 5, filter: { equipmentClass: "robot" }) { totalCount } }` }, 'a class filter'],
      [{ query: '{ workOrders(first: 0) { totalCount } }' }, 'a page size the resolvers refuse'],
      [{ query: '{ workOrders(first: 501) { totalCount } }' }, 'a page size the resolvers refuse'],
      [{ query: '{ workOrders(first: 5, after: "bm90LWEtY3Vyc29y") { totalCount } }' }, 'a foreign cursor'],
      [{ query: '{ workOrders(first: 5, after: "WzUsInh5eiJd") { totalCount } }' }, 'a cursor of another list'],
      [{ query: `{ equipment(path: "${LINE}") { stateHistory(after: "%%%") { totalCount } } }` }, 'a bad cursor'],
      [
        { query: 'query ($s: Boolean!) { equipment(path: "acme") { path @include(if: $s) } }', variables: { s: true } },
        'a directive',
      ],
      [
        { query: '{ equipment(path: "acme") { stateHistory { edges { node { equipment { path } cursor } } } } }' },
        'resolver fields',
      ],
      [
        { query: 'mutation { setEquipmentState(input: { path: "nowhere", state: Idle }) { __typename } }' },
        'a mutation',
      ],
      [{ query: '{ equipment(path: 1) { path } }' }, 'an invalid operation'],
      [{ query: 'query ($p: String!) { equipment(path: $p) { path } }', variables: {} }, 'a missing variable'],
    ] as const) {
      const result = await both('line-operator', body);
      expect(result.compiled, why).toBe(false);
    }
  });

  it("leaves Apollo's content negotiation to Apollo", async () => {
    for (const [accept, type] of [
      ['application/graphql-response+json,application/json;q=0.9', 'application/graphql-response+json; charset=utf-8'],
      ['application/json;q=0.5, */*', 'application/graphql-response+json; charset=utf-8'],
      ['application/json', 'application/json; charset=utf-8'],
    ]) {
      const before = hub.reads.answered;
      const res = await post('admin', { query: SHAPE_A, variables: { p: LINE } }, accept);
      expect(res.type).toBe(type);
      expect(hub.reads.answered).toBe(before + (type.startsWith('application/json') ? 1 : 0));
    }
  });

  it('leaves fields a principal may not use to the resolvers, which refuse them as before', async () => {
    const document = parse(SHAPE_B);
    const op = {
      source: SHAPE_B,
      operationName: null,
      document,
      operation: getOperationAST(document)!,
      variables: { p: LINE },
    };
    const nobody = new Principal('nobody', 'user', []);
    expect(await hub.reads.answer(nobody, op)).toBeNull();
    const reader = new Principal('reader', 'user', [{ role: 'operator', scope: LINE } as never]);
    expect(await hub.reads.answer(reader, op)).toContain(`"path":"${LINE}"`);
  });
});

/** A caller whose token grants nothing: the compiled path declines and the resolvers refuse, as before. */
describe('compiled reads for a principal that may read nothing', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 }));
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers with the refusal the resolvers give, from the resolvers', async () => {
    const token = await idp.token({ roles: ['ghost@acme', 'operator@not a path'] }); // grants nothing
    const reader = await idp.token({ roles: [`operator@${LINE}`] });
    const post = async (auth: string, body: object) => {
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };
    for (const [query, variables] of [
      [SHAPE_A, { p: LINE }],
      [SHAPE_B, { p: LINE }],
      [SHAPE_C, {}],
    ] as const) {
      const before = hub.reads.answered;
      const fast = await post(token, { query, variables });
      expect(hub.reads.answered).toBe(before);
      expect(fast).toEqual(await post(token, { query, variables, extensions: {} }));
      expect(JSON.parse(fast.text).errors[0].extensions.code).toBe('FORBIDDEN');
      // The same operation for a caller who may read is answered in SQL.
      await post(reader, { query, variables });
      expect(hub.reads.answered).toBe(before + 1);
    }
  });
});
