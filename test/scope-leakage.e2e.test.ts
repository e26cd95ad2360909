import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlRaw, sleep, subscribe, type TestHub } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';

/**
 * A supervisor of the packaging area tries to learn about the assembly area every way the schema
 * allows. Each attempt must look exactly like asking about something that does not exist.
 */
describe('scope leakage: packaging sees nothing of assembly', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let token: string;
  const ask = async (query: string, variables?: object) => {
    const { body } = await graphqlRaw(hub.url, { query, variables }, token);
    return body;
  };

  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 }));
    token = await idp.token({ sub: 'pack-lead', roles: ['supervisor@acme/berlin/packaging', 'engineer@acme/berlin/packaging'] });
  });
  afterAll(() => hub?.stop());

  it('by path and by key: the same null as for things that do not exist', async () => {
    const body = await ask(`{
      press: equipment(path: "acme/berlin/assembly/line-1/press-1") { path }
      site: equipment(path: "acme/berlin") { path }
      lot: materialLot(lotNumber: "L-COIL-0001") { lotNumber }
      person: person(employeeId: "E1001") { name }
      order: workOrder(number: "WO-1001") { number }
      own: equipment(path: "acme/berlin/packaging/line-3") { path }
    }`);
    expect(body.data).toEqual({ press: null, site: null, lot: null, person: null, order: null, own: { path: 'acme/berlin/packaging/line-3' } });
  });

  it('in lists and counts, whatever the filter', async () => {
    const body = await ask(`{
      all: equipmentList(first: 500) { totalCount edges { node { path } } }
      assembly: equipmentList(filter: { pathPrefix: "acme/berlin/assembly" }) { totalCount }
      presses: equipmentList(filter: { equipmentClass: "hydraulic-press" }) { totalCount }
      lots: materialLots { totalCount }
      people: persons { totalCount edges { node { employeeId } } }
      qualified: persons(filter: { qualifiedFor: "press-setup" }) { totalCount }
      orders: workOrders { totalCount }
    }`);
    expect(body.data.all.totalCount).toBe(7);
    expect(body.data.all.edges.every((e: any) => e.node.path.startsWith('acme/berlin/packaging'))).toBe(true);
    expect(body.data).toMatchObject({ assembly: { totalCount: 0 }, presses: { totalCount: 0 }, lots: { totalCount: 0 }, qualified: { totalCount: 0 }, orders: { totalCount: 0 } });
    expect(body.data.people).toEqual({ totalCount: 1, edges: [{ node: { employeeId: 'E2002' } }] });
  });

  it('in shift calendars: those above and within its scope, never another area\'s', async () => {
    const admin = await idp.token({ sub: 'plant-admin', roles: ['admin@acme'] });
    for (const scope of ['acme/berlin/assembly', 'acme/berlin/packaging']) {
      const set = await graphqlRaw(hub.url, { query: `mutation { setShiftCalendar(input: { scope: "${scope}", timeZone: "UTC", shifts: [{ name: "Day", start: "06:00", end: "14:00" }] }) { __typename } }` }, admin);
      expect(set.body.data.setShiftCalendar.__typename).toBe('ShiftCalendar');
    }
    const all = await graphqlRaw(hub.url, { query: '{ shiftCalendars { scope } }' }, admin);
    expect(all.body.data.shiftCalendars.map((c: { scope: string }) => c.scope)).toContain('acme/berlin/assembly');
    const body = await ask('{ shiftCalendars { scope } }');
    const scopes = body.data.shiftCalendars.map((c: { scope: string }) => c.scope);
    expect(scopes).toContain('acme/berlin/packaging');
    expect(scopes).not.toContain('acme/berlin/assembly');
    expect(scopes.every((s: string) => 'acme/berlin/packaging'.startsWith(s))).toBe(true);
  });

  it('through nested fields', async () => {
    const body = await ask(`{ equipment(path: "acme/berlin/packaging") { parent { path } children { path parent { path parent { path } } } } }`);
    expect(body.data.equipment.parent).toBeNull();
    expect(body.data.equipment.children[0]).toEqual({ path: 'acme/berlin/packaging/line-3', parent: { path: 'acme/berlin/packaging', parent: null } });
  });

  it('through mutations: out-of-scope targets fail exactly like missing ones', async () => {
    const pairs: [string, string][] = [
      ['mutation { r: updateEquipment(path: "acme/berlin/assembly/line-1", input: { name: "x" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: updateEquipment(path: "acme/berlin/nowhere/line-1", input: { name: "x" }) { __typename ... on ErrorResult { code } } }'],
      ['mutation { r: createEquipment(input: { parentPath: "acme/berlin/assembly/line-1", code: "x", name: "x", level: WorkCell }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: createEquipment(input: { parentPath: "acme/berlin/nowhere/line-1", code: "x", name: "x", level: WorkCell }) { __typename ... on ErrorResult { code } } }'],
      ['mutation { r: setEquipmentState(input: { path: "acme/berlin/assembly/line-1/press-1", state: Idle }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: setEquipmentState(input: { path: "acme/berlin/nowhere/press-1", state: Idle }) { __typename ... on ErrorResult { code } } }'],
      ['mutation { r: updateEquipment(path: "acme/berlin/packaging/line-3", input: { parentPath: "acme/berlin/assembly" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: updateEquipment(path: "acme/berlin/packaging/line-3", input: { parentPath: "acme/berlin/nowhere" }) { __typename ... on ErrorResult { code } } }'],
      ['mutation { r: createWorkOrder(input: { number: "WO-X", productDefinition: "PD-BRACKET-A", quantity: 1, equipment: "acme/berlin/assembly/line-1" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: createWorkOrder(input: { number: "WO-X", productDefinition: "PD-BRACKET-A", quantity: 1, equipment: "acme/berlin/nowhere/line-1" }) { __typename ... on ErrorResult { code } } }'],
      ['mutation { r: updateMaterialLot(lotNumber: "L-COIL-0001", input: { status: Rejected }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: updateMaterialLot(lotNumber: "L-NOWHERE", input: { status: Rejected }) { __typename ... on ErrorResult { code } } }'],
      ['mutation { r: createMaterialSublot(input: { sublotNumber: "S-X", lot: "L-COIL-0001", quantity: 1 }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: createMaterialSublot(input: { sublotNumber: "S-X", lot: "L-NOWHERE", quantity: 1 }) { __typename ... on ErrorResult { code } } }'],
      ['mutation { r: recordQualification(input: { employeeId: "E1001", code: "x", trainedAt: "2026-01-01T00:00:00Z" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: recordQualification(input: { employeeId: "E9999", code: "x", trainedAt: "2026-01-01T00:00:00Z" }) { __typename ... on ErrorResult { code } } }'],
      ['mutation { r: updatePerson(employeeId: "E1001", input: { name: "x" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: updatePerson(employeeId: "E9999", input: { name: "x" }) { __typename ... on ErrorResult { code } } }'],
    ];
    for (const [outOfScope, missing] of pairs) {
      const [a, b] = [await ask(outOfScope), await ask(missing)];
      expect(a.errors, outOfScope).toBeUndefined();
      expect(a.data.r, outOfScope).toEqual(b.data.r);
    }
    const untouched = await graphqlRaw(hub.url, { query: '{ equipment(path: "acme/berlin/assembly/line-1/press-1") { state } materialLot(lotNumber: "L-COIL-0001") { status } }' }, await idp.token({ roles: ['admin@*'] }));
    expect(untouched.body.data).toEqual({ equipment: { state: 'Offline' }, materialLot: { status: 'Released' } });
  });

  it('through subscriptions, even to a wider scope', async () => {
    const sub = await subscribe(hub.url, 'subscription { equipmentStateChanged(scope: "acme/berlin") { path } }', undefined, token);
    const admin = await idp.token({ roles: ['admin@*'] });
    await graphqlRaw(hub.url, { query: 'mutation { setEquipmentState(input: { path: "acme/berlin/assembly/line-2/tester-1", state: Running }) { __typename } }' }, admin);
    await graphqlRaw(hub.url, { query: 'mutation { setEquipmentState(input: { path: "acme/berlin/packaging/line-3/labeler-1", state: Running }) { __typename } }' }, admin);
    await sub.waitFor((e) => e.data.equipmentStateChanged.path.endsWith('labeler-1'));
    await sleep(300);
    expect(sub.received.map((e) => e.data.equipmentStateChanged.path)).toEqual(['acme/berlin/packaging/line-3/labeler-1']);
    await sub.close();
  });

  it('through master data it may read but not change: refused, and logged as a denial', async () => {
    const body = await ask('mutation { createEquipmentClass(input: { code: "sneaky" }) { __typename } }');
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(body.errors[0].message).toMatch(/needs a grant on an enterprise/);
    const read = await ask('{ equipmentClasses { totalCount } productDefinitions { totalCount } }');
    expect(read.data).toEqual({ equipmentClasses: { totalCount: 7 }, productDefinitions: { totalCount: 1 } });
  });
});
