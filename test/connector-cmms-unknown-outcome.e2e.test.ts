import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaintainXSimulator } from '@plantgraph/cmms-maintainx-simulator';
import { cmmsInstance, startHubForCmms } from './support/cmms.js';
import { eventually } from './support/flows.js';
import { MODES, type TestHub } from './support/harness.js';
import { type actAs, LINE_1, R } from './support/regulated.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const WELDER_1 = `${LINE_1}/welder-1`;
/** Per request; the default wait after an unknown outcome is twice this (4 s). */
const TIMEOUT_MS = 2000;
/**
 * MaintainX takes this long to commit a work request: the connector has given up after 2 s, its next
 * attempt (backoff 0.5-1 s) would read back at about 3 s and find nothing; after the wait it reads at 6 s.
 */
const SLOW_COMMIT_MS = 4500;

/**
 * A write whose outcome is unknown (MaintainX still committing it when the connector's request timed out)
 * is not sent twice: the delivery waits until MaintainX has had time to finish, reads back by key, finds
 * it, and the ledger says so.
 */
describe.each(MODES)('the MaintainX connector after a write with an unknown outcome (%s)', (mode) => {
  let hub: TestHub;
  let sim: MaintainXSimulator;
  let as: ReturnType<typeof actAs>;
  const admin = (query: string, variables?: Record<string, unknown>) => as.run('admin', query, variables);

  beforeAll(async () => {
    sim = await MaintainXSimulator.start({ apiKeys: ['mx-key'] });
    sim.addAsset(502, 'Welder 1');
    ({ hub, as } = await startHubForCmms(mode));
    const configured = await as.run(
      'integrator',
      `mutation ($i: ConfigureConnectorInput!) { r: configureConnector(input: $i) { ${R}
        ... on ConnectorInstance { name } } }`,
      {
        i: cmmsInstance({
          baseUrl: sim.url,
          apiKey: 'mx-key',
          pollIntervalMs: 0,
          timeoutMs: TIMEOUT_MS,
          breakdownMinutes: 0,
          alertRules: ['down-too-long'],
          mapping: { version: 1, assets: [{ assetId: 502, equipment: WELDER_1 }] },
        }),
      },
    );
    expect(configured.r).toMatchObject({ name: 'cmms' });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await sim?.close();
  });

  it('MaintainX commits after the request timed out: one work request, found by key after the wait', async () => {
    const injectedAt = Date.now();
    sim.inject({ kind: 'slow-commit', delayMs: SLOW_COMMIT_MS }, { match: { method: 'POST', resource: 'workorders' } });
    const raised = await admin(
      `mutation ($i: RaiseAlertInput!) { raiseAlert(input: $i) { ${R} ... on Alert { id } } }`,
      {
        i: { path: WELDER_1, deduplicationKey: 'down-too-long', severity: 'High', title: 'Welder down for 20 min' },
      },
    );
    const alertId = raised.raiseAlert.id as string;
    const delivered = await eventually(
      async () =>
        (
          await admin(`{ connectorDeliveries(connector: "cmms", first: 10) { edges { node {
            eventKey state attempts externalReference reconciled lastFailureKind lastError } } } }`)
        ).connectorDeliveries.edges
          .map((e: { node: Record<string, any> }) => e.node)
          .find((d: Record<string, any>) => d.eventKey === alertId && d.state === 'Delivered'),
      30_000,
      'the work request delivered',
    );
    // Count once the slow commit has landed (sent again too early, there would be two by then).
    await new Promise((r) => setTimeout(r, Math.max(0, injectedAt + SLOW_COMMIT_MS + 1000 - Date.now())));
    const requests = sim.workOrdersFromHub().filter((w) => w.assetId === 502);
    expect(requests).toHaveLength(1);
    expect(sim.stats.posts).toBe(1);
    expect(delivered).toMatchObject({
      attempts: 2,
      reconciled: true,
      lastFailureKind: 'ambiguous',
      externalReference: `workorders/${requests[0]!.id}`,
    });
    expect(delivered.lastError).toMatch(/outcome of an earlier attempt was unknown; found by key after waiting \d+ s/);
  }, 60_000);
});
