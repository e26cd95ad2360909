import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, graphqlRaw, MODES, sleep, subscribe, type TestHub, uniqueName } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

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
    token = await idp.token({
      sub: 'pack-lead',
      roles: ['supervisor@acme/berlin/packaging', 'engineer@acme/berlin/packaging'],
    });
  }, HUB_START_TIMEOUT_MS);
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
    expect(body.data).toEqual({
      press: null,
      site: null,
      lot: null,
      person: null,
      order: null,
      own: { path: 'acme/berlin/packaging/line-3' },
    });
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
    expect(body.data).toMatchObject({
      assembly: { totalCount: 0 },
      presses: { totalCount: 0 },
      lots: { totalCount: 0 },
      qualified: { totalCount: 0 },
      orders: { totalCount: 0 },
    });
    expect(body.data.people).toEqual({ totalCount: 1, edges: [{ node: { employeeId: 'E2002' } }] });
  });

  it("in shift calendars: those above and within its scope, never another area's", async () => {
    const admin = await idp.token({ sub: 'plant-admin', roles: ['admin@acme'] });
    for (const scope of ['acme/berlin/assembly', 'acme/berlin/packaging']) {
      const set = await graphqlRaw(
        hub.url,
        {
          query: `mutation { setShiftCalendar(input: { scope: "${scope}", timeZone: "UTC", shifts: [{ name: "Day", start: "06:00", end: "14:00" }] }) { __typename } }`,
        },
        admin,
      );
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
    const body = await ask(
      `{ equipment(path: "acme/berlin/packaging") { parent { path } children { path parent { path parent { path } } } } }`,
    );
    expect(body.data.equipment.parent).toBeNull();
    expect(body.data.equipment.children[0]).toEqual({
      path: 'acme/berlin/packaging/line-3',
      parent: { path: 'acme/berlin/packaging', parent: null },
    });
  });

  it('through mutations: out-of-scope targets fail exactly like missing ones', async () => {
    const pairs: [string, string][] = [
      [
        'mutation { r: updateEquipment(path: "acme/berlin/assembly/line-1", input: { name: "x" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: updateEquipment(path: "acme/berlin/nowhere/line-1", input: { name: "x" }) { __typename ... on ErrorResult { code } } }',
      ],
      [
        'mutation { r: createEquipment(input: { parentPath: "acme/berlin/assembly/line-1", code: "x", name: "x", level: WorkCell }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: createEquipment(input: { parentPath: "acme/berlin/nowhere/line-1", code: "x", name: "x", level: WorkCell }) { __typename ... on ErrorResult { code } } }',
      ],
      [
        'mutation { r: setEquipmentState(input: { path: "acme/berlin/assembly/line-1/press-1", state: Idle }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: setEquipmentState(input: { path: "acme/berlin/nowhere/press-1", state: Idle }) { __typename ... on ErrorResult { code } } }',
      ],
      [
        'mutation { r: updateEquipment(path: "acme/berlin/packaging/line-3", input: { parentPath: "acme/berlin/assembly" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: updateEquipment(path: "acme/berlin/packaging/line-3", input: { parentPath: "acme/berlin/nowhere" }) { __typename ... on ErrorResult { code } } }',
      ],
      [
        'mutation { r: createWorkOrder(input: { number: "WO-X", productDefinition: "PD-BRACKET-A", quantity: 1, equipment: "acme/berlin/assembly/line-1" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: createWorkOrder(input: { number: "WO-X", productDefinition: "PD-BRACKET-A", quantity: 1, equipment: "acme/berlin/nowhere/line-1" }) { __typename ... on ErrorResult { code } } }',
      ],
      [
        'mutation { r: updateMaterialLot(lotNumber: "L-COIL-0001", input: { status: Rejected }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: updateMaterialLot(lotNumber: "L-NOWHERE", input: { status: Rejected }) { __typename ... on ErrorResult { code } } }',
      ],
      [
        'mutation { r: createMaterialSublot(input: { sublotNumber: "S-X", lot: "L-COIL-0001", quantity: 1 }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: createMaterialSublot(input: { sublotNumber: "S-X", lot: "L-NOWHERE", quantity: 1 }) { __typename ... on ErrorResult { code } } }',
      ],
      [
        'mutation { r: recordQualification(input: { employeeId: "E1001", code: "x", trainedAt: "2026-01-01T00:00:00Z" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: recordQualification(input: { employeeId: "E9999", code: "x", trainedAt: "2026-01-01T00:00:00Z" }) { __typename ... on ErrorResult { code } } }',
      ],
      [
        'mutation { r: updatePerson(employeeId: "E1001", input: { name: "x" }) { __typename ... on ErrorResult { code } } }',
        'mutation { r: updatePerson(employeeId: "E9999", input: { name: "x" }) { __typename ... on ErrorResult { code } } }',
      ],
    ];
    for (const [outOfScope, missing] of pairs) {
      const [a, b] = [await ask(outOfScope), await ask(missing)];
      expect(a.errors, outOfScope).toBeUndefined();
      expect(a.data.r, outOfScope).toEqual(b.data.r);
    }
    const untouched = await graphqlRaw(
      hub.url,
      {
        query:
          '{ equipment(path: "acme/berlin/assembly/line-1/press-1") { state } materialLot(lotNumber: "L-COIL-0001") { status } }',
      },
      await idp.token({ roles: ['admin@*'] }),
    );
    expect(untouched.body.data).toEqual({ equipment: { state: 'Offline' }, materialLot: { status: 'Released' } });
  });

  it('through subscriptions, even to a wider scope', async () => {
    const sub = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme/berlin") { path } }',
      undefined,
      token,
    );
    const admin = await idp.token({ roles: ['admin@*'] });
    await graphqlRaw(
      hub.url,
      {
        query:
          'mutation { setEquipmentState(input: { path: "acme/berlin/assembly/line-2/tester-1", state: Running }) { __typename } }',
      },
      admin,
    );
    await graphqlRaw(
      hub.url,
      {
        query:
          'mutation { setEquipmentState(input: { path: "acme/berlin/packaging/line-3/labeler-1", state: Running }) { __typename } }',
      },
      admin,
    );
    await sub.waitFor((e) => e.data.equipmentStateChanged.path.endsWith('labeler-1'));
    await sleep(300);
    expect(sub.received.map((e) => e.data.equipmentStateChanged.path)).toEqual([
      'acme/berlin/packaging/line-3/labeler-1',
    ]);
    await sub.close();
  });

  it('through master data it may read but not change: refused, and logged as a denial', async () => {
    const body = await ask('mutation { createEquipmentClass(input: { code: "sneaky" }) { __typename } }');
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(body.errors[0].message).toMatch(/needs a grant on an enterprise/);
    const read = await ask('{ equipmentClasses { totalCount } productDefinitions { totalCount } }');
    expect(read.data).toEqual({ equipmentClasses: { totalCount: 7 }, productDefinitions: { totalCount: 3 } });
  });
});

