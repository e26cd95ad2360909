import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sapS4HanaConnector } from '@plantgraph/connector-sap-s4hana';
import type { HubConfig } from '@plantgraph/hub';
import { eventually } from './support/flows.js';
import { MODES, type Mode, startTestHub, type TestHub } from './support/harness.js';
import { TEST_REDIS_URL } from './support/queue.js';
import {
  addSapOrder,
  configureSap,
  deliveries,
  imports,
  LINE,
  R,
  runOnTheFloor,
  seedSapProduct,
} from './support/sap-loop.js';
import { SapSimulator } from './support/sap-simulator/index.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

// Jobs on BullMQ's PostgreSQL backend (embedded and on PostgreSQL), and on Redis as in production.
const RUNS: [string, Mode, Partial<HubConfig>][] = [
  ...MODES.map((m): [string, Mode, Partial<HubConfig>] => [m, m, {}]),
  ['postgres+nats+redis', 'postgres+nats', { redisUrl: TEST_REDIS_URL }],
];

/** The ERP loop through GraphQL: SAP order in as a Draft, executed on the floor, one confirmation out. */
describe.each(RUNS)('the SAP loop (%s)', (_name, mode, backing) => {
  let hub: TestHub;
  let sim: SapSimulator;
  const live = (order: string) => sim.liveConfirmations().filter((c) => c.OrderID === order);
  const deliveryOf = async (order: string) => (await deliveries(hub)).filter((d) => d.eventKey === order);

  beforeAll(async () => {
    sim = await SapSimulator.start();
    hub = await startTestHub(mode, {
      demo: true,
      simulatorIntervalMs: 0,
      connectorTypes: [sapS4HanaConnector],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
      ...backing,
    });
    await seedSapProduct(hub);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await sim?.close();
  });

  it('imports, rejects with the reason, executes and confirms once; replay and re-import stay one', async () => {
    const configured = (await configureSap(hub, sim)).configureConnector;
    expect(configured).toMatchObject({ name: 'sap-berlin', enabled: true, secretNames: ['password'] });
    expect(JSON.stringify(configured.settings)).not.toContain('s3cret-pw');
    const [stored] = await hub.db.em.fork().execute<{ secrets: string }[]>('select secrets from connector_instance');
    expect(stored!.secrets).not.toContain('s3cret-pw');

    const tested = await hub.gql(
      'mutation { testConnector(name: "sap-berlin") { ... on ConnectorInstance { health roundTripMs } } }',
    );
    expect(tested.testConnector.health).toBe('Healthy');

    addSapOrder(sim, '1000100');
    addSapOrder(sim, '1000101', 'PAINT');
    await hub.gql('mutation { pollConnector(name: "sap-berlin") { __typename } }');
    const seen = await eventually(async () => ((await imports(hub)).length === 2 ? imports(hub) : null), 20_000);
    const byRef = Object.fromEntries(seen.map((i) => [i.reference, i]));
    expect(byRef['1000100']).toMatchObject({ outcome: 'Created', hubReference: '1000100' });
    expect(byRef['1000101']!.outcome).toBe('Rejected');
    expect(byRef['1000101']!.reasons[0]).toMatchObject({ code: 'UnknownWorkCenter', value: 'PAINT' });
    const { workOrder } = await hub.gql('{ workOrder(number: "1000100") { state quantity externalReference } }');
    expect(workOrder).toEqual({ state: 'Draft', quantity: 10, externalReference: 'sap-s4hana:1000100' });

    // The planner changes the order in SAP: the next poll updates the Draft; asking again changes nothing.
    sim.changeOrder('1000100', { quantity: 12 });
    await hub.gql('mutation { pollConnector(name: "sap-berlin") { __typename } }');
    await eventually(async () => (await imports(hub)).find((i) => i.reference === '1000100')?.outcome === 'Updated');
    expect((await hub.gql('{ workOrder(number: "1000100") { quantity } }')).workOrder.quantity).toBe(12);
    const unchanged = await hub.gql(`mutation { importConnectorRecord(connector: "sap-berlin", reference: "1000100") {
      ${R} ... on ConnectorImport { outcome } } }`);
    expect(unchanged.importConnectorRecord.outcome).toBe('Unchanged');

    // The machines count scrap and rework while the order runs: the confirmation carries them (SAP's
    // order is 12 since the change above, so a yield of 10 and a scrap of 2 fit its open quantity).
    await runOnTheFloor(hub, sim, '1000100', [
      { path: `${LINE}/press-1`, good: 6, scrap: 2 },
      { path: `${LINE}/welder-1`, good: 5, rework: 1 },
    ]);
    const counted = await hub.gql(
      '{ workOrder(number: "1000100") { counts { goodQuantity scrapQuantity reworkQuantity } } }',
    );
    expect(counted.workOrder.counts).toEqual({ goodQuantity: 11, scrapQuantity: 2, reworkQuantity: 1 });
    const delivered = await eventually(async () => {
      const [d] = await deliveryOf('1000100');
      return d?.state === 'Delivered' ? d : null;
    }, 30_000);
    expect(delivered.externalReference).toMatch(/^ProdnOrdConf2\//);
    expect(live('1000100')).toHaveLength(1);
    expect(live('1000100')[0]!.goodsMovements.map((m) => m.GoodsMovementType)).toEqual(['261']);
    expect(live('1000100')[0]).toMatchObject({ ConfirmationUnit: 'ST', IsFinalConfirmation: true });
    expect(
      ['ConfirmationYieldQuantity', 'ConfirmationScrapQuantity', 'ConfirmationReworkQuantity'].map((f) =>
        Number(live('1000100')[0]![f]),
      ),
    ).toEqual([10, 2, 1]);

    // Replay a delivered one: it reconciles by the key and posts nothing.
    const replay = await hub.gql(
      `mutation ($id: ID!) { replayDelivery(id: $id) { ${R} ... on ConnectorDelivery { state replays } } }`,
      { id: delivered.id },
    );
    expect(replay.replayDelivery.replays).toBe(1);
    await eventually(async () => {
      const [d] = await deliveryOf('1000100');
      return d?.state === 'Delivered' && d.reconciled ? d : null;
    }, 30_000);
    // Re-import of the now released order: a Conflict, reported, nothing changed.
    const again = await hub.gql(`mutation { importConnectorRecord(connector: "sap-berlin", reference: "1000100") {
      ${R} ... on ConnectorImport { outcome reasons { message } } } }`);
    expect(again.importConnectorRecord.outcome).toBe('Conflict');
    expect(live('1000100')).toHaveLength(1);
    expect(await deliveryOf('1000100')).toHaveLength(1);
  }, 120_000);

  it("dead-letters a business error with SAP's message; after the fix a replay posts once", async () => {
    addSapOrder(sim, '1000102');
    const imported = await hub.gql(`mutation { importConnectorRecord(connector: "sap-berlin", reference: "1000102") {
      ${R} ... on ConnectorImport { outcome } } }`);
    expect(imported.importConnectorRecord.outcome).toBe('Created');
    sim.inject({ kind: 'business-error', code: 'RU/505', message: 'Storage location 171A is locked for plant 1710' });
    await runOnTheFloor(hub, sim, '1000102');
    const dead = await eventually(async () => {
      const [d] = await deliveryOf('1000102');
      return d?.state === 'DeadLetter' ? d : null;
    }, 30_000);
    expect(dead.lastError).toContain('Storage location 171A is locked for plant 1710');
    expect(live('1000102')).toHaveLength(0);

    sim.clearFaults();
    await hub.gql('mutation ($id: ID!) { replayDelivery(id: $id) { __typename } }', { id: dead.id });
    const done = await eventually(async () => {
      const [d] = await deliveryOf('1000102');
      return d?.state === 'Delivered' ? d : null;
    }, 30_000);
    expect(done.idempotencyKey).toBe(dead.idempotencyKey);
    expect(live('1000102')).toHaveLength(1);
  }, 120_000);
});
