import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sapS4HanaConnector } from '@plantgraph/connector-sap-s4hana';
import { type DomainFailure, isFailure, Principal } from '@plantgraph/hub';
import { LotSelection, MaterialLotStatus, MaterialUse, ProductDefinitionVersionState, Role } from '@plantgraph/schema';
import type { HubConfig } from '@plantgraph/hub';
import { MODES, type Mode, startTestHub, type TestHub } from './support/harness.js';
import { TEST_REDIS_URL } from './support/queue.js';
import { eventually } from './support/flows.js';
import { SapSimulator } from './support/sap-simulator/index.js';

const LINE = 'acme/berlin/assembly/line-1';
const R = '__typename ... on ErrorResult { code message }';
const SYSTEM = Principal.system('test');
const ANA = new Principal('E1001', 'user', [{ role: Role.Operator, scope: 'acme/berlin' }]);

const MAPPING = {
  version: 1,
  plants: [
    {
      plant: '1710',
      site: 'acme/berlin',
      timeZone: 'Europe/Berlin',
      workCenters: { ASSEMBLY: LINE },
      defaultStorageLocation: '171A',
    },
  ],
  units: { ST: 'pcs', KG: 'kg' },
  materials: { 'RM-TUBE': 'TUBE-STEEL' },
  products: { 'FG-FRAME': 'PD-SAP-FRAME' },
  personnel: { E1001: '00001001' },
};

const must = <T>(value: T | DomainFailure): T => {
  if (isFailure(value)) throw new Error(value.message);
  return value;
};

/** The ERP loop through GraphQL: SAP order in as a Draft, executed on the floor, one confirmation out. */
// Jobs on BullMQ's PostgreSQL backend (embedded and on PostgreSQL), and on Redis as in production.
const RUNS: [string, Mode, Partial<HubConfig>][] = [
  ...MODES.map((m): [string, Mode, Partial<HubConfig>] => [m, m, {}]),
  ['postgres+nats+redis', 'postgres+nats', { redisUrl: TEST_REDIS_URL }],
];