/**
 * The edges a red-team pass found open: alert de-duplication, the audit trail and its events,
 * duplicate keys and the sockets of revoked keys. In both modes, as each touches the bus or the database.
 */
describe.each(MODES)('scope leakage at the edges (%s)', (mode) => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  const tokens: Record<'pack' | 'otherco' | 'acmeAdmin' | 'root', string> = {} as never;
  const LABELER = 'acme/berlin/packaging/line-3/labeler-1';
  const PRESS = 'acme/berlin/assembly/line-1/press-1';
  const as = async (who: keyof typeof tokens, query: string, variables?: object) =>
    (await graphqlRaw(hub.url, { query, variables }, tokens[who])).body;

  beforeAll(async () => {
    ({ idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0 }, mode));
    tokens.pack = await idp.token({
      sub: 'pack-lead',
      roles: ['supervisor@acme/berlin/packaging', 'engineer@acme/berlin/packaging'],
    });
    tokens.otherco = await idp.token({ sub: 'other', roles: ['operator@otherco'] });
    tokens.acmeAdmin = await idp.token({ sub: 'acme-admin', roles: ['admin@acme'] });
    tokens.root = await idp.token({ sub: 'root', roles: ['admin@*'] });
  }, HUB_START_TIMEOUT_MS);
  afterAll(() => hub?.stop());

  it("alerts: a de-duplication key lives within its equipment path, never reaching another area's alert", async () => {
    const key = uniqueName('down-too-long-');
    const raise = async (who: 'pack' | 'acmeAdmin', path: string, severity: string, title: string) =>
      (
        await as(
          who,
          `mutation ($i: RaiseAlertInput!) { r: raiseAlert(input: $i) { __typename ... on Alert { id path title severity occurrences } ... on ErrorResult { code } } }`,
          { i: { path, deduplicationKey: key, severity, title } },
        )
      ).data.r;
    const assembly = await raise('acmeAdmin', PRESS, 'Low', 'Press 1 down too long');
    const packaging = await raise('pack', LABELER, 'Critical', 'Labeler out of labels');
    expect(packaging).toMatchObject({
      __typename: 'Alert',
      path: LABELER,
      title: 'Labeler out of labels',
      severity: 'Critical',
      occurrences: 1,
    });
    expect(packaging.id).not.toBe(assembly.id);
    // A later assembly condition stays with the assembly alert, and the packaging one with its own.
    expect(await raise('acmeAdmin', PRESS, 'Medium', 'Press 1 down too long')).toMatchObject({
      id: assembly.id,
      path: PRESS,
      severity: 'Medium',
      occurrences: 2,
    });
    expect(await raise('pack', LABELER, 'Low', 'Labeler out of labels')).toMatchObject({
      id: packaging.id,
      severity: 'Critical',
      occurrences: 2,
    });
    const seen = await as('pack', `{ alerts { edges { node { path } } } alert(id: "${assembly.id}") { id } }`);
    expect(seen.data.alert).toBeNull();
    expect(seen.data.alerts.edges.map((e: any) => e.node.path)).toEqual([LABELER]);
  });

  it('audit trail: read as far as the audited record is visible; keys installation-wide only, never with their hashes', async () => {
    const { createApiKey } = await graphql(
      hub.url,
      'mutation { createApiKey(input: { name: "audit-probe", grants: [{ role: Operator, scope: "acme" }] }) { ... on CreatedApiKey { apiKey { id } } } }',
      undefined,
      tokens.root,
    );
    const keyId = createApiKey.apiKey.id;
    await graphql(hub.url, `mutation { revokeApiKey(id: "${keyId}") { __typename } }`, undefined, tokens.root);
    const ids = await graphql(
      hub.url,
      `{ materialLot(lotNumber: "L-COIL-0001") { id } equipment(path: "${LABELER}") { id } }`,
      undefined,
      tokens.root,
    );
    const trail = async (who: keyof typeof tokens, entityType: string, entityId: string) => {
      const body = await as(
        who,
        `query ($t: String!, $i: String!) { auditTrail(entityType: $t, entityId: $i) { totalCount edges { node { action scope before after } } } }`,
        { t: entityType, i: entityId },
      );
      expect(body.errors, `${who} on ${entityType}`).toBeUndefined();
      return body.data.auditTrail;
    };
    // Another enterprise, another enterprise's admin, another area: as if there were no history.
    expect((await trail('otherco', 'ApiKey', keyId)).totalCount).toBe(0);
    expect((await trail('otherco', 'MaterialLot', ids.materialLot.id)).totalCount).toBe(0);
    expect((await trail('acmeAdmin', 'ApiKey', keyId)).totalCount).toBe(0);
    expect((await trail('pack', 'MaterialLot', ids.materialLot.id)).totalCount).toBe(0);
    // Within scope it is readable without an enterprise-wide grant.
    expect((await trail('pack', 'Equipment', ids.equipment.id)).edges[0].node).toMatchObject({
      action: 'EquipmentCreated',
      scope: LABELER,
    });
    expect((await trail('acmeAdmin', 'MaterialLot', ids.materialLot.id)).edges[0].node.scope).toBe(
      'acme/berlin/assembly/store-1',
    );
    const keys = await trail('root', 'ApiKey', keyId);
    expect(keys.edges.map((e: any) => [e.node.action, e.node.scope])).toEqual([
      ['ApiKeyCreated', '*'],
      ['ApiKeyRevoked', '*'],
    ]);
    expect(JSON.stringify(keys)).not.toMatch(/secretHash|[0-9a-f]{64}/i);
    const stored = await hub.db.em
      .fork()
      .execute('select before, after from audit_record where entity_id = ?', [keyId]);
    expect(JSON.stringify(stored)).not.toMatch(/secretHash/);
    // The whole chain is the installation's.
    for (const who of ['otherco', 'acmeAdmin', 'pack'] as const) {
      expect((await as(who, '{ verifyAuditChain { valid } }')).errors[0].extensions.code, who).toBe('FORBIDDEN');
    }
    expect((await as('root', '{ verifyAuditChain { valid } }')).data.verifyAuditChain.valid).toBe(true);
  });

  it('hubEvents("*") and hubEventLog("*") hand out no ids of records the reader cannot read', async () => {
    const LOG = '{ hubEventLog(scope: "*", after: AFTER) { events { type path } endCursor } }';
    const start = (await as('otherco', LOG.replace('AFTER', 'null'))).data.hubEventLog.endCursor;
    const sub = await subscribe(
      hub.url,
      'subscription { hubEvents(scope: "*") { type path } }',
      undefined,
      tokens.otherco,
    );
    const lot = uniqueName('L-PROBE-');
    await graphql(
      hub.url,
      `mutation { createMaterialLot(input: { lotNumber: "${lot}", materialDefinition: "STEEL-COIL-2MM", quantity: 1, location: "acme/berlin/assembly/store-1" }) { __typename } }`,
      undefined,
      tokens.root,
    );
    await graphql(
      hub.url,
      'mutation { createApiKey(input: { name: "event-probe", grants: [{ role: Operator, scope: "acme" }] }) { __typename } }',
      undefined,
      tokens.root,
    );
    // Master data shared by every enterprise is the marker that events did flow.
    await graphql(
      hub.url,
      `mutation { createEquipmentClass(input: { code: "${uniqueName('probe-')}" }) { __typename } }`,
      undefined,
      tokens.root,
    );
    await sub.waitFor((e) => e.data?.hubEvents.type === 'EquipmentClassCreated');
    await sleep(200);
    expect(sub.received.map((e) => e.data.hubEvents.type)).toEqual(['EquipmentClassCreated']);
    await sub.close();
    const polled = (await as('otherco', LOG.replace('AFTER', JSON.stringify(start)))).data.hubEventLog;
    expect(polled.events.map((e: { type: string }) => e.type)).toEqual(['EquipmentClassCreated']);
  });

  it("creating a key taken outside the caller's scopes fails as for one it can see, and says nothing about the record", async () => {
    const creates = [
      'mutation { r: createMaterialLot(input: { lotNumber: "L-COIL-0001", materialDefinition: "STEEL-COIL-2MM", quantity: 1, location: "acme/berlin/packaging/line-3" }) { __typename ... on ErrorResult { code message } } }',
      'mutation { r: createPerson(input: { employeeId: "E1001", name: "Someone", homeEquipment: "acme/berlin/packaging" }) { __typename ... on ErrorResult { code message } } }',
      'mutation { r: createWorkOrder(input: { number: "WO-1001", productDefinition: "PD-BRACKET-A", quantity: 1, equipment: "acme/berlin/packaging/line-3" }) { __typename ... on ErrorResult { code message } } }',
    ];
    const before = await as('root', '{ materialLots { totalCount } persons { totalCount } workOrders { totalCount } }');
    for (const create of creates) {
      const [blind, seeing] = [await as('pack', create), await as('acmeAdmin', create)];
      expect(blind.errors, create).toBeUndefined();
      expect(blind.data.r, create).toEqual(seeing.data.r);
      expect(blind.data.r.code).toBe('DuplicateKey');
      // Neither where it is, nor that the caller could update it: only that the key is taken.
      expect(blind.data.r.message, create).toMatch(/is taken\. Choose another/);
      expect(blind.data.r.message, create).not.toMatch(/exists|existing|assembly/);
    }
    expect(
      await as('root', '{ materialLots { totalCount } persons { totalCount } workOrders { totalCount } }'),
    ).toEqual(before);
  });

  it('revoking an API key closes its open sockets within a second (4403): no more events, no more mutations', async () => {
    const { createApiKey } = await graphql(
      hub.url,
      'mutation { createApiKey(input: { name: "revoked-gateway", grants: [{ role: Supervisor, scope: "acme/berlin/packaging" }] }) { ... on CreatedApiKey { secret apiKey { id } } } }',
      undefined,
      tokens.root,
    );
    const sub = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme/berlin/packaging") { path } }',
      undefined,
      createApiKey.secret,
    );
    const other = await subscribe(
      hub.url,
      'subscription { equipmentStateChanged(scope: "acme/berlin/packaging") { path } }',
      undefined,
      tokens.pack,
    );
    await graphql(
      hub.url,
      `mutation { revokeApiKey(id: "${createApiKey.apiKey.id}") { __typename } }`,
      undefined,
      tokens.root,
    );
    const deadline = Date.now() + 1000;
    while (!sub.closed() && Date.now() < deadline) await sleep(25);
    expect(sub.closed()).toMatchObject({ code: 4403, reason: expect.stringMatching(/revoked/) });
    await graphql(
      hub.url,
      `mutation { setEquipmentState(input: { path: "${LABELER}", state: Idle }) { __typename } }`,
      undefined,
      tokens.root,
    );
    await other.waitFor((e) => e.data.equipmentStateChanged.path === LABELER);
    expect(sub.received).toEqual([]);
    expect(other.closed()).toBeNull();
    await Promise.all([sub.close(), other.close()]);
  });
});
