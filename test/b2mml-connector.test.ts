import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CompletedOrder,
  children,
  equipmentIn,
  equipmentOut,
  handleDocument,
  type HubEquipment,
  type HubMaterialDefinition,
  type HubMaterialLot,
  materialDefinitionOut,
  materialDefinitionsIn,
  materialLotOut,
  materialLotsIn,
  parseDocument,
  performanceDocument,
  readSchedules,
  text,
  validateDocument,
  writeDocument,
} from '@plantgraph/connector-b2mml';
import type { HubClient } from '@plantgraph/connector-sdk';

const FIXTURES = new URL('./fixtures/b2mml/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

/**
 * MESA's own V0701 schema folder (`Schema/` of MESA's B2MML-BatchML repository), when a developer has
 * it: every document the connector writes is then checked against it too. The project does not ship it.
 */
const OFFICIAL = process.env.B2MML_OFFICIAL_SCHEMAS;
async function validAgainstMesa(xml: string, main: string) {
  const files = readdirSync(OFFICIAL!)
    .filter((f) => f.endsWith('.xsd'))
    .map((f) => ({ fileName: f, contents: readFileSync(join(OFFICIAL!, f), 'utf8') }));
  const first = files.find((f) => f.fileName === main)!;
  return validateDocument(xml, 'document.xml', [first, ...files.filter((f) => f !== first)]);
}

/** The names of an element's children in document order (what V0701's sequences fix). */
function childOrder(xml: string, element: string): string[] {
  const start = xml.indexOf(`<${element}>`);
  const end = xml.indexOf(`</${element}>`, start);
  const inner = xml.slice(start + element.length + 2, end);
  const names: string[] = [];
  let depth = 0;
  for (const m of inner.matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>/g)) {
    if (m[1]) depth--;
    else {
      if (depth === 0 && names.at(-1) !== m[2]) names.push(m[2]!);
      if (!m[3]) depth++;
    }
  }
  return names;
}

/** A hub that answers `importWorkOrders` as the real one does and records what it was sent. */
function fakeHub() {
  const calls: { query: string; variables?: Record<string, unknown> }[] = [];
  const held = new Set<string>();
  const hub: HubClient = {
    async graphql<T>(query: string, variables?: Record<string, unknown>) {
      calls.push({ query, variables });
      const inputs = (variables?.inputs ?? []) as { number: string; equipment: string }[];
      const answers = inputs.map((i) => {
        if (!i.equipment.startsWith('acme/'))
          return { __typename: 'UnknownReference', code: 'UNKNOWN_REFERENCE', message: `No equipment ${i.equipment}` };
        const outcome = held.has(i.number) ? 'Unchanged' : 'Created';
        held.add(i.number);
        return { __typename: 'WorkOrderImport', outcome, message: outcome };
      });
      return { data: { importWorkOrders: answers } as T };
    },
  };
  return { hub, calls };
}

