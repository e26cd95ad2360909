import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sapS4HanaConnector } from '@plantgraph/connector-sap-s4hana';
import { eventually } from './support/flows.js';
import { startTestHub, type TestHub, type TestHubSettings } from './support/harness.js';
import { TEST_REDIS_URL } from './support/queue.js';
import { configureSap, deliveries, imports, runOnTheFloor, seedSapProduct } from './support/sap-loop.js';
import { SapSimulator } from './support/sap-simulator/index.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const SETTINGS: TestHubSettings = {
  redisUrl: TEST_REDIS_URL,
  connectorTypes: [sapS4HanaConnector],
  connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
};

/** Two hub replicas on one PostgreSQL, NATS and Redis: each order imported once, each confirmation posted once. */
describe('connectors on two replicas', () => {
  let sim: SapSimulator;
  let a: TestHub;
  let b: TestHub;
  const stopped: TestHub[] = [];
  let numbers: string[] = [];
  const live = (order: string) => sim.liveConfirmations().filter((c) => c.OrderID === order);

  beforeAll(async () => {
    sim = await SapSimulator.start();
    a = await startTestHub('postgres+nats', { ...SETTINGS, demo: true, simulatorIntervalMs: 0 });
    b = await startTestHub('postgres+nats', { ...SETTINGS, ...a.shared });
    // Each start issues the installation's local admin key anew: both replicas take the newest.
    (a as { localAdminToken: string | null }).localAdminToken = b.localAdminToken;
    await seedSapProduct(a);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const hub of [b, a]) if (hub && !stopped.includes(hub)) await hub.close();
    await a?.stop();
    await sim?.close();
  });

  it('imports each order once when both replicas ask to poll, and confirms each once', async () => {
    expect((await configureSap(a, sim, { pageSize: 7 })).configureConnector.name).toBe('sap-berlin');
    numbers = sim.seedOrders(30, {
      operations: 1,
      components: 0,
      material: 'FG-FRAME',
      workCenters: ['ASSEMBLY'],
      quantity: 10,
    });
    await Promise.all(
      [a, b, a, b].map((hub) => hub.gql('mutation { pollConnector(name: "sap-berlin") { __typename } }')),
    );
    await eventually(async () => (await imports(a)).length === 30, 60_000, 'all 30 orders imported');
    expect((await imports(b)).every((i) => i.outcome === 'Created')).toBe(true);
    const [created] = await a.db.em.fork().execute<{ n: string }[]>(
      `select count(*) as n from audit_record
          where action = 'WorkOrderCreated' and after->>'externalReference' like 'sap-s4hana:%'`,
    );
    expect(Number(created!.n)).toBe(30);

    // Completed on either replica; both replicas' workers take the backlog: each order confirmed once.
    const done = numbers.slice(0, 8);
    for (const [i, n] of done.entries()) await runOnTheFloor(i % 2 ? b : a, sim, n);
    await eventually(
      async () => (await deliveries(b)).filter((d) => d.state === 'Delivered').length === done.length,
      60_000,
      `${done.length} deliveries`,
    );
    for (const n of done) expect(live(n), n).toHaveLength(1);
    expect(sim.liveConfirmations()).toHaveLength(done.length);
    expect(await deliveries(a)).toHaveLength(done.length); // one ledger row per completion, not per replica
  }, 180_000);

  it('a replica stopped while SAP holds the post: the survivor reconciles, one confirmation', async () => {
    const order = numbers[8];
    // SAP commits and never answers; the hub's own timeout is far away. The survivor reads the cut-off
    // post back after 2 s (not twice the timeout: that is how long SAP could still be committing it).
    await configureSap(a, sim, { pageSize: 7, timeoutMs: 120_000, unknownOutcomeWaitMs: 2000 });
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'POST', resource: 'ProdnOrdConf2' } });
    await runOnTheFloor(a, sim, order!);
    await eventually(async () => live(order!).length === 1, 30_000, 'SAP holding the confirmation');
    // Both replicas go; the one that held the job leaves it to stall, its ledger row Delivering.
    for (const hub of [a, b]) {
      await hub.close();
      stopped.push(hub);
    }
    sim.clearFaults();
    const c = await startTestHub('postgres+nats', { ...SETTINGS, ...a.shared });
    try {
      const done = await eventually(
        async () => (await deliveries(c)).find((d) => d.eventKey === order && d.state === 'Delivered'),
        120_000,
        'the stalled delivery delivered by the next replica',
      );
      expect(done).toMatchObject({ reconciled: true, lastFailureKind: 'ambiguous' });
      expect(live(order!)).toHaveLength(1);
    } finally {
      await c.close();
    }
  }, 240_000);
});
