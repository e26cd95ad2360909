import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sapS4HanaConnector } from '@plantgraph/connector-sap-s4hana';
import { eventually } from './support/flows.js';
import { startTestHub, type TestHub } from './support/harness.js';
import { startPrivateRedis } from './support/private-redis.js';
import type { PrivateService } from './support/private-service.js';
import { addSapOrder, configureSap, deliveries, runOnTheFloor, seedSapProduct } from './support/sap-loop.js';
import { SapSimulator } from './support/sap-simulator/index.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/**
 * Orders completed while Redis is down (SIGKILL, restarted on its files): their deliveries are in the
 * ledger, committed with the change's event, and the sweep queues them once Redis is back. Every
 * order ends with exactly one confirmation.
 */
describe('connector deliveries across a Redis restart', () => {
  let redis: PrivateService;
  let sim: SapSimulator;
  let hub: TestHub;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    sim = await SapSimulator.start();
    hub = await startTestHub('postgres+nats', {
      demo: true,
      simulatorIntervalMs: 0,
      redisUrl: redis.url,
      connectorTypes: [sapS4HanaConnector],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000, sweepAfterMs: 2000 },
    });
    await seedSapProduct(hub);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await sim?.close();
    await redis?.dispose();
  });

  it('delivers what was completed during the outage, each once', async () => {
    await configureSap(hub, sim);
    const orders = ['1000300', '1000301', '1000302', '1000303', '1000304', '1000305'];
    for (const order of orders) {
      addSapOrder(sim, order);
      await hub.gql(
        `mutation { importConnectorRecord(connector: "sap-berlin", reference: "${order}") { __typename } }`,
      );
    }
    const delivered = async (n: number) =>
      eventually(
        async () => (await deliveries(hub)).filter((d) => d.state === 'Delivered').length >= n,
        120_000,
        `${n} deliveries`,
      );
    for (const order of orders.slice(0, 2)) await runOnTheFloor(hub, sim, order);
    await delivered(2);

    await redis.kill();
    for (const order of orders.slice(2, 4)) await runOnTheFloor(hub, sim, order);
    await eventually(
      async () => (await deliveries(hub)).length === 4,
      10_000,
      'the ledger rows made during the outage',
    );
    expect((await deliveries(hub)).filter((d) => d.state === 'Pending')).toHaveLength(2);
    await redis.restart();
    for (const order of orders.slice(4)) await runOnTheFloor(hub, sim, order);

    await delivered(6);
    for (const order of orders) expect(sim.liveConfirmations().filter((c) => c.OrderID === order)).toHaveLength(1);
  }, 240_000);
});