describe('B2MML V0701 OperationsSchedule in', () => {
  it('maps each production request of a realistic schedule to a work order Draft, and names why not', async () => {
    const xml = fixture('operations-schedule.xml');
    expect(await validateDocument(xml)).toEqual({ valid: true });
    const { node } = parseDocument(xml);
    const mappings = readSchedules(children(node, 'DataArea')[0]!);
    expect(mappings).toEqual([
      {
        ok: true,
        requestId: 'B2-WO-1001',
        draft: {
          number: 'B2-WO-1001',
          productDefinition: 'PD-BRACKET-A',
          quantity: 25,
          unitOfMeasure: 'pcs',
          equipment: 'acme/berlin/assembly/line-1',
          plannedStart: '2026-12-07T06:00:00Z',
          plannedEnd: '2026-12-07T14:00:00Z',
          externalReference: 'b2mml:B2-WO-1001',
        },
      },
      {
        ok: true,
        requestId: 'B2-WO-1002',
        draft: expect.objectContaining({
          equipment: 'acme/berlin/assembly/line-2',
          quantity: 40,
          plannedStart: '2026-12-08T06:00:00Z',
          plannedEnd: '2026-12-08T14:00:00Z',
        }),
      },
      {
        ok: false,
        requestId: 'B2-MR-2001',
        reasons: [
          expect.objectContaining({
            code: 'NotProduction',
            field: 'OperationsSchedule[1]/OperationsRequest[3]/OperationsType',
            message: expect.stringContaining('only Production requests become work orders'),
          }),
        ],
      },
    ]);
  });

  it('imports through importWorkOrders in one call, answers per request and is idempotent on a re-import', async () => {
    const xml = fixture('operations-schedule.xml');
    const { hub, calls } = fakeHub();
    const first = await handleDocument(hub, 'erp', xml, 'week-49.xml', 'answer-1');
    expect(calls).toHaveLength(1);
    expect((calls[0]!.variables!.inputs as unknown[]).length).toBe(2);
    expect(first.outcomes.map((o) => [o.reference, o.outcome])).toEqual([
      ['OperationsRequest:B2-WO-1001', 'Created'],
      ['OperationsRequest:B2-WO-1002', 'Created'],
      ['OperationsRequest:B2-MR-2001', 'Rejected'],
    ]);
    // The answer is an AcknowledgeOperationsSchedule, valid V0701, one ResponseCriteria per request.
    expect(await validateDocument(first.answer!)).toEqual({ valid: true });
    const answer = parseDocument(first.answer!);
    expect(answer.root).toBe('AcknowledgeOperationsSchedule');
    const criteria = children(children(children(answer.node, 'DataArea')[0], 'Acknowledge')[0], 'ResponseCriteria');
    expect(criteria.map((c) => text(children(c, 'ChangeStatus')[0], 'Code'))).toEqual([
      'Created',
      'Created',
      'Rejected',
    ]);
    expect(first.answer).toContain('<OriginalApplicationArea>');
    expect(first.answer).toContain('<BODID>SCHED-2026-W49-0001</BODID>');
    if (OFFICIAL) expect(await validAgainstMesa(first.answer!, 'AllSchemas.xsd')).toEqual({ valid: true });

    const again = await handleDocument(hub, 'erp', xml, 'week-49.xml', 'answer-2');
    expect(again.outcomes.map((o) => o.outcome)).toEqual(['Unchanged', 'Unchanged', 'Rejected']);
  });

  it('keeps the hub refusing one order from refusing the others', async () => {
    const xml = fixture('operations-schedule.xml').replace(
      '<b2mml:EquipmentID>acme/berlin/assembly/line-2</b2mml:EquipmentID>',
      '<b2mml:EquipmentID>hamburg/line-9</b2mml:EquipmentID>',
    );
    const { hub, calls } = fakeHub();
    const result = await handleDocument(hub, 'erp', xml, 'week-49.xml', 'answer-6');
    expect(calls).toHaveLength(1);
    expect(result.outcomes.map((o) => [o.reference, o.outcome, o.reasons[0]?.code])).toEqual([
      ['OperationsRequest:B2-WO-1001', 'Created', undefined],
      ['OperationsRequest:B2-WO-1002', 'Rejected', 'UNKNOWN_REFERENCE'],
      ['OperationsRequest:B2-MR-2001', 'Rejected', 'NotProduction'],
    ]);
    expect(result.outcomes[1]!.reasons[0]!.message).toContain('No equipment hamburg/line-9');
    expect(await validateDocument(result.answer!)).toEqual({ valid: true });
  });

  it('refuses an invalid document as a whole: nothing imported, each problem with its line and element', async () => {
    const xml = fixture('operations-schedule.xml').replace(
      '<b2mml:OperationsSegmentID>0010</b2mml:OperationsSegmentID>',
      '',
    );
    const { hub, calls } = fakeHub();
    const result = await handleDocument(hub, 'erp', xml, 'broken.xml', 'answer-3');
    expect(calls).toHaveLength(0);
    expect(result.accepted).toBe(false);
    expect(result.answer).toContain('<ConfirmBOD');
    expect(result.outcomes[0]!.reasons[0]!.message).toBe(
      "line 45: Element 'SegmentParameter': This element is not expected. Expected is ( OperationsSegmentID ).",
    );
    expect(result.answer).toContain('<Note>line 45: Element &apos;SegmentParameter&apos;');
    expect(await validateDocument(result.answer!)).toEqual({ valid: true });
    const notXml = await handleDocument(hub, 'erp', '<ProcessOperationsSchedule', 'cut.xml', 'answer-4');
    expect(notXml.accepted).toBe(false);
    expect(notXml.outcomes[0]!.reasons[0]!.message).toMatch(/line 1/);
    const wrongNoun = writeDocument('ProcessOperationsPerformance', {
      ApplicationArea: { CreationDateTime: '2026-12-01T05:00:00Z' },
      DataArea: {
        Process: {},
        OperationsPerformance: { ID: 'x', OperationsResponse: { ID: 'y', SegmentResponse: { ID: 'z' } } },
      },
    });
    const refused = await handleDocument(hub, 'erp', wrongNoun, 'perf.xml', 'answer-5');
    expect(refused.accepted).toBe(false);
    expect(refused.answer).toContain('ProcessOperationsPerformance is not taken here');
  });
});

