import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, graphqlRaw, startTestHub, type TestHub } from './support/harness.js';
import { RESULT, countStatements } from './support/plant.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const LINE = 'acme/berlin/assembly/reads-line';
const OTHER = 'acme/berlin/assembly/reads-other';
const MACHINES = 20;
const STATES = ['Running', 'Idle', 'Running'];
const machine = (i: number) => `${LINE}/m-${String(i).padStart(2, '0')}`;

/** `first` machines of the line, each with a page of its state history. */
const machinesWithHistory = (first: number, page: string, extra = '') =>
  `{ equipmentList(first: ${first}, filter: { pathPrefix: "${LINE}", level: [WorkCell] }) { edges { node { path
     stateHistory(${page}) { ${extra} pageInfo { hasNextPage endCursor } edges { node { state previousState at } } } } } } }`;

/** Nested reads: a nested connection costs the same statements for 2 parents as for 20 (issue 15). */
describe.each(MODES)('nested reads (%s)', (mode) => {
  let hub: TestHub;
  const ok = (r: Record<string, unknown>) => {
    expect(JSON.stringify(r)).not.toContain('"code"');
  };
  // A warm-up first, so the API key's check and its last-use record are not counted. By default on
  // the resolver path (`extensions: {}` keeps an operation from the read compiler, ADR 0031).
  // The fewest of three runs: the hub's own timers (leases, live OEE, connectors) run statements that
  // may fall inside one request's window; they only ever add, so the fewest is the request's own.
  const statements = async (query: string, path: 'resolvers' | 'compiled' = 'resolvers') => {
    const body = { query, ...(path === 'resolvers' ? { extensions: {} } : {}) };
    let fewest = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      await hub.gql('{ viewer { name } }');
      const answered = hub.reads.answered;
      const count = await countStatements(hub, async () =>
        expect((await graphqlRaw(hub.url, body, hub.localAdminToken!)).body.errors).toBeUndefined(),
      );
      expect(hub.reads.answered - answered).toBe(path === 'compiled' ? 1 : 0);
      fewest = Math.min(fewest, count);
    }
    return fewest;
  };

  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
    const create = (inputs: object[]) =>
      hub.gql(
        `mutation (${inputs.map((_, i) => `$i${i}: CreateEquipmentInput!`).join(', ')}) {
          ${inputs.map((_, i) => `e${i}: createEquipment(input: $i${i}) { ${RESULT} }`).join('\n')} }`,
        Object.fromEntries(inputs.map((input, i) => [`i${i}`, input])),
      );
    for (const path of [LINE, OTHER])
      ok(
        await create([
          { parentPath: 'acme/berlin/assembly', code: path.split('/').at(-1), name: path, level: 'ProductionLine' },
        ]),
      );
    const codes = Array.from(
      { length: MACHINES },
      (_, i) =>
        machine(i + 1)
          .split('/')
          .at(-1)!,
    );
    ok(await create(codes.map((code) => ({ parentPath: LINE, code, name: code, level: 'WorkCell' }))));
    ok(await create([{ parentPath: OTHER, code: 'm-01', name: 'other', level: 'WorkCell' }]));
    for (const state of STATES) {
      const paths = [...codes.map((c) => `${LINE}/${c}`), `${OTHER}/m-01`];
      ok(
        await hub.gql(
          `mutation { ${paths.map((p, i) => `s${i}: setEquipmentState(input: { path: "${p}", state: ${state} }) { ${RESULT} }`).join('\n')} }`,
        ),
      );
    }
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('runs as many statements for 20 parents as for 2, with and without totalCount', async () => {
    const two = await statements(machinesWithHistory(2, 'first: 2'));
    const twenty = await statements(machinesWithHistory(20, 'first: 2'));
    expect(twenty).toBe(two);
    expect(two).toBeLessThanOrEqual(2);
    const countedTwo = await statements(machinesWithHistory(2, 'first: 2', 'totalCount'));
    const countedTwenty = await statements(machinesWithHistory(20, 'first: 2', 'totalCount'));
    expect(countedTwenty).toBe(countedTwo);
    // Counting is one more statement for all the parents, and only when totalCount is asked for.
    expect(countedTwo).toBe(two + 1);
    // Compiled, each is one statement.
    for (const [first, extra] of [
      [2, ''],
      [20, ''],
      [20, 'totalCount'],
    ] as const)
      expect(await statements(machinesWithHistory(first, 'first: 2', extra), 'compiled')).toBe(1);
  });

  it('answers each nested page as the machine alone would, newest first, and pages on by its cursor', async () => {
    const nested = await hub.gql(machinesWithHistory(20, 'first: 2', 'totalCount'));
    expect(nested.equipmentList.edges).toHaveLength(MACHINES);
    for (const { node } of nested.equipmentList.edges) {
      const alone = await hub.gql(
        `query ($p: String!) { equipment(path: $p) { stateHistory(first: 2) { totalCount
          pageInfo { hasNextPage endCursor } edges { node { state previousState at } } } } }`,
        { p: node.path },
      );
      expect(node.stateHistory).toEqual(alone.equipment.stateHistory);
      expect(node.stateHistory.totalCount).toBe(STATES.length);
      expect(node.stateHistory.edges.map((e: any) => e.node.state)).toEqual(['Running', 'Idle']);
      expect(node.stateHistory.pageInfo.hasNextPage).toBe(true);
    }
    const after = nested.equipmentList.edges[0].node.stateHistory.pageInfo.endCursor;
    const next = await hub.gql(machinesWithHistory(3, `first: 2, after: "${after}"`));
    // The cursor belongs to the first machine's list; its next page holds the oldest change.
    expect(next.equipmentList.edges[0].node.stateHistory.edges.map((e: any) => e.node.state)).toEqual(['Running']);
    expect(next.equipmentList.edges[0].node.stateHistory.pageInfo.hasNextPage).toBe(false);
  });

  it('keeps a scoped caller to its scope, in lists and nested pages alike', async () => {
    const { createApiKey } = await hub.gql(
      `mutation { createApiKey(input: { name: "reads-scoped", grants: [{ role: Operator, scope: "${OTHER}" }] }) {
        ... on CreatedApiKey { secret } } }`,
    );
    const { body } = await graphqlRaw(
      hub.url,
      {
        query: `{ equipmentList(first: 50) { totalCount edges { node { path stateHistory(first: 5) { totalCount } } } }
          line: equipment(path: "${LINE}") { path }
          workOrders(first: 50) { totalCount edges { node { number } } } }`,
      },
      createApiKey.secret,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.equipmentList.edges.map((e: any) => e.node.path)).toEqual([OTHER, `${OTHER}/m-01`]);
    expect(body.data.equipmentList.totalCount).toBe(2);
    expect(body.data.equipmentList.edges[1].node.stateHistory.totalCount).toBe(STATES.length);
    expect(body.data.line).toBeNull();
    expect(body.data.workOrders).toEqual({ totalCount: 0, edges: [] });
  });

  it('lists work orders with their relations in one statement, leaving out unasked JSONB only where unasked', async () => {
    const query = `{ workOrders(first: 50) { edges { node { number quantity
      productDefinitionVersion { version productDefinition { code } } equipment { path } } } } }`;
    expect(await statements(query)).toBe(1);
    const data = await hub.gql(`${query.slice(0, -1)}
      one: workOrder(number: "WO-1001") { assignments { segment } productDefinitionVersion { segments { code } }
        equipment { properties { name } } } }`);
    expect(data.workOrders.edges.map((e: any) => [e.node.number, e.node.equipment.path])).toEqual([
      ['WO-1001', 'acme/berlin/assembly/line-1'],
      ['WO-1002', 'acme/berlin/assembly/line-2'],
    ]);
    expect(data.workOrders.edges[0].node.productDefinitionVersion).toEqual({
      version: 1,
      productDefinition: { code: 'PD-BRACKET-A' },
    });
    // The same records, read in full in the same request, come with their JSONB columns.
    const alone = await hub.gql(`{ one: workOrder(number: "WO-1001") { assignments { segment }
      productDefinitionVersion { segments { code } } equipment { properties { name } } } }`);
    expect(data.one).toEqual(alone.one);
    expect(alone.one.productDefinitionVersion.segments.length).toBeGreaterThan(0);
  });
});
