import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  children,
  classesIn,
  classOut,
  documentName,
  handleDocument,
  type HubClass,
  type HubMaterialLot,
  importMaterialLots,
  materialLotOut,
  materialLotsIn,
  parseDocument,
  text,
  validateDocument,
  writeDocument,
} from '@plantgraph/connector-b2mml';
import type { HubClient } from '@plantgraph/connector-sdk';

/** MESA's own V0701 schema folder, when a developer has it (see b2mml-connector.test.ts). */
const OFFICIAL = process.env.B2MML_OFFICIAL_SCHEMAS;
async function validAgainstMesa(xml: string) {
  const files = readdirSync(OFFICIAL!)
    .filter((f) => f.endsWith('.xsd'))
    .map((f) => ({ fileName: f, contents: readFileSync(join(OFFICIAL!, f), 'utf8') }));
  const first = files.find((f) => f.fileName === 'AllSchemas.xsd')!;
  return validateDocument(xml, 'document.xml', [first, ...files.filter((f) => f !== first)]);
}

const PRESS: HubClass = {
  code: 'hydraulic-press',
  description: 'Hydraulic presses & <brakes>',
  idealCycleTimeSeconds: 12.5,
  properties: [
    { name: 'tonnage', dataType: 'Decimal', unitOfMeasure: 't', required: true, description: 'Nominal force' },
    { name: 'guarded', dataType: 'Boolean', unitOfMeasure: null, required: false, description: null },
    { name: 'commissioned', dataType: 'DateTime', unitOfMeasure: null, required: false, description: null },
  ],
};
const SHEET: HubClass = {
  code: 'sheet-metal',
  description: null,
  properties: [
    { name: 'thicknessMm', dataType: 'Decimal', unitOfMeasure: 'mm', required: true, description: null },
    { name: 'grade', dataType: 'String', unitOfMeasure: null, required: false, description: null },
    { name: 'coils', dataType: 'Integer', unitOfMeasure: null, required: false, description: null },
  ],
};
const area = { CreationDateTime: '2026-12-01T05:00:00Z', BODID: 'classes-1' };
const dataArea = (xml: string) => children(parseDocument(xml).node, 'DataArea')[0]!;
const codes = (xml: string, verb: string) =>
  children(children(dataArea(xml), verb)[0], 'ResponseCriteria').map((c) => ({
    code: text(children(c, 'ChangeStatus')[0], 'Code'),
    why: children(children(c, 'ChangeStatus')[0], 'Description').map((d) => String(d['#text'])),
  }));

