import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  deleteNatsNamespace,
  MODES,
  startTestHub,
  TEST_NATS_URL,
  type TestHub,
  uniqueName,
} from './support/harness.js';
import { LINE_1 } from './support/regulated.js';
import { bracketJob, comment, JobControlClient, jobId } from './support/opcua-client.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

type Listed = { jobOrder: { jobOrderID: string; workMasterID: { ID: string }[] }; state: { stateNumber: number }[] };
type Response = { jobOrderID: string; jobState: { stateNumber: number }[] };

/** The receiver's JobOrderList as `{ id: stateNumber }`, and the provider's JobOrderResponseList likewise. */
async function lists(client: JobControlClient) {
  const center = await client.workCenter(LINE_1);
  const orders = (await client.readValue(await client.child(center, 'JobOrderReceiver'), 'JobOrderList')) as Listed[];
  const responses = (await client.readValue(
    await client.child(center, 'JobResponseProvider'),
    'JobOrderResponseList',
  )) as Response[];
  return {
    orders: Object.fromEntries(orders.map((o) => [o.jobOrder.jobOrderID, o.state[0]!.stateNumber])),
    workMasters: Object.fromEntries(orders.map((o) => [o.jobOrder.jobOrderID, o.jobOrder.workMasterID[0]!.ID])),
    responses: Object.fromEntries(responses.map((r) => [r.jobOrderID, r.jobState[0]!.stateNumber])),
  };
}

describe.each(MODES)('OPC UA Job Control: job orders kept across a restart or failover (%s)', (mode) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plantgraph-jobcontrol-'));
  // Embedded: the same folder opened again; PostgreSQL: a second replica on the same database and NATS, both
  // this test's (so stopping the first replica leaves them).
  let settings: Parameters<typeof startTestHub>[1] = { dataDir, opcuaPort: 0 };
  let database: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let first: TestHub | null = null;
  let second: TestHub | null = null;
  let pki: Awaited<ReturnType<typeof JobControlClient.pkiFolder>>;
  let planner = '';
  const clients: JobControlClient[] = [];
  const connect = async (hub: TestHub, key: string) => {
    const c = await JobControlClient.connect(hub.jobControl!.endpointUrl, pki.path, key);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    pki = await JobControlClient.pkiFolder();
    if (mode === 'postgres+nats') {
      database = await createTestDatabase();
      const shared = { databaseUrl: database.url, natsUrl: TEST_NATS_URL, natsNamespace: uniqueName('t') };
      settings = { ...shared, opcuaPort: 0 };
    }
    first = await startTestHub(mode, { ...settings, demo: true, simulatorIntervalMs: 0 });
    const { createApiKey } = await first.gql(
      `mutation { createApiKey(input: { name: "opcua-planner", grants: [{ role: Supervisor, scope: "acme/berlin/assembly" }] }) {
        ... on CreatedApiKey { secret } } }`,
    );
    planner = createApiKey.secret;
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await second?.stop();
    await first?.stop();
    await pki?.rm();
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
    if (settings?.natsNamespace) await deleteNatsNamespace(settings.natsNamespace);
  });

  it('lists stored, started and cleared orders; a stored order starts after the hub is replaced', async () => {
    const mes = await connect(first!, planner);
    const receiver = await mes.child(await mes.workCenter(LINE_1), 'JobOrderReceiver');
    const store = (id: string, n: number) =>
      mes.jobOrder(bracketJob(id, n)).then((job) => mes.call(receiver, 'Store', [job, comment('')]));
    const status = async (r: Promise<{ statusCode: { name: string }; text: string }>) => {
      const { statusCode, text } = await r;
      return statusCode.name === 'Good' ? 'Good' : `${statusCode.name}: ${text}`;
    };
    expect(await status(store('JD-1', 401))).toBe('Good');
    expect(await status(store('JD-2', 402))).toBe('Good');
    expect(await status(mes.call(receiver, 'Start', [jobId('JD-2'), comment('')]))).toBe('Good');
    expect(await status(mes.call(receiver, 'Pause', [jobId('JD-2'), comment('')]))).toBe('Good');
    expect(await status(mes.call(receiver, 'Abort', [jobId('JD-2'), comment('')]))).toBe('Good');
    expect(await status(store('JD-3', 403))).toBe('Good');
    expect(await lists(mes)).toMatchObject({
      orders: { 'JD-1': 1, 'JD-2': 6, 'JD-3': 1 },
      workMasters: { 'JD-1': 'PD-BRACKET-A' },
      responses: { 'JD-1': 1, 'JD-2': 6, 'JD-3': 1 },
    });
    expect(await status(mes.call(receiver, 'Clear', [jobId('JD-2'), comment('')]))).toBe('Good');
    expect((await lists(mes)).orders).not.toHaveProperty('JD-2');

    // The hub goes away: embedded, the process ends and the folder is opened again; on PostgreSQL the other
    // replica, started before this one stops, takes the calls.
    if (mode === 'embedded') {
      await mes.close();
      await first!.stop();
      first = null;
    }
    second = await startTestHub(mode, settings);
    if (first) {
      await first.stop();
      first = null;
    }
    const again = await connect(second, planner);
    const receiver2 = await again.child(await again.workCenter(LINE_1), 'JobOrderReceiver');
    const listed = await lists(again);
    expect(listed.orders).toEqual(expect.objectContaining({ 'JD-1': 1, 'JD-3': 1 }));
    expect(listed.orders).not.toHaveProperty('JD-2');
    // The requirements the Store brought were kept: Start releases and starts without an Update.
    expect(await status(again.call(receiver2, 'Start', [jobId('JD-1'), comment('')]))).toBe('Good');
    const order = await second.gql('query { workOrder(number: "JD-1") { state assignments { segment } } }');
    expect(order.workOrder.state).toBe('InProgress');
    expect(order.workOrder.assignments.length).toBeGreaterThan(0);
    expect((await lists(again)).orders).toMatchObject({ 'JD-1': 3, 'JD-3': 1 });
    expect(await status(again.call(receiver2, 'Cancel', [jobId('JD-3'), comment('')]))).toBe('Good');
    const provider = await again.child(await again.workCenter(LINE_1), 'JobResponseProvider');
    expect(await status(again.call(provider, 'RequestJobResponseByJobOrderID', [jobId('JD-2')]))).toBe(
      `BadNotFound: No job order JD-2 at ${LINE_1}.`,
    );
    expect((await lists(again)).responses).toMatchObject({ 'JD-1': 3, 'JD-3': 6 });
  });

  it('shows a session the lists only of work centers its key may read', async () => {
    const hub = second!;
    const { createApiKey } = await hub.gql(
      `mutation { createApiKey(input: { name: "opcua-packaging", grants: [{ role: Supervisor, scope: "acme/berlin/packaging" }] }) {
        ... on CreatedApiKey { secret } } }`,
    );
    const insider = await connect(hub, planner);
    const receiver = await insider.child(await insider.workCenter(LINE_1), 'JobOrderReceiver');
    const list = await insider.child(receiver, 'JobOrderList');
    const outsider = await connect(hub, createApiKey.secret);
    const read = await outsider.session.read({ nodeId: list, attributeId: 13 });
    expect(read.statusCode.name).toBe('BadUserAccessDenied');
  });
});
