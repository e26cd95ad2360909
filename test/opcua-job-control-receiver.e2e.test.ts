import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributeIds, DataType, NodeId as NodeIdClass, NodeIdType } from 'node-opcua';
import { MODES, startTestHub, type TestHub } from './support/harness.js';
import { LINE_1 } from './support/regulated.js';
import { bracketJob, comment, JobControlClient, jobId } from './support/opcua-client.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const STRING_VARIABLES = ['EquipmentID', 'PersonnelID', 'MaterialClassID', 'MaterialDefinitionID', 'PhysicalAssetID'];

/**
 * The Job Order Receiver's other variables (OPC 10031-4) from the hub's model for the work center's scope, and the
 * Job Response Provider's Request methods with the nodeset's arguments, through a node-opcua client.
 */
describe.each(MODES)('OPC UA Job Control: what a receiver offers and the response provider (%s)', (mode) => {
  let hub: TestHub;
  let pki: Awaited<ReturnType<typeof JobControlClient.pkiFolder>>;
  const clients: JobControlClient[] = [];
  const keys = { planner: '', elsewhere: '' };
  const connect = async (key: string) => {
    const c = await JobControlClient.connect(hub.jobControl!.endpointUrl, pki.path, key);
    clients.push(c);
    return c;
  };
  /** The receiver's variables at LINE_1 as the client reads them: string arrays, the work masters, the bound. */
  const offered = async (client: JobControlClient) => {
    const receiver = await client.child(await client.workCenter(LINE_1), 'JobOrderReceiver');
    const read = async (name: string) => {
      const v = await client.session.read({
        nodeId: await client.child(receiver, name),
        attributeId: AttributeIds.Value,
      });
      return v.statusCode.name === 'Good' ? v.value.value : v.statusCode.name;
    };
    const out: Record<string, unknown> = {};
    for (const name of STRING_VARIABLES) {
      const value = await read(name);
      out[name] = typeof value === 'string' ? value : [...(value as string[])];
    }
    const masters = await client.readValue(receiver, 'WorkMaster');
    out.WorkMaster = typeof masters === 'string' ? masters : (masters as { ID: string }[]).map((w) => w.ID);
    out.MaxDownloadableJobOrders = await read('MaxDownloadableJobOrders');
    return out;
  };

  beforeAll(async () => {
    pki = await JobControlClient.pkiFolder();
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0, opcuaPort: 0 });
    for (const [name, scope] of [
      ['planner', 'acme/berlin/assembly'],
      ['elsewhere', 'acme/berlin/packaging'],
    ] as const) {
      const { createApiKey } = await hub.gql(
        `mutation { createApiKey(input: { name: "opcua-r-${name}", grants: [{ role: Supervisor, scope: "${scope}" }] }) {
          ... on CreatedApiKey { secret } } }`,
      );
      keys[name] = createApiKey.secret;
    }
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await hub?.stop();
    await pki?.rm();
  });

  it("offers the work center's equipment, people, work masters and materials, following the model", async () => {
    const mes = await connect(keys.planner);
    const model = await hub.gql(
      `query ($p: String!) { equipmentList(filter: { pathPrefix: $p }, first: 500) { edges { node { path } } }
        persons(filter: { homePrefix: $p, active: true }, first: 500) { edges { node { employeeId } } }
        productDefinition(code: "PD-BRACKET-A") { producedMaterial { code materialClass { code } } } }`,
      { p: LINE_1 },
    );
    const before = await offered(mes);
    expect(before.EquipmentID).toEqual(model.equipmentList.edges.map((e: { node: { path: string } }) => e.node.path));
    expect(before.EquipmentID).toEqual(expect.arrayContaining([LINE_1, `${LINE_1}/press-1`]));
    expect(before.EquipmentID).not.toContain('acme/berlin/packaging/line-3');
    expect(before.PersonnelID).toEqual(
      model.persons.edges.map((e: { node: { employeeId: string } }) => e.node.employeeId),
    );
    expect(before.WorkMaster).toContain('PD-BRACKET-A');
    const produced = model.productDefinition.producedMaterial;
    expect(before.MaterialDefinitionID).toContain(produced.code);
    if (produced.materialClass) expect(before.MaterialClassID).toContain(produced.materialClass.code);
    expect(before).toMatchObject({ PhysicalAssetID: [], MaxDownloadableJobOrders: 500 });

    // The model changes: the receiver shows it at the next read, without a restart.
    const created = await hub.gql(
      `mutation { createEquipment(input: { parentPath: "${LINE_1}", code: "gauge-9", name: "Gauge 9", level: WorkUnit }) {
        __typename } }`,
    );
    expect(created.createEquipment.__typename).toBe('Equipment');
    // The demo's people are homed at the area, which a key for the line may not read: none is listed here
    // until one is homed at the line.
    const hired = await hub.gql(
      `mutation { createPerson(input: { employeeId: "E1901", name: "Line One", homeEquipment: "${LINE_1}" }) {
        __typename } }`,
    );
    expect(hired.createPerson.__typename).toBe('Person');
    await new Promise((r) => setTimeout(r, 1100));
    const after = await offered(mes);
    expect(after.EquipmentID).toContain(`${LINE_1}/gauge-9`);
    expect(after.PersonnelID).toEqual([...(before.PersonnelID as string[]), 'E1901']);
  });

  it('shows none of it to a session whose key may not read the work center', async () => {
    const outsider = await connect(keys.elsewhere);
    const insider = await connect(keys.planner);
    const node = await insider.child(await insider.workCenter(LINE_1), 'JobOrderReceiver');
    for (const name of [...STRING_VARIABLES, 'WorkMaster']) {
      const read = await outsider.session.read({
        nodeId: await insider.child(node, name),
        attributeId: AttributeIds.Value,
      });
      expect(read.statusCode.name, name).toBe('BadUserAccessDenied');
    }
  });

  it('answers RequestJobResponseByJobOrderID and ByJobOrderState with actuals, by number or by name', async () => {
    const mes = await connect(keys.planner);
    const center = await mes.workCenter(LINE_1);
    const receiver = await mes.child(center, 'JobOrderReceiver');
    const provider = await mes.child(center, 'JobResponseProvider');
    const stored = await mes.call(receiver, 'Store', [await mes.jobOrder(bracketJob('JR-1', 501)), comment('')]);
    expect(stored.statusCode.name, stored.text).toBe('Good');
    const state = (fields: Record<string, unknown>) =>
      mes.session.constructExtensionObject(new NodeIdClass(NodeIdType.NUMERIC, 3006, mes.ns), fields);
    const byState = async (path: Record<string, unknown>[]) =>
      mes.call(provider, 'RequestJobResponseByJobOrderState', [
        { dataType: DataType.ExtensionObject, arrayType: 1, value: await Promise.all(path.map(state)) },
      ]);
    type Response = {
      jobOrderID: string;
      jobState: { stateNumber: number }[];
      jobResponseData: { ID: string }[];
      equipmentActuals: { ID: string }[];
      materialActuals: { materialDefinitionID: string; materialUse: string; quantity: string | null }[];
    };
    const ids = (r: { outputArguments: { value: unknown }[] }) =>
      (r.outputArguments[0]!.value as Response[]).map((x) => x.jobOrderID);

    const byNumber = await byState([{ stateNumber: 1 }]);
    expect(byNumber.statusCode.name, byNumber.text).toBe('Good');
    expect(ids(byNumber)).toContain('JR-1');
    const listed = (byNumber.outputArguments[0]!.value as Response[]).find((x) => x.jobOrderID === 'JR-1')!;
    expect(listed.equipmentActuals.map((e) => e.ID)).toEqual([LINE_1]);
    expect(listed.materialActuals[0]).toMatchObject({ materialDefinitionID: 'BRACKET-A', materialUse: 'Produced' });
    expect(listed.jobResponseData.map((p) => p.ID)).toEqual(['GoodQuantity', 'ScrapQuantity']);

    const byName = await byState([{ stateNumber: 0, stateText: { text: 'NotAllowedToStart' } }]);
    expect(ids(byName)).toContain('JR-1');
    const withSubstate = await byState([{ stateNumber: 1 }, { stateNumber: 7, stateText: { text: 'Waiting' } }]);
    expect(withSubstate.statusCode.name).toBe('Good');
    expect(ids(withSubstate)).toEqual([]);
    const none = await byState([]);
    expect(none.statusCode.name).toBe('BadInvalidArgument');
    expect(none.text).toContain('JobOrderState: give the state first');

    const one = await mes.call(provider, 'RequestJobResponseByJobOrderID', [jobId('JR-1')]);
    expect(one.statusCode.name, one.text).toBe('Good');
    const response = one.outputArguments[0]!.value as Response;
    expect(response.materialActuals[0]!.quantity).toBe('0');
    expect(response.equipmentActuals[0]!.ID).toBe(LINE_1);
  });
});
