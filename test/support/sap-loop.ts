import { type DomainFailure, isFailure, Principal } from '@plantgraph/hub';
import {
  LotSelection,
  MaterialLotStatus,
  MaterialUse,
  ProductDefinitionVersionState,
  Role,
  SignatureMeaning,
} from '@plantgraph/schema';
import type { TestHub } from './harness.js';
import { devIdpToken } from './idp.js';
import type { SapSimulator } from './sap-simulator/index.js';

/** The demo plant's line the SAP work center ASSEMBLY maps to. */
export const LINE = 'acme/berlin/assembly/line-1';
export const R = '__typename ... on ErrorResult { code message }';
const SYSTEM = Principal.system('test');
const ANA = new Principal('E1001', 'user', [{ role: Role.Operator, scope: 'acme/berlin' }]);

export const MAPPING = {
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

export const must = <T>(value: T | DomainFailure): T => {
  if (isFailure(value)) throw new Error(value.message);
  return value;
};

/**
 * What the SAP orders are made by on the demo plant: a one-step product definition consuming a
 * steel tube, and a tube lot with a number short enough for an SAP batch (10 characters).
 */
export async function seedSapProduct(hub: TestHub): Promise<void> {
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
}

/** An SAP order of 10 frames on the ASSEMBLY work center (or `workCenter`). */
export function addSapOrder(sim: SapSimulator, order: string, workCenter = 'ASSEMBLY'): void {
  sim.addOrder({
    order,
    material: 'FG-FRAME',
    quantity: 10,
    unit: 'ST',
    operations: [{ operation: '0010', workCenter }],
  });
}

/** Configures (or reconfigures) the connector `sap-berlin` at acme/berlin against the simulator, as the admin. */
export function configureSap(
  hub: TestHub,
  sim: SapSimulator,
  settings: Record<string, unknown> = {},
  name = 'sap-berlin',
  grants = [{ role: 'Integrator', scope: 'acme/berlin' }],
) {
  return hub.gql(
    `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) {
      ${R} ... on ConnectorInstance { name enabled settings secretNames grants settingsVersion } } }`,
    {
      i: {
        name,
        type: 'sap-s4hana',
        scope: 'acme/berlin',
        settings: {
          baseUrl: sim.url,
          user: 'PLANTGRAPH',
          password: 's3cret-pw',
          pollIntervalMs: 0,
          mapping: MAPPING,
          ...settings,
        },
        grants,
        enabled: true,
      },
    },
  );
}

export interface DeliveryRow {
  id: string;
  state: string;
  eventKey: string;
  idempotencyKey: string;
  externalReference: string | null;
  reconciled: boolean;
  attempts: number;
  replays: number;
  lastError: string | null;
  lastFailureKind: string | null;
}

export async function deliveries(hub: TestHub, connector = 'sap-berlin'): Promise<DeliveryRow[]> {
  const data = await hub.gql(`{ connectorDeliveries(connector: "${connector}", first: 50) { edges { node {
    id state eventKey idempotencyKey externalReference reconciled attempts replays lastError lastFailureKind } } } }`);
  return data.connectorDeliveries.edges.map((e: { node: DeliveryRow }) => e.node);
}

export async function imports(hub: TestHub, connector = 'sap-berlin') {
  const data = await hub.gql(`{ connectorImports(connector: "${connector}", first: 50) { edges { node {
    reference outcome hubReference reasons { code field value message } } } } }`);
  return data.connectorImports.edges.map((e: { node: Record<string, unknown> }) => e.node) as {
    reference: string;
    outcome: string;
    hubReference: string | null;
    reasons: { code: string; field: string; value: string | null; message: string }[];
  }[];
}

/**
 * Releases, executes and completes a Draft as the plant would (the SAP batch of its lot made known),
 * with `counted` parts reported by its machines while it runs. Line clearance is signed by Chen
 * (E1003, qualified for it): by default signed in at the hub's development identity provider; a hub
 * trusting a test provider passes `clearedBy`.
 */
export async function runOnTheFloor(
  hub: TestHub,
  sim: SapSimulator,
  number: string,
  counted: PartsCounted[] = [],
  clearedBy: () => Promise<string> = () => devIdpToken(hub, 'E1003'),
): Promise<void> {
  must(
    await hub.services.workOrderLifecycle.release(SYSTEM, {
      number,
      assignments: [{ segment: '10-assemble', equipment: LINE, operators: ['E1001'] }],
      lots: [],
    }),
  );
  must(await hub.services.workOrderLifecycle.start(ANA, { number }));
  const signature = { token: await clearedBy(), meaning: SignatureMeaning.Responsibility };
  must(await hub.services.execution.confirmLineClearance(ANA, number, signature));
  must(await hub.services.execution.startStep(ANA, number));
  await countParts(hub, counted);
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

/** Parts a machine reports while an order runs (a count signal). */
export interface PartsCounted {
  path: string;
  good?: number;
  scrap?: number;
  rework?: number;
}

let countSequence = Date.now();

/** Reports the counts through GraphQL as a machine gateway would, and waits until the hub stored them. */
async function countParts(hub: TestHub, counted: PartsCounted[]): Promise<void> {
  if (!counted.length) return;
  const signals = counted.map((c) => ({
    kind: 'Count',
    path: c.path,
    source: 'sap-loop-gateway',
    sequence: ++countSequence,
    good: c.good ?? 0,
    scrap: c.scrap ?? 0,
    rework: c.rework ?? 0,
  }));
  const { publishSignals } = await hub.gql(
    `mutation ($s: [EquipmentSignalInput!]!) { publishSignals(signals: $s) {
      __typename ... on SignalsPublished { accepted } ... on ErrorResult { message } } }`,
    { s: signals },
  );
  if (publishSignals.accepted !== signals.length) throw new Error(`counts refused: ${JSON.stringify(publishSignals)}`);
  const sequences = signals.map((s) => s.sequence);
  for (let i = 0; i < 200; i++) {
    const [row] = await hub.db.em
      .fork()
      .execute<{ n: string }[]>(
        "select count(*) as n from production_count where source = 'sap-loop-gateway' and sequence = any(?::bigint[])",
        [`{${sequences.join(',')}}`],
      );
    if (Number(row!.n) === signals.length) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the counts were not stored within 10 s');
}
