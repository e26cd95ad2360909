import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalConfirmationId, sapS4HanaConnector } from '@plantgraph/connector-sap-s4hana';
import { Principal } from '@plantgraph/hub';
import { Role } from '@plantgraph/schema';
import { eventually } from './support/flows.js';
import { graphql, MODES, type TestHub } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import { addSapOrder, configureSap, LINE, R, runOnTheFloor, seedSapProduct } from './support/sap-loop.js';
import { SapSimulator } from './support/sap-simulator/index.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const ANA = new Principal('E1001', 'user', [{ role: Role.Operator, scope: 'acme/berlin' }]);

interface Row {
  id: string;
  state: string;
  eventType: string;
  idempotencyKey: string;
  externalReference: string | null;
  reconciled: boolean;
  replays: number;
  lastError: string | null;
}

/** A work order rejected in review after SAP got its confirmation: the confirmation is cancelled, once. */
describe.each(MODES)('the SAP confirmation cancelled on rejection (%s)', (mode) => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let sim: SapSimulator;
  const ofOrder = (order: string) => sim.confirmations().filter((c) => c.OrderID === order);
  const rows = async (order: string, type: string): Promise<Row[]> => {
    const data = await hub.gql(
      `query ($f: DeliveryFilter) { connectorDeliveries(connector: "sap-berlin", filter: $f,
      first: 10) { edges { node { id state eventType idempotencyKey externalReference reconciled replays lastError } } } }`,
      {
        f: { eventType: type, eventKey: order },
      },
    );
    return data.connectorDeliveries.edges.map((e: { node: Row }) => e.node);
  };
  const settled = (order: string, type: string, check: (r: Row) => boolean = () => true) =>
    eventually(
      async () => (await rows(order, type)).find((r) => r.state === 'Delivered' && check(r)),
      30_000,
      `${type} of ${order} delivered`,
    );
  const replay = (id: string) => hub.gql('mutation ($id: ID!) { replayDelivery(id: $id) { __typename } }', { id });

  /** Imported from SAP, executed and confirmed. */
  const confirm = async (order: string) => {
    addSapOrder(sim, order);
    const imported = await hub.gql(`mutation { importConnectorRecord(connector: "sap-berlin", reference: "${order}") {
      ${R} ... on ConnectorImport { outcome } } }`);
    expect(imported.importConnectorRecord.outcome).toBe('Created');
    await runOnTheFloor(hub, sim, order, [], () => idp.token({ sub: 'E1003', roles: ['supervisor@acme/berlin'] }));
    return settled(order, 'WorkOrderCompleted');
  };
  /** Submitted and rejected in review, signed. */
  const reject = async (order: string) => {
    await hub.services.review.submitForReview(ANA, order);
    const dana = await idp.token({ sub: 'E2001', roles: ['quality@acme', 'operator@acme/berlin/assembly'] });
    const rejected = await graphql(
      hub.url,
      `mutation ($s: SignatureInput!) { rejectWorkOrder(number: "${order}", disposition: "scrap: cracked welds",
        signature: $s) { ${R} ... on WorkOrder { state } } }`,
      { s: { token: dana, meaning: 'Approval' } },
      dana,
    );
    expect(rejected.rejectWorkOrder.state).toBe('Rejected');
  };
  const confirmThenReject = async (order: string) => {
    const completion = await confirm(order);
    await reject(order);
    return completion;
  };

  beforeAll(async () => {
    sim = await SapSimulator.start();
    ({ idp, hub } = await startHubWithIdp(
      {
        demo: true,
        simulatorIntervalMs: 0,
        connectorTypes: [sapS4HanaConnector],
        connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
      },
      mode,
    ));
    hub.gql = async (query, variables) =>
      graphql(hub.url, query, variables, await idp.token({ sub: 'plant-admin', roles: ['admin@*'] }));
    await seedSapProduct(hub);
    expect((await configureSap(hub, sim, { timeoutMs: 2000 })).configureConnector.name).toBe('sap-berlin');
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await sim?.close();
  });

  it('cancels the confirmation through CancelProdnOrdConf once; replays change nothing', async () => {
    const completion = await confirmThenReject('1000200');
    const cancel = await settled('1000200', 'WorkOrderRejected');
    expect(cancel.idempotencyKey).not.toBe(completion.idempotencyKey);
    expect(cancel.reconciled).toBe(false);
    const [original, reversal] = ofOrder('1000200');
    expect(original).toMatchObject({ IsReversed: true, IsReversal: false });
    expect(reversal).toMatchObject({
      IsReversal: true,
      ConfirmationGroup: original!.ConfirmationGroup,
      ExternalSystemConfirmation: externalConfirmationId(cancel.idempotencyKey),
    });
    expect(cancel.externalReference).toBe(
      `ProdnOrdConf2/${reversal!.ConfirmationGroup}/${reversal!.ConfirmationCount}`,
    );
    expect(reversal!.goodsMovements.map((m) => m.GoodsMovementType)).toEqual(['262']);

    // Replaying the cancellation reads the reversal back; replaying the completion posts nothing new.
    await replay(cancel.id);
    await settled('1000200', 'WorkOrderRejected', (r) => r.replays === 1 && r.reconciled);
    await replay(completion.id);
    const again = await settled('1000200', 'WorkOrderCompleted', (r) => r.replays === 1);
    expect(again).toMatchObject({ reconciled: true, externalReference: completion.externalReference });
    expect(ofOrder('1000200')).toHaveLength(2);
    expect(sim.liveConfirmations().filter((c) => c.OrderID === '1000200')).toEqual([]);
  }, 120_000);

  it('SAP cancels but the answer never comes: the next attempt finds the reversal, none twice', async () => {
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'POST', resource: 'CancelProdnOrdConf' } });
    await confirmThenReject('1000201');
    const cancel = await settled('1000201', 'WorkOrderRejected');
    expect(cancel.reconciled).toBe(true);
    expect(ofOrder('1000201').filter((c) => c.IsReversal)).toHaveLength(1);
    expect(ofOrder('1000201')).toHaveLength(2);
  }, 120_000);

  it('a connector that cannot read its own ledger dead-letters the cancel; granted Read, a replay cancels', async () => {
    const grant = (scope: string) =>
      configureSap(hub, sim, { timeoutMs: 2000 }, 'sap-berlin', [{ role: 'Integrator', scope }]);
    await confirm('1000202');
    // Below its own scope: it still sees the line's orders, but not its deliveries (kept at acme/berlin).
    expect((await grant(LINE)).configureConnector.grants).toEqual([`integrator@${LINE}`]);
    await reject('1000202');
    const dead = await eventually(
      async () => (await rows('1000202', 'WorkOrderRejected')).find((r) => r.state === 'DeadLetter'),
      30_000,
      'the cancel dead-lettered',
    );
    expect(dead.lastError).toContain('cannot read its own deliveries');
    expect(sim.liveConfirmations().filter((c) => c.OrderID === '1000202')).toHaveLength(1);

    await grant('acme/berlin');
    await replay(dead.id);
    await settled('1000202', 'WorkOrderRejected');
    expect(sim.liveConfirmations().filter((c) => c.OrderID === '1000202')).toEqual([]);
    expect(ofOrder('1000202').filter((c) => c.IsReversal)).toHaveLength(1);
  }, 120_000);
});