const ORDER: CompletedOrder = {
  number: 'B2-WO-1001',
  state: 'UnderReview',
  externalReference: 'b2mml:B2-WO-1001',
  quantity: 25,
  unitOfMeasure: 'pcs',
  producedLot: 'L-BRACKET-1001',
  actualStart: '2026-12-07T06:02:11.000Z',
  actualEnd: '2026-12-07T13:41:05.000Z',
  equipment: { path: 'acme/berlin/assembly/line-1', level: 'ProductionLine' },
  productDefinitionVersion: { productDefinition: { code: 'PD-BRACKET-A' } },
  counts: { goodQuantity: 24, scrapQuantity: 1, reworkQuantity: 0 },
  reservations: [
    {
      consumedQuantity: 12.5,
      lot: { lotNumber: 'L-COIL-0001', unitOfMeasure: 'kg', materialDefinition: { code: 'STEEL-COIL-2MM' } },
    },
    {
      consumedQuantity: 0,
      lot: { lotNumber: 'L-BOLT-0107', unitOfMeasure: 'pcs', materialDefinition: { code: 'BOLT-M8' } },
    },
  ],
};

describe('B2MML V0701 OperationsPerformance out', () => {
  it('writes one valid ProcessOperationsPerformance per completed order, in V0701 element order', async () => {
    const produced = {
      lotNumber: 'L-BRACKET-1001',
      quantity: 24,
      unitOfMeasure: 'pcs',
      materialDefinition: { code: 'BRACKET-A' },
    };
    const xml = performanceDocument('erp', 'f00dcafe', ORDER, produced, new Date('2026-12-07T13:41:06Z'));
    expect(await validateDocument(xml)).toEqual({ valid: true });
    if (OFFICIAL) expect(await validAgainstMesa(xml, 'B2MML-OperationsPerformance.xsd')).toEqual({ valid: true });
    expect(childOrder(xml, 'OperationsResponse')).toEqual([
      'ID',
      'StartTime',
      'EndTime',
      'HierarchyScope',
      'OperationsType',
      'OperationsRequestID',
      'OperationsDefinitionID',
      'ResponseState',
      'SegmentResponse',
    ]);
    expect(childOrder(xml, 'SegmentResponse')).toEqual([
      'ID',
      'ActualStartTime',
      'ActualEndTime',
      'HierarchyScope',
      'OperationsType',
      'OperationsRequestID',
      'OperationsDefinitionID',
      'SegmentState',
      'SegmentData',
      'EquipmentActual',
      'MaterialActual',
    ]);
    const { root, node } = parseDocument(xml);
    expect(root).toBe('ProcessOperationsPerformance');
    expect(node['@_releaseID']).toBe('0701');
    const segment = children(
      children(children(children(node, 'DataArea')[0], 'OperationsPerformance')[0], 'OperationsResponse')[0],
      'SegmentResponse',
    )[0];
    const materials = children(segment, 'MaterialActual').map((m) => [
      text(m, 'MaterialLotID'),
      text(m, 'MaterialUse'),
      text(children(m, 'Quantity')[0], 'QuantityString'),
    ]);
    expect(materials).toEqual([
      ['L-COIL-0001', 'Consumed', '12.5'],
      ['L-BRACKET-1001', 'Produced', '24'],
    ]);
    expect(children(segment, 'SegmentData').map((d) => text(d, 'ID'))).toEqual([
      'GoodQuantity',
      'ScrapQuantity',
      'ReworkQuantity',
    ]);
    expect(text(children(node, 'ApplicationArea')[0], 'BODID')).toBe('f00dcafe');
  });
});

const EQUIPMENT: HubEquipment[] = [
  { path: 'acme', code: 'acme', name: 'Acme Manufacturing', level: 'Enterprise', equipmentClass: null, properties: [] },
  { path: 'acme/berlin', code: 'berlin', name: 'Berlin plant', level: 'Site', equipmentClass: null, properties: [] },
  {
    path: 'acme/berlin/press-1',
    code: 'press-1',
    name: 'Press 1 & 2 <hall>',
    level: 'WorkCell',
    equipmentClass: { code: 'hydraulic-press' },
    properties: [
      { name: 'tonnage', value: 250 },
      { name: 'commissioned', value: '2019-04-01T00:00:00.000Z' },
      { name: 'guarded', value: true },
    ],
  },
];
const DEFINITIONS: HubMaterialDefinition[] = [
  {
    code: 'STEEL-COIL-2MM',
    name: 'Steel coil DC04, 2 mm',
    unitOfMeasure: 'kg',
    materialClass: { code: 'sheet-metal' },
    properties: [{ name: 'thicknessMm', value: 2 }],
  },
];
const LOTS: HubMaterialLot[] = [
  {
    lotNumber: 'L-COIL-0002',
    quantity: 4800,
    unitOfMeasure: 'kg',
    status: 'OnHold',
    expiresAt: '2027-12-01T00:00:00.000Z',
    materialDefinition: { code: 'STEEL-COIL-2MM' },
    location: { path: 'acme/berlin/store-1' },
    properties: [{ name: 'thicknessMm', value: 2.08 }],
  },
];