/** An in-memory hub for classes and work orders: what the connector asks, answered as the real one does. */
function fakeHub(classes: Record<string, HubClass>, orders: Record<string, string>) {
  const hub: HubClient = {
    async graphql<T>(query: string, variables: Record<string, any> = {}) {
      const data = ((): unknown => {
        if (/c: (equipment|material)Class\(code/.test(query)) return { c: classes[variables.c] ?? null };
        if (query.includes('r: create')) {
          classes[variables.i.code] = { ...variables.i };
          return { r: { __typename: query.includes('EquipmentClass') ? 'EquipmentClass' : 'MaterialClass' } };
        }
        if (query.includes('r: update')) {
          classes[variables.c] = { ...classes[variables.c]!, ...variables.i };
          return { r: { __typename: query.includes('EquipmentClass') ? 'EquipmentClass' : 'MaterialClass' } };
        }
        if (query.includes('workOrder(number'))
          return Object.fromEntries(
            Object.entries(variables).map(([k, n]) => [`o${k.slice(1)}`, orders[n] ? { number: n } : null]),
          );
        if (query.includes('importWorkOrders'))
          return {
            importWorkOrders: variables.inputs.map((i: { number: string }) =>
              orders[i.number] === 'Draft'
                ? { __typename: 'WorkOrderImport', outcome: 'Updated', message: 'Updated' }
                : { __typename: 'WorkOrderImport', outcome: 'Conflict', message: `Order ${i.number} is Released.` },
            ),
          };
        throw new Error(`unexpected query ${query}`);
      })();
      return { data: data as T };
    },
  };
  return hub;
}

describe('B2MML V0701 EquipmentClass and MaterialClass', () => {
  it('writes both as valid documents that read back as the same classes', async () => {
    const docs = {
      EquipmentClass: writeDocument('SyncEquipmentClass', {
        ApplicationArea: area,
        DataArea: { Sync: {}, EquipmentClass: [classOut('EquipmentClass', PRESS)] },
      }),
      MaterialClass: writeDocument('ShowMaterialClass', {
        ApplicationArea: area,
        DataArea: { Show: {}, MaterialClass: [classOut('MaterialClass', SHEET)] },
      }),
    };
    for (const xml of Object.values(docs)) {
      expect(await validateDocument(xml)).toEqual({ valid: true });
      if (OFFICIAL) expect(await validAgainstMesa(xml)).toEqual({ valid: true });
    }
    expect(docs.EquipmentClass).toContain('<PropertyType>ClassType</PropertyType>');
    const [press] = classesIn('EquipmentClass', dataArea(docs.EquipmentClass));
    expect(press).toEqual({ at: 'EquipmentClass[1]', ...PRESS, problems: [] });
    const [sheet] = classesIn('MaterialClass', dataArea(docs.MaterialClass));
    expect(sheet).toEqual({ at: 'MaterialClass[1]', ...SHEET, idealCycleTimeSeconds: null, problems: [] });
  });

  it('refuses what the hub cannot hold, naming the element and what to send instead', async () => {
    const xml = writeDocument('ProcessMaterialClass', {
      ApplicationArea: area,
      DataArea: {
        Process: {},
        MaterialClass: [
          {
            ID: 'fasteners',
            MaterialClassBaseID: 'hardware',
            MaterialClassProperty: [
              { ID: 'torque', PropertyType: 'ClassType', Value: { ValueString: '12', DataType: 'double' } },
              { ID: 'photo', Value: { ValueString: '', DataType: 'BinaryObject' } },
            ],
          },
        ],
      },
    });
    expect(await validateDocument(xml)).toEqual({ valid: true });
    const classes: Record<string, HubClass> = {};
    const result = await handleDocument(fakeHub(classes, {}), 'erp', xml, 'classes.xml', 'a1');
    expect(parseDocument(result.answer!).root).toBe('AcknowledgeMaterialClass');
    expect(await validateDocument(result.answer!)).toEqual({ valid: true });
    expect(result.outcomes).toEqual([
      expect.objectContaining({ reference: 'MaterialClass:fasteners', outcome: 'Rejected' }),
    ]);
    expect(result.outcomes[0]!.reasons.map((r) => r.message)).toEqual([
      "MaterialClass[1]/MaterialClassBaseID: the hub's classes are flat; leave it out and send each class on its own",
      'MaterialClass[1]/MaterialClassProperty[1]/PropertyType is ClassType: the hub keeps no class values but an ' +
        "equipment class's IdealCycleTimeSeconds; send torque as InstanceType",
      'MaterialClass[1]/MaterialClassProperty[2]/Value/DataType BinaryObject has no hub data type: use string, ' +
        'integer, decimal, boolean or dateTime',
    ]);
    expect(classes).toEqual({});
  });

  it('creates, leaves unchanged, updates; a Change alters only what the hub holds, answered by Respond', async () => {
    const classes: Record<string, HubClass> = {};
    const hub = fakeHub(classes, {});
    const send = (verb: 'Process' | 'Change', list: HubClass[]) =>
      writeDocument(`${verb}EquipmentClass`, {
        ApplicationArea: area,
        DataArea: { [verb]: {}, EquipmentClass: list.map((c) => classOut('EquipmentClass', c)) },
      });
    const outcomes = async (xml: string) =>
      (await handleDocument(hub, 'erp', xml, 'doc.xml', 'a1')).outcomes.map((o) => o.outcome);
    expect(await outcomes(send('Process', [PRESS]))).toEqual(['Created']);
    expect(classes['hydraulic-press']).toMatchObject({ idealCycleTimeSeconds: 12.5, properties: PRESS.properties });
    expect(await outcomes(send('Process', [PRESS]))).toEqual(['Unchanged']);

    const faster = { ...PRESS, idealCycleTimeSeconds: 10 };
    const change = await handleDocument(hub, 'erp', send('Change', [faster, SHEET]), 'doc.xml', 'a2');
    expect(parseDocument(change.answer!).root).toBe('RespondEquipmentClass');
    expect(await validateDocument(change.answer!)).toEqual({ valid: true });
    if (OFFICIAL) expect(await validAgainstMesa(change.answer!)).toEqual({ valid: true });
    expect(codes(change.answer!, 'Respond')).toEqual([
      { code: 'Updated', why: ['EquipmentClass hydraulic-press: Updated'] },
      {
        code: 'Rejected',
        why: [
          'EquipmentClass sheet-metal: Rejected',
          'EquipmentClass[2]/ID: the hub holds no EquipmentClass sheet-metal; a Change only alters what exists, ' +
            'send ProcessEquipmentClass to create it',
        ],
      },
    ]);
    expect(classes['hydraulic-press']!.idealCycleTimeSeconds).toBe(10);
    expect(classes['sheet-metal']).toBeUndefined();
  });
});

describe('B2MML V0701 Change answered by Respond', () => {
  const schedule = readFileSync(new URL('./fixtures/b2mml/operations-schedule.xml', import.meta.url), 'utf8')
    .replaceAll('ProcessOperationsSchedule', 'ChangeOperationsSchedule')
    .replace('<b2mml:Process acknowledgeCode="Always"/>', '<b2mml:Change responseCode="Always"/>');

  it('alters orders not yet released, and says what to do for released and unknown ones', async () => {
    const hub = fakeHub({}, { 'B2-WO-1001': 'Released', 'B2-WO-1002': 'Draft' });
    expect(await validateDocument(schedule)).toEqual({ valid: true });
    const result = await handleDocument(hub, 'erp', schedule, 'change.xml', 'a3');
    expect(parseDocument(result.answer!).root).toBe('RespondOperationsSchedule');
    expect(await validateDocument(result.answer!)).toEqual({ valid: true });
    if (OFFICIAL) expect(await validAgainstMesa(result.answer!)).toEqual({ valid: true });
    expect(result.outcomes.map((o) => [o.reference, o.outcome])).toEqual([
      ['OperationsRequest:B2-WO-1001', 'Conflict'],
      ['OperationsRequest:B2-WO-1002', 'Updated'],
      ['OperationsRequest:B2-MR-2001', 'Rejected'],
    ]);

    const unknown = await handleDocument(fakeHub({}, {}), 'erp', schedule, 'change.xml', 'a4');
    expect(unknown.outcomes[0]!.reasons[0]!.message).toBe(
      'OperationsSchedule[1]/OperationsRequest[1]/ID: the hub holds no work order B2-WO-1001; a Change only ' +
        'alters what exists, send ProcessOperationsSchedule to create it',
    );
  });

  it('answers nothing to a Change with responseCode OnError when every record was taken', async () => {
    const quiet = schedule.replace('responseCode="Always"', 'responseCode="OnError"');
    const hub = fakeHub({}, { 'B2-WO-1001': 'Draft', 'B2-WO-1002': 'Draft' });
    const only = quiet.replace(
      /<b2mml:OperationsRequest>\s*<b2mml:ID>B2-MR-2001[\s\S]*?<\/b2mml:OperationsRequest>/,
      '',
    );
    expect((await handleDocument(hub, 'erp', only, 'c.xml', 'a5')).answer).toBeNull();
    expect((await handleDocument(hub, 'erp', quiet, 'c.xml', 'a6')).answer).toContain('RespondOperationsSchedule');
  });

  it('names an HTTP document by its BODID, else by its digest', () => {
    expect(documentName(schedule, 'ab'.repeat(32))).toBe('SCHED-2026-W49-0001');
    expect(documentName('<not xml', 'ab'.repeat(32))).toBe('http-abababababababab');
  });
});

describe('B2MML V0701 MaterialSubLot within MaterialLot', () => {
  const LOT: HubMaterialLot = {
    lotNumber: 'L-BOLT-0107',
    quantity: 10000,
    unitOfMeasure: 'pcs',
    status: 'Released',
    expiresAt: null,
    materialDefinition: { code: 'BOLT-M8' },
    location: { path: 'acme/berlin/store-1' },
    properties: [],
    sublots: [
      { sublotNumber: 'L-BOLT-0107-B1', quantity: 5000, status: 'Released', location: null },
      { sublotNumber: 'L-BOLT-0107-B2', quantity: 2500, status: 'OnHold', location: { path: 'acme/berlin/store-1' } },
    ],
  };

  it('writes a lot with its sublots as a valid document, creates the missing ones and never changes one', async () => {
    const xml = writeDocument('SyncMaterialLot', {
      ApplicationArea: area,
      DataArea: { Sync: {}, MaterialLot: [materialLotOut(LOT)] },
    });
    expect(await validateDocument(xml)).toEqual({ valid: true });
    if (OFFICIAL) expect(await validAgainstMesa(xml)).toEqual({ valid: true });
    const [record] = materialLotsIn(dataArea(xml));
    expect(
      record!.sublots.map(({ sublotNumber, quantity, status, location }) => [sublotNumber, quantity, status, location]),
    ).toEqual([
      ['L-BOLT-0107-B1', 5000, 'Released', null],
      ['L-BOLT-0107-B2', 2500, 'OnHold', 'acme/berlin/store-1'],
    ]);

    // The hub holds the lot and B1 with another quantity: B2 is created, B1 is a Conflict naming the field.
    const created: unknown[] = [];
    const hub: HubClient = {
      async graphql<T>(query: string, variables: Record<string, any> = {}) {
        if (query.includes('materialLot(lotNumber'))
          return { data: { materialLot: { ...LOT, sublots: [{ ...LOT.sublots![0]!, quantity: 4000 }] } } as T };
        if (query.includes('createMaterialSublot')) {
          created.push(variables.i);
          return { data: { r: { __typename: 'MaterialSublot' } } as T };
        }
        throw new Error(`unexpected query ${query}`);
      },
    };
    const outcomes = await importMaterialLots(hub, [record!], 'test');
    expect(outcomes.map((o) => [o.reference, o.outcome])).toEqual([
      ['L-BOLT-0107', 'Unchanged'],
      ['L-BOLT-0107/L-BOLT-0107-B1', 'Conflict'],
      ['L-BOLT-0107/L-BOLT-0107-B2', 'Created'],
    ]);
    expect(outcomes[1]!.reasons[0]!.message).toBe(
      'MaterialLot[1]/MaterialSubLot[1]: the hub never changes a sublot once created; it differs in Quantity 5000 ' +
        '(the hub holds 4000)',
    );
    expect(created).toEqual([
      {
        sublotNumber: 'L-BOLT-0107-B2',
        lot: 'L-BOLT-0107',
        quantity: 2500,
        location: 'acme/berlin/store-1',
        status: 'OnHold',
      },
    ]);
  });
});
