// The declarative mapping: validation messages that name the field to fix, a realistic SAP order as a hub
// Draft, and completion data as a confirmation SAP accepts, including the fix-and-replay of a mapping error.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  externalConfirmationId,
  fromLocal,
  mapCompletionToConfirmation,
  mapOrderToDraft,
  MappingError,
  parseMapping,
  SapError,
  SapS4HanaClient,
  toLocal,
  validateMapping,
  type CompletionData,
  type SapMapping,
} from '@plantgraph/connector-sap-s4hana';
import { startSapSimulator, type SapSimulator } from './support/sap-simulator/index.js';

const MAPPING: SapMapping = {
  version: 1,
  plants: [
    {
      plant: '1710',
      site: 'acme/berlin',
      timeZone: 'Europe/Berlin',
      workCenters: { WELD: 'acme/berlin/frames/weld-1', PAINT: 'acme/berlin/frames/paint-1' },
      storageLocations: { '171A': 'acme/berlin/stores/raw', '171B': 'acme/berlin/stores/finished' },
      defaultStorageLocation: '171A',
      receiptStorageLocation: '171B',
    },
  ],
  units: { ST: 'pcs', EA: 'pcs', KG: 'kg', M: 'm' },
  outboundUnits: { pcs: 'ST' },
  materials: { 'RM-STEEL': 'steel-tube', 'RM-PAINT': 'paint-red', 'FG-FRAME': 'bike-frame' },
  products: { 'FG-FRAME': 'bike-frame-assembly' },
  personnel: { 'E-1001': '00001001' },
  confirmation: { goodsReceipt: true },
};

