import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/flows.js';
import {
  createTestDatabase,
  deleteNatsNamespace,
  graphql,
  sleep,
  startTestHub,
  TEST_NATS_URL,
  type TestHub,
  uniqueName,
} from './support/harness.js';
import { TEST_REDIS_URL } from './support/queue.js';
import { createApiKeyWithCli, type HubProcess, spawnHub } from './support/process.js';
import { addSapOrder, configureSap, deliveries, R, runOnTheFloor, seedSapProduct } from './support/sap-loop.js';
import { SapSimulator } from './support/sap-simulator/index.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/**
 * The hub as its own process on PostgreSQL and NATS, killed with SIGKILL at the points where a
 * confirmation could be lost or sent twice; the SAP simulator lives in the test process and counts.
 * The floor (release, execute, complete) runs on a second, in-process hub of the same installation
 * without the connector types, closed before each kill so the restarted process takes the lease.
 */
// Jobs in the hub's PostgreSQL (BullMQ's PostgreSQL backend), and on Redis as in production.
const QUEUES: [string, Record<string, string>][] = [
  ['jobs in PostgreSQL', {}],
  ['jobs on Redis', { REDIS_URL: TEST_REDIS_URL }],
];

describe.each(QUEUES)('connector faults: the hub killed and restarted (%s)', (_name, queue) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const namespace = uniqueName('cf');
  let env: Record<string, string>;
  let sim: SapSimulator;
  let child: HubProcess;
  let token: string;
  let sql: pg.Client;
  /**
   * Why `child` cannot be called (its restart under way or failed): when a test times out mid-restart, the
   * next ones say so instead of failing on the killed hub's port.
   */
  let notCallable: (() => string) | null = null;
  // The child's GraphQL as the installation's admin, shaped for the SAP loop helpers.
  const hub = {
    gql: async (query: string, variables?: Record<string, unknown>) => {
      if (notCallable) throw new Error(notCallable());
      child.checkRunning();
      return graphql(child.url, query, variables, token);
    },
  } as unknown as TestHub;
  const live = (order: string) => sim.liveConfirmations().filter((c) => c.OrderID === order);
  const deliveryOf = async (order: string) => (await deliveries(hub)).filter((d) => d.eventKey === order);
  const delivered = (order: string, ms = 60_000) =>
    eventually(
      async () => (await deliveryOf(order)).find((d) => d.state === 'Delivered'),
      ms,
      `the confirmation of ${order} delivered`,
    );
  const floor = () => startTestHub('postgres+nats', { databaseUrl: database.url, natsNamespace: namespace });
  /** One order released, executed and completed on a floor hub that is closed again. */
  const onTheFloor = async (order: string) => {
    const plant = await floor();
    try {
      await runOnTheFloor(plant, sim, order);
    } finally {
      await plant.close();
    }
  };
  const restart = async () => {
    const begun = Date.now();
    notCallable = () => `the hub's restart, begun ${Math.round((Date.now() - begun) / 1000)} s ago, is not done`;
    try {
      child = await spawnHub(env);
      notCallable = null;
    } catch (err) {
      notCallable = () => `the hub's restart failed: ${(err as Error).message}`;
      throw err;
    }
  };
  const importOrder = async (order: string) => {
    const answer = await hub.gql(`mutation { importConnectorRecord(connector: "sap-berlin", reference: "${order}") {
      ${R} ... on ConnectorImport { outcome } } }`);
    expect(answer.importConnectorRecord.outcome).toBe('Created');
  };
  const noDeadLetters = async () => expect((await deliveries(hub)).filter((d) => d.state === 'DeadLetter')).toEqual([]);

  beforeAll(async () => {
    sim = await SapSimulator.start();
    database = await createTestDatabase();
    const seeding = await startTestHub('postgres+nats', {
      databaseUrl: database.url,
      natsNamespace: namespace,
      demo: true,
      simulatorIntervalMs: 0,
    });
    await seedSapProduct(seeding);
    await seeding.close();
    env = {
      DATABASE_URL: database.url,
      NATS_URL: TEST_NATS_URL,
      PLANTGRAPH_NATS_NAMESPACE: namespace,
      PLANTGRAPH_FLOWS: 'off',
      PLANTGRAPH_CONNECTOR_SECRET: 'connector-faults-test-secret',
      PLANTGRAPH_CONNECTOR_RELAY_INTERVAL_MS: '100',
      PLANTGRAPH_CONNECTOR_HEALTH_INTERVAL_MS: '600000',
      PLANTGRAPH_CONNECTOR_SWEEP_AFTER_MS: '2000',
      // A killed worker's job runs again within seconds, not the default half minute.
      PLANTGRAPH_CONNECTOR_JOB_LOCK_MS: '3000',
      ...queue,
    };
    token = await createApiKeyWithCli(env, 'connector-faults');
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    await restart();
    // The request held open until the kill; after the restart, the cut-off attempt's outcome is unknown and
    // waits 2 s (not twice the timeout) before it is read back.
    const settings = { timeoutMs: 120_000, unknownOutcomeWaitMs: 2000 };
    expect((await configureSap(hub, sim, settings)).configureConnector.name).toBe('sap-berlin');
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await child?.kill();
    await sql?.end();
    await sim?.close();
    await database?.drop();
    await deleteNatsNamespace(namespace);
  });

  it('killed between the commit of completed orders and their delivery: each confirmed once', async () => {
    for (const order of ['2000001', '2000002']) {
      addSapOrder(sim, order);
      await importOrder(order);
    }
    // SAP refuses every post for now: nothing can be delivered before the kill.
    sim.inject({ kind: 'status', status: 503 }, { times: 1000, match: { method: 'POST', resource: 'ProdnOrdConf2' } });
    const plant = await floor();
    try {
      await runOnTheFloor(plant, sim, '2000001');
      await eventually(async () => sim.faults.triggered > 0, 30_000, 'a refused attempt');
      await runOnTheFloor(plant, sim, '2000002');
      // At once after the second order's commit: the relay may not even have seen it.
      await child.kill();
    } finally {
      await plant.close();
    }
    expect(live('2000001')).toHaveLength(0);
    expect(live('2000002')).toHaveLength(0);
    sim.clearFaults();
    await restart();
    await delivered('2000001');
    await delivered('2000002');
    expect(live('2000001')).toHaveLength(1);
    expect(live('2000002')).toHaveLength(1);
    await noDeadLetters();
  }, 90_000);

  it('killed while SAP holds the answer to a committed post: the restarted hub reconciles, one confirmation', async () => {
    addSapOrder(sim, '2000003');
    await importOrder('2000003');
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'POST', resource: 'ProdnOrdConf2' } });
    await onTheFloor('2000003');
    await eventually(async () => live('2000003').length === 1, 30_000, 'SAP holding the committed confirmation');
    expect((await deliveryOf('2000003'))[0]!.state).toBe('Delivering');
    await child.kill();
    sim.clearFaults();
    await restart();
    const done = await delivered('2000003');
    expect(done).toMatchObject({ reconciled: true, lastFailureKind: 'ambiguous' });
    expect(live('2000003')).toHaveLength(1);
    await noDeadLetters();
  }, 90_000);

  it('SAP times out after committing: the next attempt reconciles instead of posting again', async () => {
    await configureSap(hub, sim, { timeoutMs: 1500 });
    addSapOrder(sim, '2000004');
    await importOrder('2000004');
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'POST', resource: 'ProdnOrdConf2' } });
    await onTheFloor('2000004');
    const done = await delivered('2000004');
    expect(done).toMatchObject({ reconciled: true, lastFailureKind: 'ambiguous' });
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(live('2000004')).toHaveLength(1);
    await noDeadLetters();
  }, 90_000);

  it('killed during an import poll: every order imported once, and confirmed once', async () => {
    await configureSap(hub, sim, { timeoutMs: 10_000, pageSize: 5 });
    // The hub restarts the connector with the new page size when the change event reaches it; a poll
    // before that would read all 40 orders in one page of the earlier settings.
    await sleep(2000);
    const orders = sim.seedOrders(40, {
      operations: 1,
      components: 0,
      material: 'FG-FRAME',
      workCenters: ['ASSEMBLY'],
      quantity: 10,
    });
    const refs = orders.map((o) => `sap-s4hana:${o}`);
    const count = async (query: string, values: string[] = refs) =>
      Number((await sql.query(query, [values])).rows[0].n);
    const workOrders = () => count('select count(*) as n from work_order where external_reference = any($1)');
    sim.setLatency(150);
    await hub.gql('mutation { pollConnector(name: "sap-berlin") { __typename } }');
    await eventually(async () => (await workOrders()) >= 7, 60_000, 'the poll under way');
    await child.kill();
    const atKill = await workOrders();
    expect(atKill).toBeLessThan(orders.length);
    sim.setLatency(0);
    await restart();
    await hub.gql('mutation { pollConnector(name: "sap-berlin") { __typename } }');
    const imported = () => count('select count(*) as n from connector_import where reference = any($1)', orders);
    await eventually(async () => (await imported()) === orders.length, 60_000, 'every order imported');
    expect(await workOrders()).toBe(orders.length);
    const created = await count(
      `select count(*) as n from audit_record where action = 'WorkOrderCreated' and after->>'externalReference' = any($1)`,
    );
    expect(created).toBe(orders.length);
    const outcomes = await sql.query(
      'select outcome, count(*)::int as n from connector_import where reference = any($1) group by outcome',
      [orders],
    );
    expect(outcomes.rows.every((r) => ['Created', 'Unchanged'].includes(r.outcome))).toBe(true);

    // One imported before the kill goes through the floor and is confirmed once.
    await onTheFloor(orders[0]!);
    await delivered(orders[0]!);
    expect(live(orders[0]!)).toHaveLength(1);
    await noDeadLetters();
  }, 90_000);
});
