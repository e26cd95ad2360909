import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sapS4HanaConnector } from '@plantgraph/connector-sap-s4hana';
import { eventually } from './support/flows.js';
import { graphql, graphqlRaw, subscribe, type TestHub } from './support/harness.js';
import { startHubWithIdp, type TestIdentityProvider } from './support/idp.js';
import {
  addSapOrder,
  configureSap,
  deliveries,
  MAPPING,
  R,
  runOnTheFloor,
  seedSapProduct,
} from './support/sap-loop.js';
import { SapSimulator } from './support/sap-simulator/index.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const CONFIGURE = `mutation ($i: ConfigureConnectorInput!) { configureConnector(input: $i) {
  ${R} ... on ConnectorInstance { name secretNames settingsVersion } } }`;

/** The connector host's rules: settings and secrets, scope and grants, failures and their outcomes. */
describe('the connector runtime', () => {
  let idp: TestIdentityProvider;
  let hub: TestHub;
  let sim: SapSimulator;
  const as = (sub: string, roles: string[]) => () => idp.token({ sub, roles });
  /** Chen, qualified for line clearance, signs it on the floor. */
  const clearedBy = as('E1003', ['supervisor@acme/berlin']);
  const run = async (who: () => Promise<string>, query: string, variables?: Record<string, unknown>) =>
    graphql(hub.url, query, variables, await who());
  const live = (order: string) => sim.liveConfirmations().filter((c) => c.OrderID === order);
  const input = (settings: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    i: {
      name: 'sap-berlin',
      type: 'sap-s4hana',
      scope: 'acme/berlin',
      settings,
      grants: [{ role: 'Integrator', scope: 'acme/berlin' }],
      ...extra,
    },
  });

  beforeAll(async () => {
    sim = await SapSimulator.start();
    ({ idp, hub } = await startHubWithIdp({
      demo: true,
      simulatorIntervalMs: 0,
      connectorTypes: [sapS4HanaConnector],
      connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
    }));
    // Helpers act as an installation-wide admin of the identity provider.
    const admin = as('plant-admin', ['admin@*']);
    hub.gql = async (query, variables) => graphql(hub.url, query, variables, await admin());
    await seedSapProduct(hub);
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
    await sim?.close();
  });

  it('checks settings at save, keeps secrets write-only and out of the audit trail', async () => {
    const bad = await hub.gql(CONFIGURE, input({ pollIntervalMs: -1, mapping: { ...MAPPING, units: 5 } }));
    expect(bad.configureConnector.code).toBe('InvalidInput');
    expect(bad.configureConnector.message).toMatch(/baseUrl: is required/);
    expect(bad.configureConnector.message).toMatch(/pollIntervalMs: must be at least 0/);
    const badMapping = await hub.gql(CONFIGURE, input({ baseUrl: sim.url, mapping: { ...MAPPING, units: 5 } }));
    expect(badMapping.configureConnector.message).toMatch(/mapping\.units/);
    const unknownType = await hub.gql(CONFIGURE, { i: { ...input({}).i, type: 'odoo' } });
    expect(unknownType.configureConnector.message).toMatch(/no connector type "odoo"/);
    expect(await hub.gql('{ connectors(first: 10) { totalCount } }')).toEqual({ connectors: { totalCount: 0 } });

    expect((await configureSap(hub, sim)).configureConnector.secretNames).toEqual(['password']);
    // Left out, a secret keeps its stored value; null clears it.
    const kept = await hub.gql(CONFIGURE, input({ baseUrl: sim.url, user: 'PLANTGRAPH', mapping: MAPPING }));
    expect(kept.configureConnector).toMatchObject({ secretNames: ['password'], settingsVersion: 2 });
    const tested = await hub.gql(
      'mutation { testConnector(name: "sap-berlin") { ... on ConnectorInstance { health } } }',
    );
    expect(tested.testConnector.health).toBe('Healthy');
    const cleared = await hub.gql(CONFIGURE, input({ baseUrl: sim.url, password: null, mapping: MAPPING }));
    expect(cleared.configureConnector.secretNames).toEqual([]);
    const audit = await hub.db.em
      .fork()
      .execute<{ text: string }[]>(`select coalesce(after::text, '') || coalesce(before::text, '') as text
        from audit_record where action like 'Connector%'`);
    expect(audit.length).toBeGreaterThanOrEqual(3);
    for (const { text } of audit) expect(text).not.toMatch(/s3cret-pw|"secrets"/);
    const applied = (await configureSap(hub, sim)).configureConnector;
    expect(applied.secretNames).toEqual(['password']);
    // The same configuration again is no new version, and nothing is audited.
    const again = (await configureSap(hub, sim)).configureConnector;
    expect(again.settingsVersion).toBe(applied.settingsVersion);
    const audited = await hub.db.em
      .fork()
      .execute<{ text: string }[]>("select action as text from audit_record where action like 'Connector%'");
    expect(audited.length).toBe(audit.length + 1);
  });

  it("scopes reads and management; a connector's grants never exceed its configurer's", async () => {
    const packaging = as('int-pack', ['integrator@acme/berlin/packaging']);
    const operator = as('op-berlin', ['operator@acme/berlin']);
    const integrator = as('int-berlin', ['integrator@acme/berlin']);
    expect(await run(packaging, '{ connector(name: "sap-berlin") { name } }')).toEqual({ connector: null });
    expect((await run(packaging, '{ connectors(first: 5) { totalCount } }')).connectors.totalCount).toBe(0);
    const hidden = await run(
      packaging,
      `mutation { setConnectorEnabled(name: "sap-berlin", enabled: false) { ${R} } }`,
    );
    expect(hidden.setConnectorEnabled.code).toBe('NotFound');

    expect(await run(operator, '{ connector(name: "sap-berlin") { name health } }')).toEqual({
      connector: { name: 'sap-berlin', health: 'Healthy' },
    });
    const refused = await graphqlRaw(
      hub.url,
      { query: 'mutation { setConnectorEnabled(name: "sap-berlin", enabled: false) { __typename } }' },
      await operator(),
    );
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');

    const raise = await run(
      integrator,
      CONFIGURE,
      input(
        { baseUrl: sim.url, mapping: MAPPING },
        {
          grants: [
            { role: 'Admin', scope: 'acme/berlin' },
            { role: 'Integrator', scope: 'acme' },
          ],
        },
      ),
    );
    expect(raise.configureConnector.code).toBe('InvalidInput');
    expect(raise.configureConnector.message).toMatch(/admin@acme\/berlin needs .*ManageKeys/);
    expect(raise.configureConnector.message).toMatch(/integrator@acme lies outside the connector's scope/);
  });

  it('reconciles after an ambiguous failure and waits out a rate limit: one confirmation each', async () => {
    // The lost answer's outcome is unknown: read back after 2 s rather than twice SAP's 30 s default timeout.
    expect((await configureSap(hub, sim, { unknownOutcomeWaitMs: 2000 })).configureConnector.name).toBe('sap-berlin');
    const integrator = as('int-berlin', ['integrator@acme/berlin']);
    const changes = await subscribe(
      hub.url,
      'subscription { connectorChanged(scope: "acme/berlin") { type connector path state } }',
      undefined,
      await integrator(),
    );
    const outsider = await subscribe(
      hub.url,
      'subscription { connectorChanged(scope: "acme/berlin/packaging") { type } }',
      undefined,
      await as('int-pack', ['integrator@acme/berlin/packaging'])(),
    );
    addSapOrder(sim, '1000200');
    addSapOrder(sim, '1000201');
    for (const order of ['1000200', '1000201'])
      await hub.gql(
        `mutation { importConnectorRecord(connector: "sap-berlin", reference: "${order}") { __typename } }`,
      );

    // The post commits in SAP, the answer is lost: the retry must find it by the key, not post again.
    sim.inject({ kind: 'reset-after-commit' }, { match: { method: 'POST', resource: 'ProdnOrdConf2' } });
    await runOnTheFloor(hub, sim, '1000200', [], clearedBy);
    const reconciled = await eventually(async () => {
      const d = (await deliveries(hub)).find((x) => x.eventKey === '1000200');
      return d?.state === 'Delivered' ? d : null;
    }, 60_000);
    expect(reconciled).toMatchObject({ reconciled: true, lastFailureKind: 'ambiguous' });
    expect(live('1000200')).toHaveLength(1);

    // 429 twice: the queue waits, no attempt is used.
    sim.inject(
      { kind: 'status', status: 429, retryAfter: '1', message: 'Too many requests' },
      { times: 2, match: { method: 'POST', resource: 'ProdnOrdConf2' } },
    );
    await runOnTheFloor(hub, sim, '1000201', [], clearedBy);
    const waited = await eventually(async () => {
      const d = (await deliveries(hub)).find((x) => x.eventKey === '1000201');
      return d?.state === 'Delivered' ? d : null;
    }, 60_000);
    expect(waited).toMatchObject({ reconciled: false, attempts: 1, lastFailureKind: 'rate-limited' });
    expect(live('1000201')).toHaveLength(1);

    const event = await changes.waitFor((e) => e.data?.connectorChanged?.type === 'ConnectorDeliveryDelivered');
    expect(event.data.connectorChanged).toMatchObject({
      connector: 'sap-berlin',
      path: 'acme/berlin',
      state: 'Delivered',
    });
    expect(outsider.received).toEqual([]);
    await changes.close();
    await outsider.close();
  }, 180_000);
});
