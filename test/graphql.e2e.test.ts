import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Readiness } from '@plantgraph/hub';
import { MODES, graphqlRaw, startTestHub, type TestHub } from './support/harness.js';
import { RESULT, countStatements, tableCounts } from './support/plant.js';
import { devIdpToken } from './support/idp.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

describe.each(MODES)('GraphQL API (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers health and readiness', async () => {
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${hub.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as Readiness;
    expect(body).toMatchObject({ ready: true, database: { status: 'ok' }, bus: { status: 'ok' } });
    expect(body.database.name).toBe(hub.mode === 'embedded' ? 'PGlite' : 'PostgreSQL');
    expect(body.bus.name).toBe(hub.mode === 'embedded' ? 'in-process bus' : 'NATS');
    expect(Date.parse(body.bus.since)).toBeLessThanOrEqual(Date.parse(body.checkedAt));
  });

  it('pages through all equipment by cursor with no duplicates and no cap', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (let pages = 0; pages < 100; pages++) {
      const { equipmentList: page }: any = await hub.gql(
        `query ($after: String) { equipmentList(first: 3, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { path } } } }`,
        { after },
      );
      total = page.totalCount;
      seen.push(...page.edges.map((e: any) => e.node.path));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(total).toBe(20);
    expect(seen).toHaveLength(20);
    expect(new Set(seen).size).toBe(20);
    expect(seen).toEqual([...seen].sort());
  });

  it('filters equipment by path prefix, level, class and state', async () => {
    const count = async (filter: object) =>
      (await hub.gql(`query ($f: EquipmentFilter) { equipmentList(filter: $f) { totalCount } }`, { f: filter }))
        .equipmentList.totalCount;
    expect(await count({ pathPrefix: 'acme/berlin/packaging' })).toBe(7);
    expect(await count({ pathPrefix: 'acme/berlin/pack' })).toBe(0);
    expect(await count({ level: ['WorkCell'] })).toBe(12);
    expect(await count({ equipmentClass: 'hydraulic-press' })).toBe(3);
    expect(await count({ pathPrefix: 'acme/berlin/assembly', level: ['ProductionLine'], state: ['Offline'] })).toBe(2);
  });

  it('pages and filters the other lists', async () => {
    const data = await hub.gql(`{
      materialLots(filter: { materialDefinition: "BOLT-M8" }) { totalCount edges { node { lotNumber expired sublots { quantity } } } }
      held: materialLots(filter: { status: [OnHold], locationPrefix: "acme/berlin" }) { totalCount }
      materialDefinitions(first: 2) { totalCount pageInfo { hasNextPage } }
      persons(filter: { qualifiedFor: "press-setup" }) { totalCount }
      everyone: persons { totalCount }
      productDefinitions { edges { node { code activeVersion { version } versions { state } } } }
      workOrders(filter: { equipmentPrefix: "acme/berlin/assembly/line-1" }) { edges { node { number state } } }
      equipmentClasses { totalCount } materialClasses { totalCount } personnelClasses { totalCount }
    }`);
    expect(data.materialLots.totalCount).toBe(2);
    expect(data.materialLots.edges.map((e: any) => [e.node.lotNumber, e.node.expired])).toEqual([
      ['L-BOLT-0099', true],
      ['L-BOLT-0107', false],
    ]);
    expect(data.held.totalCount).toBe(1);
    // Coil, bolts and the bracket; the two cookie boxes line 3 packs (the scheduling demo).
    expect(data.materialDefinitions).toEqual({ totalCount: 5, pageInfo: { hasNextPage: true } });
    expect(data.persons.totalCount).toBe(2); // E1002's training has expired
    expect(data.everyone.totalCount).toBe(8);
    expect(data.productDefinitions.edges[0].node).toEqual({
      code: 'PD-BRACKET-A',
      activeVersion: { version: 1 },
      versions: [{ state: 'Active' }],
    });
    expect(data.workOrders.edges).toEqual([{ node: { number: 'WO-1001', state: 'Draft' } }]);
    expect([
      data.equipmentClasses.totalCount,
      data.materialClasses.totalCount,
      data.personnelClasses.totalCount,
    ]).toEqual([7, 3, 4]);
  });

  it('refuses a page size beyond the documented bound, saying how to page', async () => {
    const { body } = await graphqlRaw(
      hub.url,
      { query: '{ equipmentList(first: 501) { totalCount } }' },
      hub.localAdminToken!,
    );
    expect(body.errors[0].message).toMatch(/first must be between 1 and 500/);
    const bad = await graphqlRaw(
      hub.url,
      { query: '{ equipmentList(after: "garbage") { totalCount } }' },
      hub.localAdminToken!,
    );
    expect(bad.body.errors[0].message).toMatch(/not a cursor from this list/);
  });

  it('answers a nested query with a number of SQL statements that does not grow with the plant', async () => {
    const query = `{ equipmentList(first: 200) { edges { node { path parent { path equipmentClass { code } }
      equipmentClass { code } children { path equipmentClass { code } children { path } } } } } }`;
    // A warm-up first, so the API key's check and its last-use record (at most once a minute) are not counted.
    const warm = () => hub.gql('{ viewer { name } }');
    // The fewer of two counts: a background statement of the hub's own (seen once in CI: 5 against 4)
    // can only add to one, while a count that grows with the plant grows in both.
    const count = async () =>
      Math.min(await countStatements(hub, () => hub.gql(query)), await countStatements(hub, () => hub.gql(query)));
    await warm();
    const before = await count();
    for (let i = 0; i < 15; i++) {
      const r = await hub.gql(`mutation ($i: CreateEquipmentInput!) { createEquipment(input: $i) { ${RESULT} } }`, {
        i: {
          parentPath: 'acme/berlin/assembly/line-2',
          code: `extra-${i}`,
          name: `Extra ${i}`,
          level: 'WorkCell',
          equipmentClass: 'robot',
        },
      });
      expect(r.createEquipment.__typename).toBe('Equipment');
    }
    await warm();
    const after = await count();
    expect(before).toBeLessThanOrEqual(8);
    expect(after).toBe(before);
  });

  it('creates and changes the classes of each kind, keeping what an update leaves out', async () => {
    const created = await hub.gql(`mutation {
      e: createEquipmentClass(input: { code: "oven", description: "Curing oven", idealCycleTimeSeconds: 45 }) { ${RESULT} }
      m: createMaterialClass(input: { code: "paint", properties: [{ name: "colour", dataType: String }] }) { ${RESULT} }
      p: createPersonnelClass(input: { code: "painter", description: "Paint shop" }) { ${RESULT} }
    }`);
    expect([created.e.__typename, created.m.__typename, created.p.__typename]).toEqual([
      'EquipmentClass',
      'MaterialClass',
      'PersonnelClass',
    ]);
    const updated = await hub.gql(`mutation {
      e: updateEquipmentClass(code: "oven", input: { idealCycleTimeSeconds: 40 }) { ${RESULT} }
      m: updateMaterialClass(code: "paint", input: { description: "Coatings" }) { ${RESULT} }
      p: updatePersonnelClass(code: "painter", input: { properties: [{ name: "booth", dataType: String }] }) { ${RESULT} }
    }`);
    expect([updated.e.__typename, updated.m.__typename, updated.p.__typename]).toEqual([
      'EquipmentClass',
      'MaterialClass',
      'PersonnelClass',
    ]);
    const read = await hub.gql(`{
      equipmentClass(code: "oven") { description idealCycleTimeSeconds properties { name } }
      materialClass(code: "paint") { description properties { name } }
      personnelClass(code: "painter") { description properties { name } }
      missing: equipmentClass(code: "kiln") { code }
    }`);
    expect(read).toEqual({
      equipmentClass: { description: 'Curing oven', idealCycleTimeSeconds: 40, properties: [] },
      materialClass: { description: 'Coatings', properties: [{ name: 'colour' }] },
      personnelClass: { description: 'Paint shop', properties: [{ name: 'booth' }] },
      missing: null,
    });
  });
});