describe('SAP mapping: validation', () => {
  it('accepts a complete mapping', () => {
    expect(validateMapping(MAPPING)).toEqual({ ok: true, mapping: MAPPING });
    expect(parseMapping(JSON.stringify(MAPPING))).toEqual(MAPPING);
  });

  it('names every field to fix', () => {
    const broken = {
      version: 2,
      plants: [{ plant: '17100', site: 'acme/berlin', workCenters: { WELD: 'Line 1' }, storageLocations: 'raw' }],
      units: { ST: 'pcs', PIECE: 'pcs' },
      materials: {},
      personnel: { 'E-1': 'Miller' },
      colour: 'red',
    };
    const result = validateMapping(broken);
    if (result.ok) throw new Error('expected issues');
    expect(result.issues).toEqual([
      { path: 'products', message: 'is required' },
      { path: 'version', message: 'must be 1, not 2' },
      { path: 'plants[0].plant', message: '"17100" is 5 characters long; SAP allows at most 4' },
      {
        path: 'plants[0].workCenters.WELD',
        message: '"Line 1" is not valid: expected a hub path: segments of letters, digits, - and _ separated by /',
      },
      {
        path: 'plants[0].storageLocations',
        message: 'must be an object of storage location -> equipment path, not "raw"',
      },
      { path: 'units.PIECE', message: '"PIECE" as a key is 5 characters long; SAP allows at most 3' },
      { path: 'personnel["E-1"]', message: '"Miller" is not valid: expected an SAP personnel number (up to 8 digits)' },
      {
        path: 'colour',
        message:
          'is not a known field (known: version, plants, units, outboundUnits, materials, products, personnel, confirmation)',
      },
    ]);
  });

  it('refuses mappings whose way back to SAP would be ambiguous or outside the site', () => {
    const result = validateMapping({
      ...MAPPING,
      plants: [
        {
          ...MAPPING.plants[0],
          workCenters: { WELD: 'acme/hamburg/weld-1' },
          storageLocations: { '171A': 'acme/berlin/stores/raw', '171C': 'acme/berlin/stores/raw' },
          timeZone: 'Berlin',
        },
        { plant: '1710', site: 'acme/munich', workCenters: {} },
      ],
      outboundUnits: undefined,
      materials: { 'RM-STEEL': 'steel-tube', 'RM-STEEL-2': 'steel-tube' },
    });
    if (result.ok) throw new Error('expected issues');
    expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'plants[0].timeZone: "Berlin" is not an IANA time zone, e.g. "Europe/Berlin"',
      'plants[0].workCenters.WELD: "acme/hamburg/weld-1" is not under the plant\'s site "acme/berlin"',
      'plants[0].storageLocations["171C"]: storage zone "acme/berlin/stores/raw" is already mapped from "171A"; lots there could not be posted back to one SAP code',
      'plants[1].plant: plant "1710" is already mapped in plants[0]',
      'materials["RM-STEEL-2"]: hub material "steel-tube" is already mapped from "RM-STEEL"; consumed lots of it could not be posted back to one SAP code',
      'outboundUnits.pcs: hub unit "pcs" comes from SAP units ST, EA; say which one to send back',
    ]);
    expect(() => parseMapping({ version: 1 })).toThrow(MappingError);
    expect(() => parseMapping({ version: 1 })).toThrow(/- plants: is required/);
  });

  it('converts plant-local times across daylight saving', () => {
    expect(fromLocal('2026-03-02T06:00:00', 'Europe/Berlin').toISOString()).toBe('2026-03-02T05:00:00.000Z');
    expect(fromLocal('2026-07-02T06:00:00', 'Europe/Berlin').toISOString()).toBe('2026-07-02T04:00:00.000Z');
    expect(toLocal(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00');
    expect(fromLocal('2026-03-29T02:30:00', 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});

describe('SAP mapping: orders and confirmations against the simulator', () => {
  let sim: SapSimulator;
  let sap: SapS4HanaClient;

  beforeAll(async () => {
    sim = await startSapSimulator();
    sap = new SapS4HanaClient({ baseUrl: sim.url });
    sim.addMaterial({ material: 'RM-STEEL', plant: '1710', baseUnit: 'KG', batches: ['B-0815'] });
    sim.addMaterial({ material: 'RM-PAINT', plant: '1710', baseUnit: 'KG', batches: ['P-77'] });
    sim.addOrder({
      order: '6000001',
      material: 'FG-FRAME',
      quantity: 50,
      unit: 'ST',
      plannedStart: '2026-03-02T06:00:00',
      plannedEnd: '2026-03-02T22:00:00',
      operations: [
        { operation: '0010', workCenter: 'WELD', text: 'Weld frame' },
        { operation: '0020', workCenter: 'PAINT', text: 'Paint frame' },
      ],
      components: [
        { material: 'RM-STEEL', quantity: 125, unit: 'KG', operation: '0010', storageLocation: '171A' },
        { material: 'RM-PAINT', quantity: 5, unit: 'KG', operation: '0020', storageLocation: '171A', batch: 'P-77' },
        { material: 'RM-PHANTOM', quantity: 50, operation: '0010', phantom: true },
      ],
    });
  });
  afterAll(() => sim.close());

  it('maps a realistic order to a Draft work order', async () => {
    const order = await sap.getOrder('6000001');
    if (!order) throw new Error('order missing');
    const result = mapOrderToDraft(order, MAPPING);
    if (!result.ok) throw new Error(JSON.stringify(result.rejections));
    expect(result.draft).toMatchObject({
      number: '6000001',
      productDefinition: 'bike-frame-assembly',
      quantity: 50,
      unitOfMeasure: 'pcs',
      equipment: 'acme/berlin/frames/weld-1',
      site: 'acme/berlin',
      plannedStart: '2026-03-02T05:00:00.000Z',
      plannedEnd: '2026-03-02T21:00:00.000Z',
      source: {
        system: 'sap-s4hana',
        order: '6000001',
        plant: '1710',
        material: 'FG-FRAME',
        unit: 'ST',
        finalOperation: '0020',
        released: true,
      },
    });
    expect(result.draft.operations.map((o) => [o.operation, o.equipment, o.text])).toEqual([
      ['0010', 'acme/berlin/frames/weld-1', 'Weld frame'],
      ['0020', 'acme/berlin/frames/paint-1', 'Paint frame'],
    ]);
    // The phantom item is not a requirement of its own.
    expect(result.draft.materialRequirements).toEqual([
      expect.objectContaining({
        materialDefinition: 'steel-tube',
        quantity: 125,
        unitOfMeasure: 'kg',
        operation: '0010',
        storageLocation: 'acme/berlin/stores/raw',
      }),
      expect.objectContaining({
        materialDefinition: 'paint-red',
        quantity: 5,
        unitOfMeasure: 'kg',
        operation: '0020',
        batch: 'P-77',
      }),
    ]);
    expect(result.draft.source.etag).toBe(order.etag);
  });

  it('rejects an order with every reason, naming the SAP field and value', async () => {
    const order = await sap.getOrder('6000001');
    if (!order) throw new Error('order missing');
    const partial: SapMapping = {
      ...MAPPING,
      plants: [{ ...MAPPING.plants[0], workCenters: { WELD: 'acme/berlin/frames/weld-1' } }],
      materials: { 'RM-STEEL': 'steel-tube' },
    };
    const result = mapOrderToDraft(order, partial);
    if (result.ok) throw new Error('expected rejections');
    expect(result.rejections).toEqual([
      {
        code: 'UnknownWorkCenter',
        field: 'to_ProductionOrderOperation[0020].WorkCenter',
        value: 'PAINT',
        message: 'work center "PAINT" (operation 0020) is not mapped to equipment in plant 1710',
      },
      {
        code: 'UnknownMaterial',
        field: 'to_ProductionOrderComponent[100001/0002].Material',
        value: 'RM-PAINT',
        message: 'component material "RM-PAINT" is not mapped to a hub material definition (mapping.materials)',
      },
    ]);
    const elsewhere = mapOrderToDraft({ ...order, plant: '9999', isMarkedForDeletion: true }, MAPPING);
    expect(elsewhere.ok ? [] : elsewhere.rejections.map((r) => r.code)).toEqual(['OrderNotImportable', 'UnknownPlant']);
  });

  const completion = (key: string): CompletionData => ({
    idempotencyKey: key,
    order: '6000001',
    operation: '0020',
    plant: '1710',
    material: 'FG-FRAME',
    yield: 48,
    scrap: 2,
    rework: 1,
    unitOfMeasure: 'pcs',
    final: true,
    postingDate: new Date('2026-03-02T23:30:00Z'), // already March 3rd in Berlin
    startedAt: new Date('2026-03-02T05:10:00Z'),
    finishedAt: new Date('2026-03-02T21:45:30Z'),
    equipment: 'acme/berlin/frames/paint-1',
    personnel: ['E-9999', 'E-1001'],
    consumedLots: [
      {
        lotNumber: 'B-0815',
        materialDefinition: 'steel-tube',
        quantity: 120.5,
        unitOfMeasure: 'kg',
        location: 'acme/berlin/stores/raw',
      },
      { lotNumber: 'P-77', materialDefinition: 'paint-red', quantity: 4.75, unitOfMeasure: 'kg' },
    ],
    producedLot: { lotNumber: 'F-260302', location: 'acme/berlin/stores/finished' },
  });

  it('maps completion data to a ProdnOrdConf2 body with 261 and 101 movements that SAP accepts', async () => {
    const result = mapCompletionToConfirmation(completion('WorkOrderCompleted:6000001'), MAPPING);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.payload).toEqual({
      OrderID: '6000001',
      OrderOperation: '0020',
      ExternalSystemConfirmation: externalConfirmationId('WorkOrderCompleted:6000001'),
      ConfirmationYieldQuantity: '48',
      ConfirmationScrapQuantity: '2',
      ConfirmationReworkQuantity: '1',
      ConfirmationUnit: 'ST',
      FinalConfirmationType: 'X',
      IsFinalConfirmation: true,
      PostingDate: `/Date(${Date.UTC(2026, 2, 3)})/`,
      ConfirmedExecutionStartDate: `/Date(${Date.UTC(2026, 2, 2)})/`,
      ConfirmedExecutionStartTime: 'PT06H10M00S',
      ConfirmedExecutionEndDate: `/Date(${Date.UTC(2026, 2, 2)})/`,
      ConfirmedExecutionEndTime: 'PT22H45M30S',
      WorkCenter: 'PAINT',
      Personnel: '00001001',
      to_ProdnOrdConfMatlDocItm: [
        {
          GoodsMovementType: '261',
          Material: 'RM-STEEL',
          Plant: '1710',
          StorageLocation: '171A',
          Batch: 'B-0815',
          QuantityInEntryUnit: '120.5',
          EntryUnit: 'KG',
          OrderID: '6000001',
        },
        {
          GoodsMovementType: '261',
          Material: 'RM-PAINT',
          Plant: '1710',
          StorageLocation: '171A',
          Batch: 'P-77',
          QuantityInEntryUnit: '4.75',
          EntryUnit: 'KG',
          OrderID: '6000001',
        },
        {
          GoodsMovementType: '101',
          Material: 'FG-FRAME',
          Plant: '1710',
          StorageLocation: '171B',
          Batch: 'F-260302',
          QuantityInEntryUnit: '48',
          EntryUnit: 'ST',
          OrderID: '6000001',
          GoodsMovementRefDocType: 'F',
        },
      ],
    });
    const posted = await sap.postConfirmation(result.payload);
    expect(posted.goodsMovements.map((g) => [g.movementType, g.material, g.batch, g.quantity])).toEqual([
      ['261', 'RM-STEEL', 'B-0815', 120.5],
      ['261', 'RM-PAINT', 'P-77', 4.75],
      ['101', 'FG-FRAME', 'F-260302', 48],
    ]);
  });

  it('lists mapping problems before anything is sent', () => {
    const data = completion('k');
    data.consumedLots.push({
      lotNumber: 'LOT-2026-000123',
      materialDefinition: 'glue',
      quantity: 0,
      unitOfMeasure: 'l',
    });
    data.equipment = 'acme/berlin/frames/unknown';
    const result = mapCompletionToConfirmation(data, { ...MAPPING, outboundUnits: undefined });
    if (result.ok) throw new Error('expected problems');
    expect(result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'outboundUnits.pcs: hub unit "pcs" maps back to ST and EA; choose one in outboundUnits',
      'plants[0].workCenters: no work center is mapped to equipment "acme/berlin/frames/unknown"',
      'materials: consumedLots[2] (lot LOT-2026-000123): hub material "glue" is not mapped from an SAP material',
      'units: hub unit "l" is not mapped from any SAP unit',
      'consumedLots[2].lotNumber: lot number "LOT-2026-000123" is longer than SAP\'s 10-character batch',
      'consumedLots[2].quantity: lot LOT-2026-000123: a consumed quantity must be above 0',
    ]);
  });

  it("a mapping error comes back with SAP's message, is fixed in the mapping and posts once", async () => {
    // The installation sends hub "pcs" back as EA, but the order is kept in ST.
    const wrong: SapMapping = { ...MAPPING, outboundUnits: { pcs: 'EA' }, confirmation: { goodsReceipt: false } };
    const data = {
      ...completion('WorkOrderCompleted:6000001:op10'),
      operation: '0010',
      consumedLots: [],
      yield: 1,
      scrap: 0,
    };
    const first = mapCompletionToConfirmation(data, wrong);
    if (!first.ok) throw new Error('unexpected problems');
    const error = await sap.postConfirmation(first.payload).catch((e: unknown) => e as SapError);
    expect(error).toMatchObject({ kind: 'permanent', sapMessage: 'Unit EA is not the unit ST of order 6000001' });

    const fixed = mapCompletionToConfirmation(data, { ...wrong, outboundUnits: { pcs: 'ST' } });
    if (!fixed.ok) throw new Error('unexpected problems');
    // Same key on the replay: the reconcile read finds nothing, so it posts, once.
    const delivered = await sap.deliverConfirmation(fixed.payload, { reconcileFirst: true });
    expect(delivered.reconciled).toBe(false);
    const again = await sap.deliverConfirmation(fixed.payload, { reconcileFirst: true });
    expect(again.reconciled).toBe(true);
    const key = externalConfirmationId('WorkOrderCompleted:6000001:op10');
    expect(sim.confirmations().filter((c) => c.ExternalSystemConfirmation === key)).toHaveLength(1);
  });
});
