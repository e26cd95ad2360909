import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmsSimulator } from '@plantgraph/qms-rest-simulator';
import { eventually } from './support/flows.js';
import { deleteNatsNamespace, graphql, uniqueName } from './support/harness.js';
import { createApiKeyWithCli, demoDatabaseForKills, type HubProcess, spawnHub } from './support/process.js';
import { R } from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

/**
 * The hub as its own process on PostgreSQL and NATS (loading the QMS connector by default, as users run
 * it), killed with SIGKILL while the QMS holds the answer to a committed nonconformance, and while a lot
 * decision is taken: after the restart there is one record, and the decision is applied.
 */
describe('the QMS connector with the hub killed and restarted', () => {
  let database: Awaited<ReturnType<typeof demoDatabaseForKills>>['database'];
  const namespace = uniqueName('qmf');
  let env: Record<string, string>;
  let sim: QmsSimulator;
  let child: HubProcess;
  let token: string;
  const gql = (query: string, variables?: Record<string, unknown>) => graphql(child.url, query, variables, token);
  const deliveries = async () =>
    (
      await gql(`{ connectorDeliveries(connector: "qms", first: 50) { edges { node {
        id state externalReference reconciled lastFailureKind } } } }`)
    ).connectorDeliveries.edges.map((e: { node: Record<string, unknown> }) => e.node) as Record<string, any>[];
  const lotStatus = async (lotNumber: string) =>
    (await gql(`query ($n: String!) { materialLot(lotNumber: $n) { status } }`, { n: lotNumber })).materialLot.status;
  const restart = async () => {
    child = await spawnHub(env);
  };

  beforeAll(async () => {
    sim = await QmsSimulator.start({ apiKeys: ['qms-key'] });
    ({ database, env } = await demoDatabaseForKills(namespace, 'qms-faults-test-secret'));
    token = await createApiKeyWithCli(env, 'qms-faults');
    await restart();
    const { configureConnector } = await gql(
      `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) { ${R} ... on ConnectorInstance { name } } }`,
      {
        i: {
          name: 'qms',
          type: 'qms-rest',
          scope: 'acme/berlin',
          // After the restart the cut-off post's outcome is unknown: read back after 2 s, not twice the timeout.
          settings: {
            baseUrl: sim.url,
            apiKey: 'qms-key',
            pollIntervalMs: 500,
            timeoutMs: 120_000,
            unknownOutcomeWaitMs: 2000,
          },
          grants: [{ role: 'Quality', scope: 'acme/berlin' }],
          enabled: true,
        },
      },
    );
    expect(configureConnector).toEqual({ __typename: 'ConnectorInstance', name: 'qms' });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await child?.kill();
    await sim?.close();
    await database?.drop();
    await deleteNatsNamespace(namespace);
  });

  it('killed while the QMS holds the answer to a committed nonconformance: one record', async () => {
    sim.inject({ kind: 'hang-after-commit' }, { match: { method: 'POST', resource: 'nonconformances' } });
    const { raiseDeviation } = await gql(
      `mutation ($i: RaiseDeviationInput!) { raiseDeviation(input: $i) { ${R} ... on Deviation { id } } }`,
      { i: { lot: 'L-COIL-0002', kind: 'Material', severity: 'Minor', description: 'Edge cracks on the outer wrap' } },
    );
    expect(raiseDeviation.__typename).toBe('Deviation');
    await eventually(async () => sim.fromHub().length === 1, 30_000, 'the QMS holding the record');
    expect((await deliveries()).map((d) => d.state)).toContain('Delivering');
    await child.kill();
    sim.clearFaults();
    await restart();
    const done = await eventually(
      async () => (await deliveries()).find((d) => d.state === 'Delivered'),
      60_000,
      'the nonconformance delivered',
    );
    expect(done).toMatchObject({ reconciled: true, lastFailureKind: 'ambiguous' });
    const [nc] = sim.fromHub();
    expect(sim.fromHub()).toHaveLength(1);
    expect(nc).toMatchObject({ lot: 'L-COIL-0002', order: null, category: 'Material' });
    expect(nc!.source!.deviationId).toBe(raiseDeviation.id);
    expect(done.externalReference).toBe(`nonconformances/${nc!.number}`);
  }, 120_000);

  it('a lot held in the QMS while the hub is down is held once the hub is back', async () => {
    await child.kill();
    sim.decide('L-BOLT-0107', 'Hold', 'Customer complaint: thread damage');
    await restart();
    await eventually(async () => (await lotStatus('L-BOLT-0107')) === 'OnHold', 30_000, 'the lot held');
  }, 120_000);
});