/** Every expected failure of every mutation: a clear result, and the database exactly as before. */
describe.each(MODES)('mutations refuse bad input and change nothing (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });

  const equipment = (input: object) =>
    ['mutation ($v: CreateEquipmentInput!) { r: createEquipment(input: $v) { RESULT } }', input] as const;
  const cases: [string, string, object, string, RegExp][] = [
    [
      'unknown parent',
      ...equipment({ parentPath: 'acme/nowhere', code: 'x', name: 'X', level: 'Area' }),
      'UnknownParent',
      /No equipment has the path "acme\/nowhere"/,
    ],
    [
      'duplicate path',
      ...equipment({ parentPath: 'acme/berlin', code: 'assembly', name: 'X', level: 'Area' }),
      'DuplicatePath',
      /"acme\/berlin\/assembly" already exists/,
    ],
    [
      'level under the wrong parent',
      ...equipment({ parentPath: 'acme', code: 'x', name: 'X', level: 'Area' }),
      'LevelNotAllowed',
      /An Area cannot sit under an Enterprise; it must sit under: Site/,
    ],
    [
      'a site without parent',
      ...equipment({ code: 'x', name: 'X', level: 'Site' }),
      'LevelNotAllowed',
      /without a parent/,
    ],
    [
      'an enterprise with a parent',
      ...equipment({ parentPath: 'acme', code: 'x', name: 'X', level: 'Enterprise' }),
      'LevelNotAllowed',
      /must be a root/,
    ],
    [
      'a code that cannot be a path segment',
      ...equipment({ parentPath: 'acme/berlin', code: 'hall 7!', name: 'X', level: 'Area' }),
      'InvalidInput',
      /code: "hall 7!" is not a valid code/,
    ],
    [
      'an unknown class',
      ...equipment({
        parentPath: 'acme/berlin/assembly/line-1',
        code: 'x',
        name: 'X',
        level: 'WorkCell',
        equipmentClass: 'nope',
      }),
      'UnknownReference',
      /equipmentClass: no equipment class "nope"/,
    ],
    [
      'a value of the wrong type',
      ...equipment({
        parentPath: 'acme/berlin/assembly/line-1',
        code: 'x',
        name: 'X',
        level: 'WorkCell',
        equipmentClass: 'hydraulic-press',
        properties: [{ name: 'tonnage', value: 'heavy' }],
      }),
      'InvalidPropertyValue',
      /tonnage.*expected a number/,
    ],
    [
      'a missing required value',
      ...equipment({
        parentPath: 'acme/berlin/assembly/line-1',
        code: 'x',
        name: 'X',
        level: 'WorkCell',
        equipmentClass: 'hydraulic-press',
      }),
      'InvalidPropertyValue',
      /requires a value for "tonnage"/,
    ],
    [
      'an undeclared property',
      ...equipment({
        parentPath: 'acme/berlin/assembly/line-1',
        code: 'x',
        name: 'X',
        level: 'WorkCell',
        equipmentClass: 'robot',
        properties: [{ name: 'color', value: 'red' }],
      }),
      'InvalidPropertyValue',
      /declares no property "color"/,
    ],
    [
      'a move under its own descendant',
      'mutation { r: updateEquipment(path: "acme/berlin/assembly", input: { parentPath: "acme/berlin/assembly/line-1" }) { RESULT } }',
      {},
      'HierarchyCycle',
      /cannot be moved under itself/,
    ],
    [
      'a move under itself',
      'mutation { r: updateEquipment(path: "acme/berlin", input: { parentPath: "acme/berlin" }) { RESULT } }',
      {},
      'HierarchyCycle',
      /under itself/,
    ],
    [
      'a move to a parent of the wrong level',
      'mutation { r: updateEquipment(path: "acme/berlin/assembly/line-1", input: { parentPath: "acme/berlin" }) { RESULT } }',
      {},
      'LevelNotAllowed',
      /ProductionLine cannot sit under a Site/,
    ],
    [
      'a rename onto a sibling',
      'mutation { r: updateEquipment(path: "acme/berlin/assembly/line-1", input: { code: "line-2" }) { RESULT } }',
      {},
      'DuplicatePath',
      /line-2" already exists/,
    ],
    [
      'an update of missing equipment',
      'mutation { r: updateEquipment(path: "acme/mars", input: { name: "M" }) { RESULT } }',
      {},
      'NotFound',
      /No equipment "acme\/mars"/,
    ],
    [
      'Down without a reason',
      'mutation { r: setEquipmentState(input: { path: "acme/berlin/assembly/line-1/press-1", state: Down }) { RESULT } }',
      {},
      'InvalidInput',
      /needs a reason code/,
    ],
    [
      'a duplicate equipment class',
      'mutation { r: createEquipmentClass(input: { code: "robot" }) { RESULT } }',
      {},
      'DuplicateKey',
      /equipment class "robot" already exists/,
    ],
    [
      'a bad property name',
      'mutation { r: createEquipmentClass(input: { code: "oven", properties: [{ name: "max temp", dataType: Decimal }] }) { RESULT } }',
      {},
      'InvalidInput',
      /properties\[0\]\.name/,
    ],
    [
      'a class change members do not fit',
      'mutation { r: updateEquipmentClass(code: "robot", input: { properties: [{ name: "payloadKg", dataType: Decimal, required: true }] }) { RESULT } }',
      {},
      'InvalidInput',
      /would no longer fit the class/,
    ],
    [
      'an ideal cycle time of zero',
      'mutation { r: createEquipmentClass(input: { code: "oven", idealCycleTimeSeconds: 0 }) { RESULT } }',
      {},
      'InvalidInput',
      /idealCycleTimeSeconds: must be above 0 and below 86400 seconds \(got 0\)/,
    ],
    [
      'an ideal cycle time of a day',
      'mutation { r: updateEquipmentClass(code: "robot", input: { idealCycleTimeSeconds: 86400 }) { RESULT } }',
      {},
      'InvalidInput',
      /idealCycleTimeSeconds: .*\(got 86400\)/,
    ],
    [
      'a material class change its definitions do not fit',
      'mutation { r: updateMaterialClass(code: "sheet-metal", input: { properties: [] }) { RESULT } }',
      {},
      'InvalidInput',
      /material definition "STEEL-COIL-2MM" would no longer fit the class/,
    ],
    [
      'a material class with an invalid code',
      'mutation { r: createMaterialClass(input: { code: "-coil" }) { RESULT } }',
      {},
      'InvalidInput',
      /code: "-coil" is not a valid key/,
    ],
    [
      'an update of a missing material class',
      'mutation { r: updateMaterialClass(code: "plastics", input: { description: "x" }) { RESULT } }',
      {},
      'NotFound',
      /No material class "plastics"/,
    ],
    [
      'a definition of an unknown class',
      'mutation { r: createMaterialDefinition(input: { code: "NUT-M8", name: "Nut M8", materialClass: "nope", unitOfMeasure: "pcs" }) { RESULT } }',
      {},
      'UnknownReference',
      /materialClass: no material class "nope"/,
    ],
    [
      'a duplicate personnel class',
      'mutation { r: createPersonnelClass(input: { code: "operator" }) { RESULT } }',
      {},
      'DuplicateKey',
      /A personnel class "operator" already exists/,
    ],
    [
      'a lot of an unknown material',
      'mutation { r: createMaterialLot(input: { lotNumber: "L-X", materialDefinition: "NOPE", quantity: 1 }) { RESULT } }',
      {},
      'UnknownReference',
      /no material definition "NOPE"/,
    ],
    [
      'a lot in another unit',
      'mutation { r: createMaterialLot(input: { lotNumber: "L-X", materialDefinition: "BOLT-M8", quantity: 1, unitOfMeasure: "kg" }) { RESULT } }',
      {},
      'InvalidInput',
      /convert the quantity to pcs/,
    ],
    [
      'a negative quantity',
      'mutation { r: createMaterialLot(input: { lotNumber: "L-X", materialDefinition: "BOLT-M8", quantity: -5 }) { RESULT } }',
      {},
      'InvalidInput',
      /quantity: must be a number of at least 0/,
    ],
    [
      'a duplicate lot',
      'mutation { r: createMaterialLot(input: { lotNumber: "L-BOLT-0107", materialDefinition: "BOLT-M8", quantity: 1 }) { RESULT } }',
      {},
      'DuplicateKey',
      /L-BOLT-0107/,
    ],
    [
      'sublots beyond the lot',
      'mutation { r: createMaterialSublot(input: { sublotNumber: "B9", lot: "L-BOLT-0107", quantity: 15001 }) { RESULT } }',
      {},
      'InvalidInput',
      /exceeds the 15000 pcs/,
    ],
    [
      'a lot shrunk below its sublots',
      'mutation { r: updateMaterialLot(lotNumber: "L-BOLT-0107", input: { quantity: 10, reason: "stock count" }) { RESULT } }',
      {},
      'InvalidInput',
      /held in sublots/,
    ],
    [
      'a person with an unknown class (after the person row was staged)',
      'mutation { r: createPerson(input: { employeeId: "E9", name: "Nine", personnelClasses: ["operator", "astronaut"] }) { RESULT } }',
      {},
      'UnknownReference',
      /no personnel class "astronaut"/,
    ],
    [
      'an update of a missing personnel class',
      'mutation { r: updatePersonnelClass(code: "pilot", input: { description: "x" }) { RESULT } }',
      {},
      'NotFound',
      /No personnel class "pilot"/,
    ],
    [
      'training that expires before it starts',
      'mutation { r: recordQualification(input: { employeeId: "E1001", code: "x", trainedAt: "2026-01-02T00:00:00Z", expiresAt: "2026-01-01T00:00:00Z" }) { RESULT } }',
      {},
      'InvalidInput',
      /expiresAt: must be after trainedAt/,
    ],
    [
      'a target outside its limits',
      `mutation { r: createProductDefinition(input: { code: "PD-X", name: "X", producedMaterial: "BRACKET-A", segments: [
      { code: "10", name: "Press", parameters: [{ name: "pressure", target: 200, lowerLimit: 172, upperLimit: 188 }] }] }) { RESULT } }`,
      {},
      'InvalidInput',
      /segments\[0\]\.parameters\[0\]\.target: must lie within the limits/,
    ],
    [
      'a segment with an unknown material',
      `mutation { r: createProductDefinition(input: { code: "PD-X", name: "X", producedMaterial: "BRACKET-A", segments: [
      { code: "10", name: "Press", materials: [{ materialDefinition: "UNOBTAINIUM", use: Consumed, quantity: 1, unitOfMeasure: "kg" }] }] }) { RESULT } }`,
      {},
      'UnknownReference',
      /segments\[0\]\.materials\[0\]\.materialDefinition/,
    ],
    [
      'a work order for a missing line',
      'mutation { r: createWorkOrder(input: { number: "WO-9", productDefinition: "PD-BRACKET-A", quantity: 10, equipment: "acme/berlin/nowhere" }) { RESULT } }',
      {},
      'UnknownReference',
      /no equipment "acme\/berlin\/nowhere"/,
    ],
    [
      'a work order of zero',
      'mutation { r: createWorkOrder(input: { number: "WO-9", productDefinition: "PD-BRACKET-A", quantity: 0, equipment: "acme/berlin/assembly/line-1" }) { RESULT } }',
      {},
      'InvalidInput',
      /quantity: must be above 0/,
    ],
    [
      'a duplicate work order',
      'mutation { r: createWorkOrder(input: { number: "WO-1001", productDefinition: "PD-BRACKET-A", quantity: 1, equipment: "acme/berlin/assembly/line-1" }) { RESULT } }',
      {},
      'DuplicateKey',
      /WO-1001/,
    ],
  ];

  it.each(cases)('refuses %s', async (_name, mutation, variables, typename, message) => {
    const before = await tableCounts(hub);
    const { r } = await hub.gql(mutation.replace('RESULT', RESULT), { v: variables });
    expect(r.__typename).toBe(typename);
    expect(r.code).toBe(typename);
    expect(r.message).toMatch(message);
    expect(await tableCounts(hub)).toEqual(before);
  });

  it('keeps the version lifecycle: no skipping review, no editing what is not a Draft, one Draft at a time', async () => {
    const { r: draft } = await hub.gql(
      'mutation { r: createProductDefinitionVersion(input: { productDefinition: "PD-BRACKET-A", changeNote: "thicker coil" }) { ... on ProductDefinitionVersion { id version state segments { code } } } }',
    );
    expect(draft).toMatchObject({ version: 2, state: 'Draft' });
    expect(draft.segments.map((s: any) => s.code)).toEqual(['10-stamp', '20-weld', '30-inspect']);
    const before = await tableCounts(hub);
    const skip = await hub.gql(
      `mutation ($id: ID!) { r: transitionProductDefinitionVersion(input: { id: $id, state: Active }) { ${RESULT} ... on InvalidTransition { allowedStates } } }`,
      { id: draft.id },
    );
    expect(skip.r).toMatchObject({
      __typename: 'InvalidTransition',
      allowedStates: ['ForReview'],
      message: 'Version 2 is Draft and cannot become Active. Allowed next states: ForReview.',
    });
    const second = await hub.gql(
      `mutation { r: createProductDefinitionVersion(input: { productDefinition: "PD-BRACKET-A" }) { ${RESULT} } }`,
    );
    expect(second.r.message).toMatch(/version 2 is still Draft/);
    const { productDefinition } = await hub.gql(
      '{ productDefinition(code: "PD-BRACKET-A") { versions { id state } } }',
    );
    const active = productDefinition.versions.find((v: any) => v.state === 'Active');
    const edit = await hub.gql(
      `mutation ($id: ID!) { r: updateProductDefinitionVersion(input: { id: $id, changeNote: "sneaky" }) { ${RESULT} } }`,
      { id: active.id },
    );
    expect(edit.r.message).toMatch(/only a Draft can change/);
    expect(await tableCounts(hub)).toEqual(before);
    // The admin key wrote and submits the version; a person reviews it, another approves it (ADR 0015).
    const move = async (s: string, signature?: object) =>
      (
        await hub.gql(
          `mutation ($id: ID!, $s: ProductDefinitionVersionState!, $sig: SignatureInput) { r: transitionProductDefinitionVersion(input: { id: $id, state: $s, signature: $sig }) { ${RESULT} ... on ProductDefinitionVersion { state } } }`,
          { id: draft.id, s, sig: signature },
        )
      ).r;
    expect((await move('ForReview')).state).toBe('ForReview');
    expect((await move('Approved')).message).toMatch(/has not been reviewed since it was submitted/);
    const reviewed = await hub.gql(
      `mutation ($id: ID!, $s: SignatureInput!) { r: reviewProductDefinitionVersion(id: $id, signature: $s) { ${RESULT} } }`,
      { id: draft.id, s: { token: await devIdpToken(hub, 'E3002'), meaning: 'Review' } },
    );
    expect(reviewed.r.__typename).toBe('ProductDefinitionVersion');
    expect((await move('Approved')).message).toMatch(/approving a master record is signed/);
    expect((await move('Approved', { token: await devIdpToken(hub, 'E2003'), meaning: 'Approval' })).state).toBe(
      'Approved',
    );
    expect((await move('Active')).state).toBe('Active');
    const after = await hub.gql(
      '{ productDefinition(code: "PD-BRACKET-A") { activeVersion { version } versions { version state } } }',
    );
    expect(after.productDefinition).toEqual({
      activeVersion: { version: 2 },
      versions: [
        { version: 1, state: 'Deprecated' },
        { version: 2, state: 'Active' },
      ],
    });
  });

  it('moves a line with its machines to another area in one transaction, with an audit record', async () => {
    const before = await tableCounts(hub);
    const { r } = await hub.gql(
      `mutation { r: updateEquipment(path: "acme/berlin/packaging/line-3", input: { parentPath: "acme/berlin/assembly", code: "line-9", name: "Line 9" }) { ${RESULT} ... on Equipment { path name children { path } } } }`,
    );
    expect(r.path).toBe('acme/berlin/assembly/line-9');
    expect(r.children.map((c: any) => c.path)).toContain('acme/berlin/assembly/line-9/filler-1');
    const moved = await hub.gql(
      '{ old: equipmentList(filter: { pathPrefix: "acme/berlin/packaging/line-3" }) { totalCount } now: equipmentList(filter: { pathPrefix: "acme/berlin/assembly/line-9" }) { totalCount } }',
    );
    expect(moved).toEqual({ old: { totalCount: 0 }, now: { totalCount: 6 } });
    const after = await tableCounts(hub);
    expect(after.audit_record).toBe(before.audit_record + 1);
    const [audit] = await hub.db.em
      .fork()
      .execute('select actor, action, before, after from audit_record order by id desc limit 1');
    expect(audit).toMatchObject({
      actor: 'api-key:local-admin',
      action: 'EquipmentUpdated',
      before: { path: 'acme/berlin/packaging/line-3' },
      after: { path: 'acme/berlin/assembly/line-9' },
    });
  });
});
