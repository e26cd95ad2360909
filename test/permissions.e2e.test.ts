import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Permission, ROLE_PERMISSIONS, Role } from '@plantgraph/schema';
import { graphqlRaw, sleep, subscribe, type TestHub } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const ASSEMBLY_PRESS = 'acme/berlin/assembly/line-1/press-1';
const SCOPES = ['acme', 'acme/berlin/assembly', 'acme/berlin/packaging'] as const;
const within = (path: string, scope: string) => path === scope || path.startsWith(`${scope}/`);
let serial = 0;

/** Each operation, where it acts, what it needs, and how success looks. */
const OPERATIONS: {
  name: string;
  permission: Permission;
  at: string | 'enterprise';
  run: () => { query: string; variables?: object };
  ok: (data: any) => boolean;
}[] = [
  {
    name: 'query equipment',
    permission: Permission.Read,
    at: ASSEMBLY_PRESS,
    run: () => ({ query: `{ equipment(path: "${ASSEMBLY_PRESS}") { path } }` }),
    ok: (d) => d.equipment?.path === ASSEMBLY_PRESS,
  },
  {
    name: 'query lots stored in assembly',
    permission: Permission.Read,
    at: 'acme/berlin/assembly/store-1',
    run: () => ({ query: '{ materialLots { totalCount } }' }),
    ok: (d) => d.materialLots.totalCount === 4,
  },
  {
    name: 'set an equipment state',
    permission: Permission.SetEquipmentState,
    at: ASSEMBLY_PRESS,
    run: () => ({
      query: `mutation { r: setEquipmentState(input: { path: "${ASSEMBLY_PRESS}", state: ${serial++ % 2 ? 'Running' : 'Idle'} }) { __typename } }`,
    }),
    ok: (d) => d.r.__typename === 'Equipment',
  },
  {
    name: 'create equipment',
    permission: Permission.ManageMasterData,
    at: 'acme/berlin/assembly/line-1',
    run: () => ({
      query: `mutation { r: createEquipment(input: { parentPath: "acme/berlin/assembly/line-1", code: "cell-${serial++}", name: "Cell", level: WorkCell }) { __typename } }`,
    }),
    ok: (d) => d.r.__typename === 'Equipment',
  },
  {
    name: 'create an equipment class',
    permission: Permission.ManageMasterData,
    at: 'enterprise',
    run: () => ({ query: `mutation { r: createEquipmentClass(input: { code: "class-${serial++}" }) { __typename } }` }),
    ok: (d) => d.r.__typename === 'EquipmentClass',
  },
  {
    name: 'create a work order',
    permission: Permission.PlanWorkOrders,
    at: 'acme/berlin/assembly/line-1',
    run: () => ({
      query: `mutation { r: createWorkOrder(input: { number: "WO-M${serial++}", productDefinition: "PD-BRACKET-A", quantity: 5, equipment: "acme/berlin/assembly/line-1" }) { __typename } }`,
    }),
    ok: (d) => d.r.__typename === 'WorkOrder',
  },
  {
    name: 'create an API key',
    permission: Permission.ManageKeys,
    at: 'acme/berlin/assembly',
    run: () => ({
      query: `mutation { r: createApiKey(input: { name: "k${serial++}", grants: [{ role: Operator, scope: "acme/berlin/assembly" }] }) { __typename } }`,
    }),
    ok: (d) => d.r.__typename === 'CreatedApiKey',
  },
];

/** Whether a role held at a scope should be allowed the operation, by the documented role table. */
function expected(role: Role, scope: string, op: (typeof OPERATIONS)[number]): boolean {
  if (!ROLE_PERMISSIONS[role].includes(op.permission)) return false;
  return op.at === 'enterprise' ? !scope.includes('/') : within(op.at, scope);
}

describe('permission matrix: every role at every scope against queries, mutations and subscriptions', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 }));
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  const cases = Object.values(Role).flatMap((role) =>
    SCOPES.flatMap((scope) => OPERATIONS.map((op) => [role, scope, op.name, op] as const)),
  );
  it.each(cases)('%s at %s: %s', async (role, scope, _name, op) => {
    const token = await idp.token({ sub: `${role}-${scope}`, roles: [`${role}@${scope}`] });
    const { query } = op.run();
    const { body } = await graphqlRaw(hub.url, { query }, token);
    const allowed = !body.errors && op.ok(body.data);
    expect(allowed, JSON.stringify(body)).toBe(expected(role, scope, op));
    if (!allowed && body.errors) expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it.each(SCOPES)('a subscriber at %s gets the state changes of its scope only', async (scope) => {
    const token = await idp.token({ roles: [`operator@${scope}`] });
    const sub = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme") { path } }',
      undefined,
      token,
    );
    const admin = await idp.token({ roles: ['admin@*'] });
    const paths = ['acme/berlin/assembly/line-2/press-3', 'acme/berlin/packaging/line-3/filler-1'];
    for (const path of paths) {
      await graphqlRaw(
        hub.url,
        {
          query: `mutation { setEquipmentState(input: { path: "${path}", state: Down, reason: "SCOPE_TEST_${scope}" }) { __typename } }`,
        },
        admin,
      );
    }
    const visible = paths.filter((p) => within(p, scope));
    await sub.waitFor(() => sub.received.length >= visible.length);
    await sleep(300);
    expect(sub.received.map((e) => e.data.equipmentStateChanged.path)).toEqual(visible);
    await sub.close();
    for (const path of paths)
      await graphqlRaw(
        hub.url,
        { query: `mutation { setEquipmentState(input: { path: "${path}", state: Idle }) { __typename } }` },
        admin,
      );
  });

  it('refuses a subscription to a principal that may read nothing', async () => {
    const token = await idp.token({ roles: ['ghost@acme', 'operator@not a path'] }); // grants nothing
    const sub = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme") { path } }',
      undefined,
      token,
    );
    await expect(sub.waitFor(() => false, 2000)).rejects.toThrow(/not allowed/);
    await sub.close();
  });
});