describe('B2MML V0701 master data', () => {
  it('writes Equipment, MaterialDefinition and MaterialLot as valid documents; they read back the same', async () => {
    const area = { CreationDateTime: '2026-12-01T05:00:00Z' };
    const docs = {
      equipment: writeDocument('SyncEquipment', {
        ApplicationArea: area,
        DataArea: { Sync: {}, Equipment: equipmentOut(EQUIPMENT) },
      }),
      definitions: writeDocument('SyncMaterialDefinition', {
        ApplicationArea: area,
        DataArea: { Sync: {}, MaterialDefinition: DEFINITIONS.map(materialDefinitionOut) },
      }),
      lots: writeDocument('SyncMaterialLot', {
        ApplicationArea: area,
        DataArea: { Sync: {}, MaterialLot: LOTS.map(materialLotOut) },
      }),
    };
    for (const xml of Object.values(docs)) {
      expect(await validateDocument(xml)).toEqual({ valid: true });
      if (OFFICIAL) expect(await validAgainstMesa(xml, 'AllSchemas.xsd')).toEqual({ valid: true });
    }
    // Children nest: one root element, the site inside it, the press inside the site.
    expect(docs.equipment.match(/<Equipment>/g)).toHaveLength(1);
    expect(docs.equipment).toContain('Press 1 &amp; 2 &lt;hall&gt;');
    const area$ = (xml: string) => children(parseDocument(xml).node, 'DataArea')[0]!;
    expect(
      equipmentIn(area$(docs.equipment)).map(
        ({ path, parentPath, code, name, level, equipmentClass, properties, problems }) => ({
          path,
          parentPath,
          code,
          name,
          level,
          equipmentClass,
          properties,
          problems,
        }),
      ),
    ).toEqual(
      EQUIPMENT.map((e) => ({
        path: e.path,
        parentPath: e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : null,
        code: e.code,
        name: e.name,
        level: e.level,
        equipmentClass: e.equipmentClass?.code,
        properties: e.properties,
        problems: [],
      })),
    );
    expect(materialDefinitionsIn(area$(docs.definitions))).toEqual([
      expect.objectContaining({
        code: 'STEEL-COIL-2MM',
        name: 'Steel coil DC04, 2 mm',
        unitOfMeasure: 'kg',
        materialClass: 'sheet-metal',
        properties: [{ name: 'thicknessMm', value: 2 }],
        problems: [],
      }),
    ]);
    expect(materialLotsIn(area$(docs.lots))).toEqual([
      expect.objectContaining({
        lotNumber: 'L-COIL-0002',
        materialDefinition: 'STEEL-COIL-2MM',
        quantity: 4800,
        unitOfMeasure: 'kg',
        status: 'OnHold',
        expiresAt: '2027-12-01T00:00:00.000Z',
        location: 'acme/berlin/store-1',
        properties: [{ name: 'thicknessMm', value: 2.08 }],
        problems: [],
      }),
    ]);
    expect(docs.lots).toContain('<Disposition>Restricted</Disposition>');
  });

  it('names the element and what to fix in a record it cannot take', () => {
    const xml = writeDocument('ProcessMaterialLot', {
      ApplicationArea: { CreationDateTime: '2026-12-01T05:00:00Z' },
      DataArea: {
        Process: {},
        MaterialLot: [
          { ID: 'L-1', MaterialDefinitionID: 'BOLT-M8', Quantity: { QuantityString: 'many' } },
          {
            ID: 'L-2',
            StorageLocation: { Location: 'Hall 3', LocationType: 'Description' },
            Quantity: { QuantityString: '5' },
          },
        ],
      },
    });
    const [one, two] = materialLotsIn(children(parseDocument(xml).node, 'DataArea')[0]!);
    expect(one!.problems.map((p) => p.message)).toEqual([
      'MaterialLot[1]/Quantity/QuantityString must be a number, zero or more',
    ]);
    expect(two!.problems.map((p) => p.message)).toEqual([
      'MaterialLot[2]/MaterialDefinitionID must name the material',
      'MaterialLot[2]/StorageLocation/LocationType must be Equipment (a hub equipment path)',
    ]);
  });
});
