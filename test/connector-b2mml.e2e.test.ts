import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b2mmlConnector, children, parseDocument, text, validateDocument } from '@plantgraph/connector-b2mml';
import { eventually } from './support/flows.js';
import { MODES, startTestHub, type TestHub } from './support/harness.js';
import { executeToReview, R, startDemoWithPeople } from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const SCHEDULE = new URL('./fixtures/b2mml/operations-schedule.xml', import.meta.url);
const CONFIGURE = `mutation ($i: ConfigureConnectorInput!) { r: configureConnector(input: $i) { ${R}
  ... on ConnectorInstance { name enabled } ... on InvalidInput { field } } }`;

/** The outcome codes of an Acknowledge (or Respond) answer, one per record. */
const codes = (doc: string, verb = 'Acknowledge') =>
  children(children(children(parseDocument(doc).node, 'DataArea')[0], verb)[0], 'ResponseCriteria').map((c) =>
    text(children(c, 'ChangeStatus')[0], 'Code'),
  );

const getDocument = (noun: string, ids: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<Get${noun} xmlns="http://www.mesa.org/xml/B2MML" releaseID="0701">
  <ApplicationArea><CreationDateTime>2026-12-01T05:00:00Z</CreationDateTime><BODID>get-${noun}</BODID></ApplicationArea>
  <DataArea><Get/>${ids.map((id) => `<${noun}><ID>${id}</ID></${noun}>`).join('')}</DataArea>
</Get${noun}>`;

/**
 * The B2MML V0701 connector (issue 18) through a real hub and its watched folders: an OperationsSchedule
 * becomes work orders (again: unchanged), an invalid document imports nothing, a completed order comes
 * back as a valid OperationsPerformance, and the demo plant's master data, exported as Show documents,
 * imports into an empty hub as the same model.
 */
describe.each(MODES)('the B2MML connector (%s)', (mode) => {
  let hub: TestHub;
  let as: Awaited<ReturnType<typeof startDemoWithPeople>>['as'];
  let people: Awaited<ReturnType<typeof startDemoWithPeople>>['people'];
  let root: string;
  const inbox = () => join(root, 'in');
  const outbox = () => join(root, 'out');
  /** Drops a document as a sender should: written beside the inbox, then renamed in. */
  const drop = async (name: string, xml: string) => {
    await writeFile(join(root, name), xml);
    await rename(join(root, name), join(inbox(), name));
  };
  const answer = async (name: string) => {
    const path = join(outbox(), name);
    await eventually(async () => (await readdir(outbox())).includes(name), 20_000, `${name} in the outbox`);
    return readFile(path, 'utf8');
  };
  const admin = (query: string, variables?: Record<string, unknown>) => as.run('admin', query, variables);
  const order = async (number: string) =>
    (
      await admin(`{ workOrder(number: "${number}") { number state externalReference quantity plannedStart
      equipment { path } } }`)
    ).workOrder;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'plantgraph-b2mml-'));
    for (const dir of ['in', 'out']) await import('node:fs/promises').then((fs) => fs.mkdir(join(root, dir)));
    ({ hub, as, people } = await startDemoWithPeople(mode, {
      connectorTypes: [b2mmlConnector],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
    }));
    const { r } = await admin(CONFIGURE, {
      i: {
        name: 'erp-b2mml',
        type: 'b2mml',
        scope: 'acme',
        settings: { inboxDir: inbox(), outboxDir: outbox(), pollIntervalMs: 300 },
        grants: [{ role: 'Integrator', scope: 'acme' }],
        enabled: true,
      },
    });
    expect(r).toMatchObject({ name: 'erp-b2mml', enabled: true });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('imports an OperationsSchedule as work orders, answers per request, changes nothing the second time', async () => {
    const xml = await readFile(SCHEDULE, 'utf8');
    await drop('week-49.xml', xml);
    const ack = await answer('week-49.answer.xml');
    expect(await validateDocument(ack)).toEqual({ valid: true });
    expect(codes(ack)).toEqual(['Created', 'Created', 'Rejected']);
    expect(await order('B2-WO-1001')).toEqual({
      number: 'B2-WO-1001',
      state: 'Draft',
      externalReference: 'b2mml:B2-WO-1001',
      quantity: 25,
      plannedStart: '2026-12-07T06:00:00.000Z',
      equipment: { path: 'acme/berlin/assembly/line-1' },
    });
    expect((await order('B2-WO-1002')).equipment.path).toBe('acme/berlin/assembly/line-2');
    expect(await readdir(join(inbox(), 'processed'))).toContain('week-49.xml');
    const imports = await admin(`{ connectorImports(connector: "erp-b2mml", first: 10) { edges { node {
      reference outcome } } } }`);
    expect(imports.connectorImports.edges.map((e: any) => e.node)).toContainEqual({
      reference: 'OperationsRequest:B2-MR-2001',
      outcome: 'Rejected',
    });

    await drop('week-49-again.xml', xml);
    expect(codes(await answer('week-49-again.answer.xml'))).toEqual(['Unchanged', 'Unchanged', 'Rejected']);
    const counted = await admin(`{ workOrders(first: 500) { edges { node { number } } } }`);
    expect(counted.workOrders.edges.filter((e: any) => e.node.number === 'B2-WO-1001')).toHaveLength(1);
  });

  it('refuses an invalid schedule as a whole, naming the line and the element', async () => {
    const xml = (await readFile(SCHEDULE, 'utf8'))
      .replaceAll('B2-WO-10', 'B2-BAD-10')
      .replace('<b2mml:OperationsSegmentID>0010</b2mml:OperationsSegmentID>', '');
    await drop('broken.xml', xml);
    const refusal = await answer('broken.answer.xml');
    expect(parseDocument(refusal).root).toBe('ConfirmBOD');
    expect(refusal).toContain('Element &apos;SegmentParameter&apos;: This element is not expected');
    expect(await order('B2-BAD-1002')).toBeNull();
    expect(await readdir(join(inbox(), 'refused'))).toContain('broken.xml');
  });

  it('takes documents over HTTP behind the hub authentication, answering in the response', async () => {
    const url = `${hub.url}/connectors/erp-b2mml/documents`;
    const post = (body: string, token?: string, method = 'POST') =>
      fetch(url, {
        method,
        headers: { 'content-type': 'application/xml', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: method === 'POST' ? body : undefined,
      });
    const xml = (await readFile(SCHEDULE, 'utf8')).replaceAll('B2-WO-10', 'B2-HTTP-10');
    expect((await post(xml)).status).toBe(401);
    // Quality reads the whole plant but does not manage connectors; an operator cannot even see this one.
    expect((await post(xml, await people.dana!())).status).toBe(403);
    expect((await post(xml, await people.ana!())).status).toBe(404);
    expect((await post(xml, await people.admin!(), 'GET')).status).toBe(405);
    expect(await order('B2-HTTP-1001')).toBeNull();

    const accepted = await post(xml, await people.admin!());
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('content-type')).toContain('application/xml');
    const ack = await accepted.text();
    expect(await validateDocument(ack)).toEqual({ valid: true });
    expect(codes(ack)).toEqual(['Created', 'Created', 'Rejected']);
    expect(await order('B2-HTTP-1001')).toMatchObject({ state: 'Draft', externalReference: 'b2mml:B2-HTTP-1001' });
    const rows = async (prefix: string) =>
      (
        await admin(`{ connectorImports(connector: "erp-b2mml", first: 500) { edges { node {
          reference outcome reasons { message } } } } }`)
      ).connectorImports.edges
        .map((e: any) => e.node)
        .filter((n: any) => n.reference.startsWith(prefix))
        .sort((a: any, b: any) => a.reference.localeCompare(b.reference));
    // The same rows as a document from the inbox, recorded before the answer came back.
    expect(await rows('OperationsRequest:B2-HTTP-')).toEqual([
      { reference: 'OperationsRequest:B2-HTTP-1001', outcome: 'Created', reasons: [] },
      { reference: 'OperationsRequest:B2-HTTP-1002', outcome: 'Created', reasons: [] },
    ]);
    // Replayed: the same answer per request, one row per request, now Unchanged.
    expect(codes(await (await post(xml, await people.admin!())).text())).toEqual([
      'Unchanged',
      'Unchanged',
      'Rejected',
    ]);
    expect((await rows('OperationsRequest:B2-HTTP-')).map((r: any) => r.outcome)).toEqual(['Unchanged', 'Unchanged']);

    const broken = xml.replace('<b2mml:OperationsSegmentID>0010</b2mml:OperationsSegmentID>', '');
    const refused = await post(broken.replaceAll('B2-HTTP-10', 'B2-HTTP-BAD-10'), await people.admin!());
    expect(refused.status).toBe(400);
    expect(parseDocument(await refused.text()).root).toBe('ConfirmBOD');
    expect(await order('B2-HTTP-BAD-1001')).toBeNull();
    // A refused document is logged under its BODID, with the schema's words; its replay stays one row.
    await post(broken.replaceAll('B2-HTTP-10', 'B2-HTTP-BAD-10'), await people.admin!());
    const [document, ...more] = await rows('Document:SCHED-2026-W49-0001');
    expect(more).toEqual([]);
    expect(document.outcome).toBe('Rejected');
    expect(document.reasons[0].message).toContain("Element 'SegmentParameter': This element is not expected");
  });

  it('sends a completed order back as a valid ProcessOperationsPerformance, once', async () => {
    await executeToReview(as, people, 'B2-WO-1001', { lotNumber: 'L-B2MML-1001', quantity: 25 });
    let name = '';
    await eventually(
      async () => {
        name = (await readdir(outbox())).find((f) => f.startsWith('OperationsPerformance-B2-WO-1001-')) ?? '';
        return name !== '';
      },
      20_000,
      'the performance file',
    );
    const xml = await readFile(join(outbox(), name), 'utf8');
    expect(await validateDocument(xml)).toEqual({ valid: true });
    const performance = children(children(parseDocument(xml).node, 'DataArea')[0], 'OperationsPerformance')[0];
    const response = children(performance, 'OperationsResponse')[0];
    expect(text(response, 'OperationsRequestID')).toBe('B2-WO-1001');
    expect(text(response, 'ResponseState')).toBe('Completed');
    const produced = children(children(response, 'SegmentResponse')[0], 'MaterialActual').find(
      (m) => text(m, 'MaterialUse') === 'Produced',
    );
    expect(text(produced, 'MaterialLotID')).toBe('L-B2MML-1001');
    expect(text(produced, 'MaterialDefinitionID')).toBe('BRACKET-A');
    const completion = async () =>
      (
        await admin(`{ connectorDeliveries(connector: "erp-b2mml", first: 10) { edges { node {
          id eventType eventKey state externalReference reconciled replays } } } }`)
      ).connectorDeliveries.edges
        .map((e: any) => e.node)
        .find((d: any) => d.eventType === 'WorkOrderCompleted' && d.eventKey === 'B2-WO-1001');
    const delivered = await completion();
    expect(delivered).toMatchObject({ state: 'Delivered', externalReference: name, reconciled: false });
    const performances = async () => (await readdir(outbox())).filter((f) => f.startsWith('OperationsPerformance-'));
    expect(await performances()).toEqual([name]);

    // Replayed: the file is found by its key, nothing is written twice.
    await admin('mutation ($id: ID!) { replayDelivery(id: $id) { __typename } }', { id: delivered.id });
    await eventually(
      async () => {
        const d = await completion();
        return d.state === 'Delivered' && d.replays === 1 && d.reconciled;
      },
      30_000,
      'the replay reconciled',
    );
    expect(await performances()).toEqual([name]);
    expect(await readFile(join(outbox(), name), 'utf8')).toBe(xml);

    // The outbox gone (an unmounted share): the completion of the order that came over HTTP waits,
    // retried, and is written once the folder is back.
    await rename(outbox(), `${outbox()}-away`);
    await executeToReview(as, people, 'B2-HTTP-1001', { lotNumber: 'L-B2MML-HTTP-1001', quantity: 25 });
    const http = async () =>
      (
        await admin(`{ connectorDeliveries(connector: "erp-b2mml", first: 10) { edges { node {
          eventType eventKey state attempts lastError externalReference } } } }`)
      ).connectorDeliveries.edges
        .map((e: any) => e.node)
        .find((d: any) => d.eventType === 'WorkOrderCompleted' && d.eventKey === 'B2-HTTP-1001');
    await eventually(async () => (await http())?.lastError?.includes('ENOENT'), 30_000, 'a failed attempt');
    expect((await http()).state).not.toBe('Delivered');
    await rename(`${outbox()}-away`, outbox());
    await eventually(async () => (await http()).state === 'Delivered', 60_000, 'delivered once the outbox is back');
    expect((await performances()).filter((f) => f.includes('B2-HTTP-1001'))).toEqual([
      (await http()).externalReference,
    ]);
  }, 180_000);

  it('answers a Change with Respond: drafts altered, released and unknown records refused, saying why', async () => {
    const change = (await readFile(SCHEDULE, 'utf8'))
      .replaceAll('ProcessOperationsSchedule', 'ChangeOperationsSchedule')
      .replace('<b2mml:Process acknowledgeCode="Always"/>', '<b2mml:Change/>')
      .replace('<b2mml:QuantityString>40</b2mml:QuantityString>', '<b2mml:QuantityString>45</b2mml:QuantityString>');
    // B2-WO-1001 was completed above, B2-WO-1002 is still a Draft.
    await drop('change-49.xml', change);
    const respond = await answer('change-49.answer.xml');
    expect(parseDocument(respond).root).toBe('RespondOperationsSchedule');
    expect(await validateDocument(respond)).toEqual({ valid: true });
    expect(codes(respond, 'Respond')).toEqual(['Conflict', 'Updated', 'Rejected']);
    expect(respond).toMatch(/Order B2-WO-1001 is (UnderReview|Completed): the import changed nothing\./);
    expect((await admin(`{ workOrder(number: "B2-WO-1002") { quantity state } }`)).workOrder).toEqual({
      quantity: 45,
      state: 'Draft',
    });

    // Over HTTP: orders the hub does not hold are not created by a Change.
    const url = `${hub.url}/connectors/erp-b2mml/documents`;
    const post = async (body: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/xml', authorization: `Bearer ${await people.admin!()}` },
        body,
      });
    const unknown = await post(change.replaceAll('B2-WO-10', 'B2-NEW-10'));
    expect(unknown.status).toBe(200);
    const refused = await unknown.text();
    expect(codes(refused, 'Respond')).toEqual(['Rejected', 'Rejected', 'Rejected']);
    expect(refused).toContain('send ProcessOperationsSchedule to create it');
    expect(await order('B2-NEW-1001')).toBeNull();

    // Master data: a Get's Show, edited and sent back as a Change.
    const shown = await (await post(getDocument('MaterialDefinition', ['BRACKET-A']))).text();
    const edited = reverb(shown, 'Show', 'Change').replace(
      /<Description>[^<]*<\/Description>/,
      '<Description>Bracket A (rev. 2)</Description>',
    );
    const changed = await post(edited);
    expect(parseDocument(await changed.clone().text()).root).toBe('RespondMaterialDefinition');
    expect(codes(await changed.text(), 'Respond')).toEqual(['Updated']);
    expect((await admin(`{ materialDefinition(code: "BRACKET-A") { name } }`)).materialDefinition.name).toBe(
      'Bracket A (rev. 2)',
    );
    const missing = await (await post(edited.replaceAll('BRACKET-A', 'BRACKET-Z'))).text();
    expect(codes(missing, 'Respond')).toEqual(['Rejected']);
    expect(missing).toContain('send ProcessMaterialDefinition to create it');
  });

  it('round-trips the demo plant in B2MML alone: classes, equipment, materials, lots into an empty hub', async () => {
    const shown: Record<string, string> = {};
    for (const noun of NOUNS) {
      await drop(`get-${noun}.xml`, getDocument(noun, noun === 'Equipment' ? ['acme'] : ['*']));
      shown[noun] = await answer(`get-${noun}.answer.xml`);
      expect(parseDocument(shown[noun]!).root).toBe(`Show${noun}`);
      expect(await validateDocument(shown[noun]!)).toEqual({ valid: true });
    }
    // The empty hub gets nothing but the documents: its own connector imports them from its inbox.
    const empty = await startTestHub(mode, {
      connectorTypes: [b2mmlConnector],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
    });
    const target = await mkdtemp(join(tmpdir(), 'plantgraph-b2mml-empty-'));
    try {
      for (const dir of ['in', 'out']) await mkdir(join(target, dir));
      const { r } = await empty.gql(CONFIGURE, {
        i: {
          name: 'erp-b2mml',
          type: 'b2mml',
          scope: '*',
          settings: { inboxDir: join(target, 'in'), outboxDir: join(target, 'out'), pollIntervalMs: 200 },
          grants: [
            { role: 'Integrator', scope: '*' },
            { role: 'Quality', scope: '*' },
          ],
          enabled: true,
        },
      });
      expect(r).toMatchObject({ enabled: true });
      const sync = async (name: string, xml: string) => {
        await writeFile(join(target, name), xml);
        await rename(join(target, name), join(target, 'in', name));
        const path = join(target, 'out', name.replace(/\.xml$/, '.answer.xml'));
        await eventually(async () => (await readdir(join(target, 'out'))).some((f) => path.endsWith(f)), 60_000, name);
        return codes(await readFile(path, 'utf8'));
      };
      // Classes before their members, definitions before lots: one document each, in that order.
      for (const [i, noun] of NOUNS.entries()) {
        const outcomes = await sync(`${i}-${noun}.xml`, reverb(shown[noun]!, 'Show', 'Sync'));
        expect(new Set(outcomes)).toEqual(new Set(['Created']));
      }
      const [source, copy] = [await model(admin), await model((q) => empty.gql(q))];
      expect(copy).toEqual(source);
      expect(copy.equipment.length).toBeGreaterThan(10);
      expect(copy.equipmentClasses.length).toBeGreaterThan(0);
      expect(copy.materialClasses.length).toBeGreaterThan(0);
      expect(copy.lots.flatMap((l: any) => l.sublots).length).toBeGreaterThan(0);

      // Imported again: nothing changes.
      expect(new Set(await sync('9-again.xml', reverb(shown.Equipment!, 'Show', 'Sync')))).toEqual(
        new Set(['Unchanged']),
      );
    } finally {
      await empty.stop();
      await rm(target, { recursive: true, force: true });
    }
  }, 240_000);
});

const NOUNS = ['EquipmentClass', 'Equipment', 'MaterialClass', 'MaterialDefinition', 'MaterialLot'];

/** A Show document as another verb's (e.g. what a receiver of an export sends back with Sync or Change). */
function reverb(xml: string, from: string, to: string): string {
  return xml
    .replace(new RegExp(`<${from}(/>|>[\\s\\S]*?</${from}>)`), `<${to}/>`)
    .replace(new RegExp(`<(/?)${from}([A-Z][A-Za-z]*)`, 'g'), `<$1${to}$2`);
}

/** The model a round trip must keep: classes, equipment, definitions, lots and sublots, in a stable order. */
async function model(gql: (query: string) => Promise<any>) {
  const definitions = 'properties { name dataType unitOfMeasure required description }';
  // Three reads: one would pass the hub's query cost limit.
  const classes = await gql(`{
    equipmentClasses(first: 500) { edges { node { code description idealCycleTimeSeconds ${definitions} } } }
    materialClasses(first: 500) { edges { node { code description ${definitions} } } } }`);
  const { equipmentList } = await gql(`{ equipmentList(first: 500) { edges { node { path code name level
    equipmentClass { code } properties { name value } } } } }`);
  const materials = await gql(`{
    materialDefinitions(first: 500) { edges { node { code name unitOfMeasure materialClass { code }
      properties { name value } } } }
    materialLots(first: 500) { edges { node { lotNumber quantity unitOfMeasure status expiresAt
      materialDefinition { code } location { path } properties { name value }
      sublots { sublotNumber quantity status location { path } } } } } }`);
  const sorted = (c: any, key: string) =>
    c.edges.map((e: any) => e.node).sort((a: any, b: any) => String(a[key]).localeCompare(String(b[key])));
  return {
    equipmentClasses: sorted(classes.equipmentClasses, 'code'),
    materialClasses: sorted(classes.materialClasses, 'code'),
    equipment: sorted(equipmentList, 'path'),
    definitions: sorted(materials.materialDefinitions, 'code'),
    lots: sorted(materials.materialLots, 'lotNumber'),
  };
}