describe.each(RUNS)('the SAP loop (%s)', (_name, mode, backing) => {
  let hub: TestHub;
  let sim: SapSimulator;

  beforeAll(async () => {
    sim = await SapSimulator.start();
    hub = await startTestHub(mode, {
      demo: true,
      simulatorIntervalMs: 0,
      connectorTypes: [sapS4HanaConnector],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
      ...backing,
    });
    // SAP batches have at most 10 characters: a short lot number of our own.
    must(await hub.services.materialClass.create(SYSTEM, { code: 'tube', description: 'Tubes', properties: [] }));
    must(
      await hub.services.material.createDefinition(SYSTEM, {
        code: 'TUBE-STEEL',
        name: 'Steel tube',
        materialClass: 'tube',
        unitOfMeasure: 'kg',
        properties: [],
      }),
    );
    must(
      await hub.services.material.createLot(SYSTEM, {
        lotNumber: 'T0001',
        materialDefinition: 'TUBE-STEEL',
        quantity: 1000,
        status: MaterialLotStatus.Released,
        location: 'acme/berlin',
        properties: [],
      }),
    );
    const definition = must(
      await hub.services.productDefinition.create(SYSTEM, {
        code: 'PD-SAP-FRAME',
        name: 'Frame (from SAP)',
        producedMaterial: 'BRACKET-A',
        changeNote: 'for the SAP loop',
        segments: [
          {
            code: '10-assemble',
            name: 'Assemble',
            workInstruction: 'WI-1',
            equipmentClass: null,
            qualification: null,
            critical: false,
            durationMinutes: 1,
            materials: [
              {
                materialDefinition: 'TUBE-STEEL',
                use: MaterialUse.Consumed,
                quantity: 0.5,
                unitOfMeasure: 'kg',
                lotSelection: LotSelection.FEFO,
              },
            ],
            parameters: [],
          },
        ],
      }),
    );
    const [version] = await hub.db.em
      .fork()
      .execute<{ id: string }[]>('select id from product_definition_version where product_definition_id = ?', [
        definition.id,
      ]);
    for (const state of [
      ProductDefinitionVersionState.ForReview,
      ProductDefinitionVersionState.Approved,
      ProductDefinitionVersionState.Active,
    ])
      must(await hub.services.productDefinition.transitionVersion(SYSTEM, { id: version!.id, state }));
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
    await sim?.close();
  });

  const configure = (mapping: unknown, extra: Record<string, unknown> = {}) =>
    hub.gql(
      `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) {
        ${R} ... on ConnectorInstance { name enabled settings secretNames grants settingsVersion } } }`,
      {
        i: {
          name: 'sap-berlin',
          type: 'sap-s4hana',
          scope: 'acme/berlin',
          settings: {
            baseUrl: sim.url,
            user: 'PLANTGRAPH',
            password: 's3cret-pw',
            pollIntervalMs: 0,
            mapping,
            ...extra,
          },
          grants: [{ role: 'Integrator', scope: 'acme/berlin' }],
          enabled: true,
        },
      },
    );
  const deliveries = async () =>
    (
      await hub.gql(`{ connectorDeliveries(connector: "sap-berlin", first: 50) { edges { node {
        id state eventKey idempotencyKey externalReference reconciled attempts replays lastError } } } }`)
    ).connectorDeliveries.edges.map((e: { node: Record<string, unknown> }) => e.node);
  const imports = async () =>
    (
      await hub.gql(`{ connectorImports(connector: "sap-berlin", first: 50) { edges { node {
        reference outcome hubReference reasons { code field value message } } } } }`)
    ).connectorImports.edges.map((e: { node: Record<string, unknown> }) => e.node);

  /** Releases, executes and completes a Draft as the plant would. */
  async function runOnTheFloor(number: string): Promise<void> {
    must(
      await hub.services.workOrderLifecycle.release(SYSTEM, {
        number,
        assignments: [{ segment: '10-assemble', equipment: LINE, operators: ['E1001'] }],
        lots: [],
      }),
    );
    must(await hub.services.workOrderLifecycle.start(ANA, { number }));
    must(await hub.services.execution.confirmLineClearance(ANA, number));
    must(await hub.services.execution.startStep(ANA, number));
    const [reservation] = await hub.db.em.fork().execute<{ lot_number: string; quantity: string }[]>(
      `select l.lot_number, r.quantity from material_reservation r join material_lot l on l.id = r.lot_id
          join work_order w on w.id = r.work_order_id where w.number = ?`,
      [number],
    );
    sim.addMaterial({ material: 'RM-TUBE', plant: '1710', baseUnit: 'KG', batches: [reservation!.lot_number] });
    must(
      await hub.services.execution.consumeMaterial(ANA, number, reservation!.lot_number, Number(reservation!.quantity)),
    );
    must(await hub.services.execution.completeStep(ANA, number, null));
    must(await hub.services.execution.complete(ANA, number, `LOT-${number}`, 10));
  }

  it('imports, rejects with the reason, executes and confirms once; replay and re-import stay one', async () => {
    const configured = (await configure(MAPPING)).configureConnector;
    expect(configured).toMatchObject({ name: 'sap-berlin', enabled: true, secretNames: ['password'] });
    expect(JSON.stringify(configured.settings)).not.toContain('s3cret-pw');
    const [stored] = await hub.db.em.fork().execute<{ secrets: string }[]>('select secrets from connector_instance');
    expect(stored!.secrets).not.toContain('s3cret-pw');

    const tested = (
      await hub.gql(
        `mutation { testConnector(name: "sap-berlin") { ... on ConnectorInstance { health roundTripMs } } }`,
      )
    ).testConnector;
    expect(tested.health).toBe('Healthy');

    sim.addOrder({
      order: '1000100',
      material: 'FG-FRAME',
      quantity: 10,
      unit: 'ST',
      operations: [{ operation: '0010', workCenter: 'ASSEMBLY' }],
    });
    sim.addOrder({
      order: '1000101',
      material: 'FG-FRAME',
      quantity: 5,
      unit: 'ST',
      operations: [{ operation: '0010', workCenter: 'PAINT' }],
    });
    await hub.gql('mutation { pollConnector(name: "sap-berlin") { __typename } }');
    const seen = await eventually(async () => ((await imports()).length === 2 ? imports() : null), 20_000);
    const byRef = Object.fromEntries(seen!.map((i: { reference: string }) => [i.reference, i]));
    expect(byRef['1000100']).toMatchObject({ outcome: 'Created', hubReference: '1000100' });
    expect(byRef['1000101'].outcome).toBe('Rejected');
    expect(byRef['1000101'].reasons[0]).toMatchObject({ code: 'UnknownWorkCenter', value: 'PAINT' });
    const { workOrder } = await hub.gql('{ workOrder(number: "1000100") { state quantity externalReference } }');
    expect(workOrder).toEqual({ state: 'Draft', quantity: 10, externalReference: 'sap-s4hana:1000100' });

    await runOnTheFloor('1000100');
    const delivered = await eventually(async () => {
      const d = (await deliveries()).find((x: { eventKey: string }) => x.eventKey === '1000100');
      return d?.state === 'Delivered' ? d : null;
    }, 30_000);
    expect(delivered!.externalReference).toMatch(/^ProdnOrdConf2\//);
    const live = sim.liveConfirmations().filter((c) => c.OrderID === '1000100');
    expect(live).toHaveLength(1);
    expect(live[0]!.goodsMovements.map((m) => m.GoodsMovementType)).toEqual(['261']);

    // Replay a delivered one: it reconciles by the key and posts nothing.
    const replay = await hub.gql(
      `mutation ($id: ID!) { replayDelivery(id: $id) { ${R} ... on ConnectorDelivery { state replays } } }`,
      {
        id: delivered!.id,
      },
    );
    expect(replay.replayDelivery.replays).toBe(1);
    await eventually(async () => {
      const d = (await deliveries()).find((x: { id: string }) => x.id === delivered!.id);
      return d?.state === 'Delivered' && d.reconciled ? d : null;
    }, 30_000);
    // Re-import of the now released order: a Conflict, reported, nothing changed.
    const again = await hub.gql(`mutation { importConnectorRecord(connector: "sap-berlin", reference: "1000100") {
      ${R} ... on ConnectorImport { outcome reasons { message } } } }`);
    expect(again.importConnectorRecord.outcome).toBe('Conflict');
    expect(sim.liveConfirmations().filter((c) => c.OrderID === '1000100')).toHaveLength(1);
    expect((await deliveries()).filter((d: { eventKey: string }) => d.eventKey === '1000100')).toHaveLength(1);
  }, 120_000);

  it("dead-letters a business error with SAP's message; after the fix a replay posts once", async () => {
    sim.addOrder({
      order: '1000102',
      material: 'FG-FRAME',
      quantity: 10,
      unit: 'ST',
      operations: [{ operation: '0010', workCenter: 'ASSEMBLY' }],
    });
    const imported = await hub.gql(`mutation { importConnectorRecord(connector: "sap-berlin", reference: "1000102") {
      ${R} ... on ConnectorImport { outcome } } }`);
    expect(imported.importConnectorRecord.outcome).toBe('Created');
    sim.inject({ kind: 'business-error', code: 'RU/505', message: 'Storage location 171A is locked for plant 1710' });
    await runOnTheFloor('1000102');
    const dead = await eventually(async () => {
      const d = (await deliveries()).find((x: { eventKey: string }) => x.eventKey === '1000102');
      return d?.state === 'DeadLetter' ? d : null;
    }, 30_000);
    expect(dead!.lastError).toContain('Storage location 171A is locked for plant 1710');
    expect(sim.liveConfirmations().filter((c) => c.OrderID === '1000102')).toHaveLength(0);

    sim.clearFaults();
    await hub.gql(`mutation ($id: ID!) { replayDelivery(id: $id) { __typename } }`, { id: dead!.id });
    const done = await eventually(async () => {
      const d = (await deliveries()).find((x: { id: string }) => x.id === dead!.id);
      return d?.state === 'Delivered' ? d : null;
    }, 30_000);
    expect(done!.idempotencyKey).toBe(dead!.idempotencyKey);
    expect(sim.liveConfirmations().filter((c) => c.OrderID === '1000102')).toHaveLength(1);
  }, 120_000);
});
