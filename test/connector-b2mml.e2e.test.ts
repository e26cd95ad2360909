import { mkdtemp, readdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  b2mmlConnector,
  children,
  equipmentIn,
  importEquipment,
  importMaterialDefinitions,
  importMaterialLots,
  materialDefinitionsIn,
  materialLotsIn,
  parseDocument,
  text,
  validateDocument,
} from '@plantgraph/connector-b2mml';
import type { HubClient } from '@plantgraph/connector-sdk';
import { eventually } from './support/flows.js';
import { MODES, startTestHub, type TestHub } from './support/harness.js';
import { executeToReview, R, startDemoWithPeople } from './support/regulated.js';

const SCHEDULE = new URL('./fixtures/b2mml/operations-schedule.xml', import.meta.url);
const CONFIGURE = `mutation ($i: ConfigureConnectorInput!) { r: configureConnector(input: $i) { ${R}
  ... on ConnectorInstance { name enabled } ... on InvalidInput { field } } }`;

/** The hub's local admin as a connector's HubClient (for the master data round trip). */
const adminClient = (hub: TestHub): HubClient => ({
  graphql: async <T>(query: string, variables?: Record<string, unknown>) => ({
    data: await hub.gql<T>(query, variables),
  }),
});

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

  const codes = (doc: string) =>
    children(children(children(parseDocument(doc).node, 'DataArea')[0], 'Acknowledge')[0], 'ResponseCriteria').map(
      (c) => text(children(c, 'ChangeStatus')[0], 'Code'),
    );

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
  }, 120_000);
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
    expect(codes(await (await post(xml, await people.admin!())).text())).toEqual([
      'Unchanged',
      'Unchanged',
      'Rejected',
    ]);

    const broken = xml.replace('<b2mml:OperationsSegmentID>0010</b2mml:OperationsSegmentID>', '');
    const refused = await post(broken.replaceAll('B2-HTTP-10', 'B2-HTTP-BAD-10'), await people.admin!());
    expect(refused.status).toBe(400);
    expect(parseDocument(await refused.text()).root).toBe('ConfirmBOD');
    expect(await order('B2-HTTP-BAD-1001')).toBeNull();
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

  it('round-trips the demo plant: Equipment, MaterialDefinition and MaterialLot into an empty hub', async () => {
    const shown: Record<string, string> = {};
    for (const noun of ['Equipment', 'MaterialDefinition', 'MaterialLot']) {
      await drop(`get-${noun}.xml`, getDocument(noun, noun === 'Equipment' ? ['acme'] : ['*']));
      shown[noun] = await answer(`get-${noun}.answer.xml`);
      expect(parseDocument(shown[noun]!).root).toBe(`Show${noun}`);
      expect(await validateDocument(shown[noun]!)).toEqual({ valid: true });
    }
    const empty = await startTestHub(mode);
    try {
      await seedClasses(admin, empty);
      const target = adminClient(empty);
      const area = (noun: string) => children(parseDocument(shown[noun]!).node, 'DataArea')[0]!;
      const equipment = await importEquipment(target, equipmentIn(area('Equipment')));
      expect(equipment.filter((o) => o.outcome !== 'Created')).toEqual([]);
      const definitions = await importMaterialDefinitions(target, materialDefinitionsIn(area('MaterialDefinition')));
      expect(definitions.filter((o) => o.outcome !== 'Created')).toEqual([]);
      const lots = await importMaterialLots(target, materialLotsIn(area('MaterialLot')), 'B2MML round trip');
      expect(lots.filter((o) => o.outcome !== 'Created')).toEqual([]);

      const model = async (gql: (query: string) => Promise<any>) => {
        const data = await gql(`{
          equipmentList(first: 500) { edges { node { path code name level equipmentClass { code }
            properties { name value } } } }
          materialDefinitions(first: 500) { edges { node { code name unitOfMeasure materialClass { code }
            properties { name value } } } }
          materialLots(first: 500) { edges { node { lotNumber quantity unitOfMeasure status expiresAt
            materialDefinition { code } location { path } properties { name value } } } } }`);
        const nodes = (c: any) => c.edges.map((e: any) => e.node);
        return {
          equipment: nodes(data.equipmentList).sort((a: any, b: any) => a.path.localeCompare(b.path)),
          definitions: nodes(data.materialDefinitions).sort((a: any, b: any) => a.code.localeCompare(b.code)),
          lots: nodes(data.materialLots).sort((a: any, b: any) => a.lotNumber.localeCompare(b.lotNumber)),
        };
      };
      const [source, copy] = [await model(admin), await model((q) => empty.gql(q))];
      expect(copy.equipment).toEqual(source.equipment);
      expect(copy.definitions).toEqual(source.definitions);
      // The demo's own lots, as the demo seeds them (this suite's produced lot included).
      expect(copy.lots).toEqual(source.lots);
      expect(copy.equipment.length).toBeGreaterThan(10);

      // Imported again: nothing changes.
      const again = await importEquipment(target, equipmentIn(area('Equipment')));
      expect(new Set(again.map((o) => o.outcome))).toEqual(new Set(['Unchanged']));
    } finally {
      await empty.stop();
    }
  }, 240_000);
});

/**
 * The equipment and material classes of the source hub, created in the target: classes are not in the
 * B2MML subset the connector exchanges (issue 18 lists Equipment, MaterialDefinition and MaterialLot).
 */
async function seedClasses(source: (query: string) => Promise<any>, target: TestHub) {
  const data = await source(`{
    equipmentClasses(first: 500) { edges { node { code description idealCycleTimeSeconds
      properties { name dataType unitOfMeasure required } } } }
    materialClasses(first: 500) { edges { node { code description
      properties { name dataType unitOfMeasure required } } } } }`);
  for (const { node } of data.equipmentClasses.edges) {
    const { r } = await target.gql(
      `mutation ($i: CreateEquipmentClassInput!) { r: createEquipmentClass(input: $i) { ${R} } }`,
      {
        i: node,
      },
    );
    expect(r.__typename).toBe('EquipmentClass');
  }
  for (const { node } of data.materialClasses.edges) {
    const { r } = await target.gql(
      `mutation ($i: CreateMaterialClassInput!) { r: createMaterialClass(input: $i) { ${R} } }`,
      {
        i: node,
      },
    );
    expect(r.__typename).toBe('MaterialClass');
  }
}
